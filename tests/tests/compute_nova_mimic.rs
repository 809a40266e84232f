//! The compute conformance suite on OpenStack Nova, against mimic (started by `cargo xtask test`):
//! Keystone v2.0, Nova servers and key pairs with real state. Each test works in a tenant of its own.
//! mimic's gaps are declared as quirks, and each behaviour that meets one asserts the gap is still
//! there; what mimic cannot show (start and stop, volumes, availability zones) is held to the
//! documented answers in `nova_documented.rs`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cloud_compute::ComputeDriver;
use cloud_core::{Backoff, HttpClient, PollOptions, ProxyConfig};
use cloud_openstack::{Credentials, ImageApi, NovaBuilder};
use cloud_tests::conformance::compute::{ComputeFixture, Quirk};
use cloud_tests::servers::mimic;
use futures_util::TryStreamExt;

async fn fixture() -> ComputeFixture {
    static TENANT: AtomicU32 = AtomicU32::new(0);
    let tenant = format!(
        "conformance-{}-{}",
        std::process::id(),
        TENANT.fetch_add(1, Ordering::Relaxed)
    );
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let poll = PollOptions::default()
        .with_backoff(Backoff::new(
            Duration::from_millis(100),
            Duration::from_secs(1),
        ))
        .with_timeout(Some(Duration::from_secs(60)));
    let nova = NovaBuilder::new()
        .credentials(Credentials::password(
            mimic::auth_url(),
            // mimic binds a user to the first tenant it names.
            &tenant,
            "mimic-takes-any-password",
            &tenant,
        ))
        .region(mimic::REGION)
        // mimic's catalog lists a second service of type compute (its control plane).
        .compute_service_name("cloudServersOpenStack")
        // mimic's Glance lists images but cannot get one by id; its Nova proxy can.
        .image_api(ImageApi::Nova)
        // Small pages, so that the 120 nodes of the paging behaviour span three.
        .page_size(50)
        .http_client(client)
        .polling(poll.clone())
        .build()
        .expect("Nova driver");
    let image = nova
        .list_images()
        .try_next()
        .await
        .expect("mimic lists images")
        .expect("mimic has an image")
        .id;
    let ticker = mimic::Ticker::start();
    ComputeFixture::new(Arc::new(nova), poll, "2", &image, ticker).with_quirks(&[
        Quirk::AcceptsUnknownImages,
        Quirk::AcceptsMalformedKeys,
        Quirk::AcceptsDuplicateKeyNames,
        Quirk::FailsToGenerateKeys,
        Quirk::RefusesStartStop,
        Quirk::CannotCreateVolumes,
        Quirk::HidesNewImageIds,
        Quirk::ListsNoZones,
    ])
}

cloud_tests::compute_conformance!(fixture);
