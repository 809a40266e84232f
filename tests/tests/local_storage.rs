//! `LocalStorage` beyond the conformance suite: names that would escape the root, atomic writes, and
//! objects as plain files.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use cloud_core::ErrorKind;
use cloud_local::LocalStorage;
use cloud_storage::{StorageDriver, StorageExt};
use cloud_tests::files::overwrite_keeping_time;

fn tree(root: &Path) -> BTreeSet<String> {
    walk(root, root)
}

fn walk(root: &Path, dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        found.insert(path.strip_prefix(root).unwrap().display().to_string());
        if path.is_dir() {
            found.extend(walk(root, &path));
        }
    }
    found
}

#[tokio::test]
async fn names_that_would_escape_the_root_are_refused_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let store = LocalStorage::new(&root).unwrap();
    store.create_container("c").await.unwrap();
    store.put_bytes("c", "inside", "x").await.unwrap();
    let before = tree(dir.path());
    for key in [
        "../escape",
        "a/../../escape",
        "/etc/passwd",
        "a\\..\\..\\escape",
        "nul\0byte",
        "a//b",
        "trailing/",
        "..",
    ] {
        let err = store.put_bytes("c", key, "x").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{key:?}: {err}");
        assert_eq!(
            store.head_object("c", key).await.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{key:?}"
        );
        assert_eq!(
            store.delete_object("c", key).await.unwrap_err().kind(),
            ErrorKind::InvalidInput,
            "{key:?}"
        );
    }
    for container in ["..", "../c", ".cloud", "a/b", ""] {
        let err = store.create_container(container).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{container:?}");
        assert_eq!(
            store
                .put_bytes(container, "k", "x")
                .await
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidInput
        );
    }
    assert_eq!(tree(dir.path()), before, "nothing on disk changed");
}

#[tokio::test]
async fn objects_are_plain_files_and_plain_files_are_objects() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStorage::new(root.path()).unwrap();
    store.create_container("c").await.unwrap();
    store
        .put_bytes("c", "dir/file.txt", "via the API")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(root.path().join("c/dir/file.txt")).unwrap(),
        b"via the API"
    );

    std::fs::write(root.path().join("c/dir/dropped.json"), "{}").unwrap();
    let meta = store.head_object("c", "dir/dropped.json").await.unwrap();
    assert_eq!(meta.size, 2);
    assert_eq!(
        meta.content_type.as_deref(),
        Some("application/json"),
        "guessed for a foreign file"
    );
    assert_eq!(
        store.get_bytes("c", "dir/dropped.json").await.unwrap(),
        "{}"
    );
}

#[tokio::test]
async fn a_record_no_longer_describes_a_file_changed_by_other_means() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStorage::new(root.path()).unwrap();
    store.create_container("c").await.unwrap();
    let options = cloud_storage::PutOptions::new()
        .content_type("text/x-special")
        .metadata("k", "v");
    store
        .put_object("c", "f", "original".into(), &options)
        .await
        .unwrap();
    assert!(store
        .head_object("c", "f")
        .await
        .unwrap()
        .checksum
        .is_some());
    std::fs::write(root.path().join("c/f"), "changed outside").unwrap();
    let meta = store.head_object("c", "f").await.unwrap();
    assert_eq!(meta.size, 15);
    assert_eq!(meta.checksum, None, "the old checksum is not vouched for");
    assert!(meta.metadata.is_empty());
}

