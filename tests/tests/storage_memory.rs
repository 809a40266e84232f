//! The storage conformance suite on `MemoryStorage`, with multipart uploads on from 4 MiB so the
//! multipart engine runs under the suite too.

use std::sync::Arc;

use cloud_local::MemoryStorage;
use cloud_storage::multipart::MultipartConfig;
use cloud_tests::conformance::storage::StorageFixture;

async fn fixture() -> StorageFixture {
    let store = MemoryStorage::builder()
        .multipart(
            4 << 20,
            MultipartConfig::new().part_size(1 << 20).concurrency(4),
        )
        .build();
    StorageFixture::new(Arc::new(store), ())
}

cloud_tests::storage_conformance!(fixture);
