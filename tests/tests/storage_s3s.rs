//! The storage conformance suite on S3, against s3s-fs (an S3 server that checks SigV4) in this process.

use std::sync::Arc;

use cloud_aws::{Credentials, S3Builder};
use cloud_core::{HttpClient, ProxyConfig};
use cloud_tests::conformance::storage::{Quirk, StorageFixture};
use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};

async fn fixture() -> StorageFixture {
    let server = S3sServer::start().await;
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let s3 = S3Builder::new()
        .endpoint(server.endpoint())
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        .http_client(client)
        .build()
        .expect("S3 driver");
    // s3s-fs 0.14.1's own gaps; moto runs these behaviours in full.
    StorageFixture::new(Arc::new(s3), server).with_quirks(&[
        Quirk::IgnoresConditionalReads,
        Quirk::DeletesNonEmptyBuckets,
        Quirk::CreatesBucketsOnPut,
        Quirk::CannotListUploads,
    ])
}

cloud_tests::storage_conformance!(fixture);
