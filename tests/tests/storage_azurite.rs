//! The storage conformance suite on Azure Blob, against Azurite (which checks Shared Key signatures).

use std::sync::Arc;

use cloud_azure::AzureBlobBuilder;
use cloud_core::{HttpClient, ProxyConfig};
use cloud_tests::conformance::storage::StorageFixture;
use cloud_tests::servers::azurite;

async fn fixture() -> StorageFixture {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let blob = AzureBlobBuilder::azurite(&azurite::host())
        .http_client(client)
        .build()
        .expect("Azure Blob driver");
    StorageFixture::new(Arc::new(blob), ())
}

cloud_tests::storage_conformance!(fixture);
