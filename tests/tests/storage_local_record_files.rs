//! The storage conformance suite on `LocalStorage` keeping records in files rather than extended
//! attributes (what file systems without user extended attributes get).

use std::sync::Arc;

use cloud_local::LocalStorage;
use cloud_tests::conformance::storage::StorageFixture;

async fn fixture() -> StorageFixture {
    let root = tempfile::tempdir().expect("a temporary folder");
    let store = LocalStorage::new(root.path())
        .expect("local storage")
        .with_record_files();
    StorageFixture::new(Arc::new(store), root)
}

cloud_tests::storage_conformance!(fixture);