/// A file whose bytes changed while its size and time stayed (a failing disk, a stray write that put
/// the time back) still matches its record, so a whole read is held to the record's CRC-32C: small
/// files (read whole) and large ones (streamed) alike. Skipping the check takes the bytes as they are.
#[tokio::test]
async fn a_file_changed_under_the_same_size_and_time_fails_its_whole_read() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStorage::new(root.path()).unwrap();
    store.create_container("c").await.unwrap();
    for (key, len) in [("small", 4096), ("large", (3 << 20) + 5)] {
        let data = Bytes::from(vec![b'a'; len]);
        store.put_bytes("c", key, data.clone()).await.unwrap();
        let mut changed = data.to_vec();
        changed[len - 2] = b'b';
        overwrite_keeping_time(&root.path().join("c").join(key), &changed);
        assert!(store
            .head_object("c", key)
            .await
            .unwrap()
            .checksum
            .is_some());
        let err = store.get_bytes("c", key).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{key}: {err}");
        let unchecked = cloud_storage::GetOptions::new().skip_checksum(true);
        let got = store.get_object("c", key, &unchecked).await.unwrap();
        assert_eq!(got.bytes().await.unwrap(), changed, "{key}");
        // A range has no checksum of its own to be held to.
        let range = cloud_storage::GetOptions::new().range(cloud_storage::ByteRange::new(0..10));
        let got = store.get_object("c", key, &range).await.unwrap();
        assert_eq!(got.bytes().await.unwrap(), &changed[..10], "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_to_one_key_never_leave_a_torn_file() {
    let root = tempfile::tempdir().unwrap();
    concurrent_writers(root.path(), LocalStorage::new(root.path()).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_never_pair_one_version_with_another_record() {
    let root = tempfile::tempdir().unwrap();
    concurrent_writers(
        root.path(),
        LocalStorage::new(root.path()).unwrap().with_record_files(),
    )
    .await;
}

async fn concurrent_writers(root: &Path, store: LocalStorage) {
    let store = Arc::new(store);
    store.create_container("c").await.unwrap();
    let versions: Vec<Bytes> = (0..16u8).map(|v| Bytes::from(vec![v; 1 << 20])).collect();
    let writers: Vec<_> = versions
        .iter()
        .cloned()
        .map(|data| {
            let store = store.clone();
            tokio::spawn(async move { store.put_bytes("c", "contended", data).await })
        })
        .collect();
    let reader = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut reads = 0;
            for _ in 0..50 {
                if let Ok(data) = store.get_bytes("c", "contended").await {
                    assert_eq!(data.len(), 1 << 20, "a read saw a partial file");
                    assert!(
                        data.iter().all(|b| *b == data[0]),
                        "a read saw two versions mixed"
                    );
                    reads += 1;
                }
            }
            reads
        })
    };
    for writer in writers {
        writer.await.unwrap().unwrap();
    }
    reader.await.unwrap();
    let last = store.get_bytes("c", "contended").await.unwrap();
    assert!(versions.contains(&last), "the object is one whole version");
    let head = store.head_object("c", "contended").await.unwrap();
    assert_eq!(head.size, 1 << 20);
    let expected = cloud_storage::Checksum::Crc32c(crc32c::crc32c(&last));
    assert_eq!(
        head.checksum,
        Some(expected),
        "the record describes the version stored"
    );
    let leftovers = std::fs::read_dir(root.join(".cloud/tmp")).unwrap().count();
    assert_eq!(leftovers, 0, "no temporary file remains");
}

#[tokio::test]
async fn a_key_that_would_be_both_file_and_folder_is_a_conflict() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStorage::new(root.path()).unwrap();
    store.create_container("c").await.unwrap();
    store.put_bytes("c", "a", "file").await.unwrap();
    assert_eq!(
        store.put_bytes("c", "a/b", "x").await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    store.put_bytes("c", "d/e", "x").await.unwrap();
    assert_eq!(
        store.put_bytes("c", "d", "x").await.unwrap_err().kind(),
        ErrorKind::Conflict
    );
    assert_eq!(
        store.get_bytes("c", "a").await.unwrap(),
        "file",
        "nothing was lost"
    );
    assert!(!store.capabilities().key_is_also_prefix);
}

#[tokio::test]
async fn deleting_the_last_object_of_a_folder_removes_the_folder() {
    let root = tempfile::tempdir().unwrap();
    let store = LocalStorage::new(root.path()).unwrap();
    store.create_container("c").await.unwrap();
    store.put_bytes("c", "x/y/z", "v").await.unwrap();
    store.delete_object("c", "x/y/z").await.unwrap();
    assert!(!root.path().join("c/x").exists());
    store.delete_container("c").await.unwrap();
}
