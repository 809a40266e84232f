//! The storage conformance suite on S3, against moto (started by `cargo xtask test`).

use std::sync::Arc;

use cloud_aws::{Credentials, S3Builder};
use cloud_core::{HttpClient, ProxyConfig};
use cloud_tests::conformance::storage::StorageFixture;
use cloud_tests::servers::moto;

async fn fixture() -> StorageFixture {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let s3 = S3Builder::new()
        .endpoint(moto::endpoint())
        .credentials(Credentials::new(moto::ACCESS_KEY, moto::SECRET_KEY))
        .http_client(client)
        .build()
        .expect("S3 driver");
    StorageFixture::new(Arc::new(s3), ())
}

cloud_tests::storage_conformance!(fixture);
