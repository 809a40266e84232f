//! The storage conformance suite on OpenStack Swift, against a Swift cluster with tempauth.

use std::sync::Arc;

use cloud_core::{HttpClient, ProxyConfig};
use cloud_openstack::{Credentials, SwiftBuilder};
use cloud_storage::multipart::MultipartConfig;
use cloud_tests::conformance::storage::StorageFixture;
use cloud_tests::servers::swift;

async fn fixture() -> StorageFixture {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let store = SwiftBuilder::new()
        .credentials(Credentials::tempauth(
            swift::auth_url(),
            "test:tester",
            "testing",
        ))
        .http_client(client)
        // Small segments, so the multi-MiB objects of the suite are Static Large Objects.
        .multipart(
            2 << 20,
            MultipartConfig::new()
                .part_size(1 << 20)
                .concurrency(4)
                .max_parts(1000),
        )
        .build()
        .expect("Swift driver");
    StorageFixture::new(Arc::new(store), ())
}

cloud_tests::storage_conformance!(fixture);
