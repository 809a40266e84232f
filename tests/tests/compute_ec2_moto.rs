//! The compute conformance suite on EC2, against moto (started by `cargo xtask test`).

use std::sync::Arc;
use std::time::Duration;

use cloud_aws::{Credentials, Ec2Builder};
use cloud_compute::ComputeDriver;
use cloud_core::{Backoff, HttpClient, PollOptions, ProxyConfig};
use cloud_tests::conformance::compute::{ComputeFixture, Quirk};
use cloud_tests::servers::moto;
use futures_util::TryStreamExt;

async fn fixture() -> ComputeFixture {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let ec2 = Ec2Builder::new()
        .endpoint(moto::endpoint())
        .credentials(Credentials::new(moto::ACCESS_KEY, moto::SECRET_KEY))
        .http_client(client)
        .build()
        .expect("EC2 driver");
    let images: Vec<_> = ec2
        .list_images()
        .try_collect()
        .await
        .expect("moto lists images");
    let image = images.first().expect("moto has images").id.clone();
    let poll = PollOptions::default()
        .with_backoff(Backoff::new(
            Duration::from_millis(100),
            Duration::from_millis(500),
        ))
        .with_timeout(Some(Duration::from_secs(120)));
    // moto's own gaps; the memory cloud runs these behaviours in full.
    ComputeFixture::new(Arc::new(ec2), poll, "t2.micro", &image, ())
        .with_quirks(&[Quirk::AcceptsUnknownImages, Quirk::FailsOnMalformedKeys])
}

cloud_tests::compute_conformance!(fixture);
