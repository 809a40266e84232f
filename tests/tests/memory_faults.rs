//! `MemoryStorage` with injected faults: how the multipart engine and the transfer helpers cope.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cloud_core::ErrorKind;
use cloud_local::{Faults, MemoryStorage};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{download_file, Payload, PutOptions, StorageDriver, StorageExt};
use cloud_tests::conformance::storage::pattern;

/// Multipart from 1 MiB, in 256 KiB parts, so a few MiB make many parts.
fn store(faults: Faults) -> MemoryStorage {
    MemoryStorage::builder()
        .faults(faults)
        .multipart(
            1 << 20,
            MultipartConfig::new().part_size(256 << 10).concurrency(4),
        )
        .build()
}

fn stream_of(data: Bytes) -> Payload {
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(64 << 10)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    Payload::from_stream(futures_util::stream::iter(chunks), None)
}

#[tokio::test]
async fn download_file_from_a_source_that_lies_about_its_size_fails_and_leaves_no_file() {
    let store = store(Faults::new().truncate_reads(1000));
    store.create_container("c").await.unwrap();
    store.put_bytes("c", "k", pattern(5000)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let err = download_file(&store, "c", "k", dir.path().join("k"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    assert!(
        err.to_string().contains("1000"),
        "says how much arrived: {err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "neither the file nor a partial one remains"
    );
}

#[tokio::test]
async fn a_part_that_fails_once_is_retried_alone() {
    // Calls: 1 create container, 2 put object, 3.. parts: the second part fails once.
    let store = store(Faults::new().fail_call(4, ErrorKind::Transport));
    store.create_container("c").await.unwrap();
    let data = pattern(3 << 20);
    store
        .put_object("c", "k", stream_of(data.clone()), &PutOptions::new())
        .await
        .unwrap();
    assert_eq!(store.get_bytes("c", "k").await.unwrap(), data);
    // 12 parts + 1 retried part + complete, after the 2 calls before.
    assert_eq!(
        store.calls(),
        2 + 12 + 1 + 1 + 1,
        "create, put, 12 parts, one retry, complete, get"
    );
}

#[tokio::test]
async fn a_part_that_fails_for_good_aborts_the_upload() {
    let store = store(Faults::new().fail_call(5, ErrorKind::PermissionDenied));
    store.create_container("c").await.unwrap();
    let err = store
        .put_object("c", "k", stream_of(pattern(3 << 20)), &PutOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("part"), "names the part: {err}");
    assert!(
        store.list_pending_uploads("c").await.unwrap().is_empty(),
        "aborted"
    );
    assert!(!store.exists("c", "k").await.unwrap(), "no partial object");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_an_upload_midway_aborts_it() {
    let store = Arc::new(store(Faults::new()));
    store.create_container("c").await.unwrap();
    // 2 MiB, then a source that never ends.
    let head = futures_util::stream::iter([Ok::<_, std::io::Error>(pattern(2 << 20))]);
    let stalled = futures_util::stream::pending();
    let payload = Payload::from_stream(futures_util::StreamExt::chain(head, stalled), None);
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .put_object("c", "k", payload, &PutOptions::new())
                .await
        })
    };
    let pending =
        wait_for(|| async { !store.list_pending_uploads("c").await.unwrap().is_empty() }).await;
    assert!(pending, "the upload started");
    writer.abort();
    let cleaned =
        wait_for(|| async { store.list_pending_uploads("c").await.unwrap().is_empty() }).await;
    assert!(cleaned, "the dropped upload was aborted");
    assert!(!store.exists("c", "k").await.unwrap());
}

async fn wait_for<F, Fut>(condition: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if condition().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn throttling_is_a_rate_limited_error() {
    let store = store(Faults::new().throttle_every(2));
    store.create_container("c").await.unwrap();
    let err = store.put_bytes("c", "k", "v").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    store.put_bytes("c", "k", "v").await.unwrap();
}
