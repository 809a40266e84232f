//! S3 under faults: a proxy between the driver and s3s-fs breaks connections and answers `SlowDown` on
//! schedule; uploads are retried part by part, downloads resume without mixing versions, and cancelled
//! uploads leave nothing behind (on moto, which lists pending uploads).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cloud_aws::{Credentials, S3Builder, S3};
use cloud_core::{Backoff, ErrorKind, HttpClient, Jitter, ManualClock, ProxyConfig, RetryConfig};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{GetOptions, Payload, PutOptions, StorageDriver, StorageExt};
use cloud_tests::conformance::storage::pattern;
use cloud_tests::servers::fault_proxy::{Action, FaultProxy};
use cloud_tests::servers::moto;
use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};
use http::Method;

fn s3(endpoint: &str, key: &str, secret: &str) -> S3 {
    // A fake clock: retries wait no real time.
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .clock(Arc::new(ManualClock::new()))
        .retry(
            RetryConfig::default().with_backoff(Backoff::default().with_jitter(Jitter::fixed(0.5))),
        )
        .build()
        .unwrap();
    S3Builder::new()
        .endpoint(endpoint)
        .credentials(Credentials::new(key, secret))
        .http_client(client)
        .multipart(
            5 << 20,
            MultipartConfig::new().part_size(5 << 20).concurrency(2),
        )
        .build()
        .unwrap()
}

fn is_part(method: &Method, target: &str) -> bool {
    method == Method::PUT && target.contains("partNumber=")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_reset_inside_an_upload_part_is_retried_and_the_object_is_intact() {
    let server = S3sServer::start().await;
    let seen_parts = std::sync::atomic::AtomicUsize::new(0);
    let proxy = FaultProxy::start(&server.endpoint(), move |method, target, _| {
        if is_part(method, target)
            && seen_parts.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1
        {
            Action::CutRequest(1 << 20)
        } else {
            Action::Pass
        }
    })
    .await;
    let s3 = s3(&proxy.endpoint(), ACCESS_KEY, SECRET_KEY);
    s3.create_container("fault-bucket").await.unwrap();
    let data = pattern(12 << 20);
    let meta = s3
        .put_bytes("fault-bucket", "k", data.clone())
        .await
        .unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(s3.get_bytes("fault-bucket", "k").await.unwrap(), data);
    let parts: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|s| is_part(&s.method, &s.target))
        .collect();
    assert_eq!(parts.len(), 4, "three parts, one of them sent twice");
    assert!(parts
        .iter()
        .any(|p| p.action == Action::CutRequest(1 << 20)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_midway_resumes_with_range_and_if_match() {
    let server = S3sServer::start().await;
    let direct = s3(&server.endpoint(), ACCESS_KEY, SECRET_KEY);
    direct.create_container("fault-bucket").await.unwrap();
    let data = pattern(8 << 20);
    direct
        .put_bytes("fault-bucket", "k", data.clone())
        .await
        .unwrap();
    let proxy = FaultProxy::start(&server.endpoint(), |method, _, n| {
        if method == Method::GET && n == 0 {
            Action::CutResponse(3 << 20)
        } else {
            Action::Pass
        }
    })
    .await;
    let s3 = s3(&proxy.endpoint(), ACCESS_KEY, SECRET_KEY);
    assert_eq!(
        s3.get_bytes("fault-bucket", "k").await.unwrap(),
        data,
        "identical bytes after resuming"
    );
    let gets: Vec<_> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.method == Method::GET)
        .collect();
    assert_eq!(gets.len(), 2);
    let resumed = &gets[1].headers;
    let range = resumed["range"].to_str().unwrap();
    assert!(
        range.starts_with("bytes=") && range.ends_with(&format!("-{}", (8 << 20) - 1)),
        "{range}"
    );
    let from: u64 = range["bytes=".len()..range.find('-').unwrap()]
        .parse()
        .unwrap();
    assert!(
        from > 0 && from <= 3 << 20,
        "resumed where the body broke: {range}"
    );
    assert!(
        resumed.contains_key("if-match"),
        "the resume is bound to the same version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_is_never_spliced_across_versions() {
    let server = S3sServer::start().await;
    let direct = s3(&server.endpoint(), ACCESS_KEY, SECRET_KEY);
    direct.create_container("fault-bucket").await.unwrap();
    direct
        .put_bytes("fault-bucket", "k", pattern(8 << 20))
        .await
        .unwrap();
    let proxy = FaultProxy::start(&server.endpoint(), |method, _, n| {
        if method == Method::GET && n == 0 {
            Action::CutResponse(1 << 20)
        } else {
            Action::Pass
        }
    })
    .await;
    let s3 = s3(&proxy.endpoint(), ACCESS_KEY, SECRET_KEY);
    let result = s3
        .get_object("fault-bucket", "k", &GetOptions::new())
        .await
        .unwrap();
    // The object changes while the first body is in flight.
    direct
        .put_bytes("fault-bucket", "k", Bytes::from(vec![0xAA; 8 << 20]))
        .await
        .unwrap();
    // s3s-fs ignores If-Match on reads; the driver checks the resumed response's ETag itself.
    let err = match result.bytes().await {
        Ok(bytes) => panic!(
            "a download across two versions returned {} bytes instead of failing",
            bytes.len()
        ),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_slowdown_are_retried() {
    let server = S3sServer::start().await;
    let proxy = FaultProxy::start(&server.endpoint(), |method, _, n| {
        if method == Method::PUT && (1..=3).contains(&n) {
            Action::SlowDown
        } else {
            Action::Pass
        }
    })
    .await;
    let s3 = s3(&proxy.endpoint(), ACCESS_KEY, SECRET_KEY);
    s3.create_container("fault-bucket").await.unwrap();
    s3.put_bytes("fault-bucket", "k", "after the storm")
        .await
        .unwrap();
    assert_eq!(
        s3.get_bytes("fault-bucket", "k").await.unwrap(),
        "after the storm"
    );
    let slowed = proxy
        .seen()
        .iter()
        .filter(|s| s.action == Action::SlowDown)
        .count();
    assert_eq!(slowed, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_multipart_upload_leaves_nothing_behind() {
    let s3 = Arc::new(s3(&moto::endpoint(), moto::ACCESS_KEY, moto::SECRET_KEY));
    let bucket = format!("cancelled-{}", std::process::id());
    s3.create_container(&bucket).await.unwrap();
    // 12 MiB, then a source that never ends.
    let head = futures_util::stream::iter([Ok::<_, std::io::Error>(pattern(12 << 20))]);
    let payload = Payload::from_stream(
        futures_util::StreamExt::chain(head, futures_util::stream::pending()),
        None,
    );
    let writer = {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        tokio::spawn(async move {
            s3.put_object(&bucket, "k", payload, &PutOptions::new())
                .await
        })
    };
    let mut started = false;
    for _ in 0..100 {
        if !s3.list_pending_uploads(&bucket).await.unwrap().is_empty() {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started, "the upload began");
    writer.abort();
    let mut cleaned = false;
    for _ in 0..100 {
        if s3.list_pending_uploads(&bucket).await.unwrap().is_empty() {
            cleaned = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cleaned, "the cancelled upload was aborted");
    assert!(!s3.exists(&bucket, "k").await.unwrap());
}
