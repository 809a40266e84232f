//! The storage conformance suite on Google Cloud Storage, against gcp-storage-emulator.

use std::sync::Arc;

use cloud_core::{HttpClient, ProxyConfig};
use cloud_gcp::GcsBuilder;
use cloud_tests::conformance::storage::StorageFixture;
use cloud_tests::servers::gcs;

async fn fixture() -> StorageFixture {
    // The emulator serves one connection at a time.
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .max_concurrency(Some(4))
        .build()
        .expect("client");
    let store = GcsBuilder::emulator(&gcs::host())
        .http_client(client)
        // Small chunks, so the multi-MiB objects of the suite cross several of them.
        .uploads(1 << 20, 512 << 10)
        .build()
        .expect("GCS driver");
    StorageFixture::new(Arc::new(store), ())
}

cloud_tests::storage_conformance!(fixture);
