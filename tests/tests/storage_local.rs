//! The storage conformance suite on `LocalStorage`, each test in a folder of its own.

use std::sync::Arc;

use cloud_local::LocalStorage;
use cloud_tests::conformance::storage::StorageFixture;

async fn fixture() -> StorageFixture {
    let root = tempfile::tempdir().expect("a temporary folder");
    let store = LocalStorage::new(root.path()).expect("local storage");
    StorageFixture::new(Arc::new(store), root)
}

cloud_tests::storage_conformance!(fixture);
