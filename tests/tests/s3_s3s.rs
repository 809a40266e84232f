//! S3 behaviours beyond the conformance suite, against s3s-fs (which checks SigV4) in this process.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cloud_aws::{Credentials, S3Builder, S3};
use cloud_core::{DebugLog, ErrorKind, HttpClient, ProxyConfig};
use cloud_storage::{PresignMethod, StorageDriver, StorageExt};
use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};
use futures_util::TryStreamExt;
use http_body_util::{BodyExt, Empty};

fn driver(server: &S3sServer, secret: &str, log: DebugLog) -> S3 {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .debug_log(log)
        .build()
        .unwrap();
    S3Builder::new()
        .endpoint(server.endpoint())
        .credentials(Credentials::new(ACCESS_KEY, secret))
        .http_client(client)
        .build()
        .unwrap()
}

/// GET `url` with a plain hyper client: no signing, no retries.
async fn plain_get(url: &str) -> (u16, Bytes) {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    let status = response.status().as_u16();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_unauthenticated() {
    let server = S3sServer::start().await;
    let s3 = driver(&server, "not-the-secret", DebugLog::default());
    let err = s3
        .list_containers()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    assert_eq!(err.attempts(), 1, "a refused signature is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_presigned_get_works_without_credentials_and_a_tampered_one_does_not() {
    let server = S3sServer::start().await;
    let s3 = driver(&server, SECRET_KEY, DebugLog::default());
    s3.create_container("shared").await.unwrap();
    s3.put_bytes("shared", "report 2026.pdf", "the report")
        .await
        .unwrap();
    let url = s3
        .presign(
            "shared",
            "report 2026.pdf",
            PresignMethod::Get,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert!(url.contains("X-Amz-Signature="), "{url}");
    assert_eq!(
        plain_get(&url).await,
        (200, Bytes::from_static(b"the report"))
    );

    let tampered_key = url.replace("report%202026.pdf", "other.pdf");
    assert_eq!(plain_get(&tampered_key).await.0, 403);
    let signature_at = url.find("X-Amz-Signature=").unwrap() + "X-Amz-Signature=".len();
    let mut tampered = url.clone();
    let flipped = if &url[signature_at..=signature_at] == "0" {
        "1"
    } else {
        "0"
    };
    tampered.replace_range(signature_at..=signature_at, flipped);
    assert_eq!(plain_get(&tampered).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debug_log_of_s3_traffic_holds_no_secret() {
    let server = S3sServer::start().await;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let s3 = driver(
        &server,
        SECRET_KEY,
        DebugLog::to_fn(move |line| sink.lock().unwrap().push(line.to_owned())),
    );
    s3.create_container("logged").await.unwrap();
    s3.put_bytes("logged", "k", "v").await.unwrap();
    let url = s3
        .presign("logged", "k", PresignMethod::Get, Duration::from_secs(60))
        .await
        .unwrap();
    let signature = url.split("X-Amz-Signature=").nth(1).unwrap().to_owned();
    let log = lines.lock().unwrap().join("\n");
    assert!(log.contains("authorization: ***"), "{log}");
    assert!(!log.contains(SECRET_KEY), "the secret key leaked: {log}");
    assert!(!log.contains("Signature="), "a signature leaked: {log}");
    assert!(!log.contains(&signature));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_go_up_in_parts_and_come_back_whole() {
    let server = S3sServer::start().await;
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .unwrap();
    let s3 = S3Builder::new()
        .endpoint(server.endpoint())
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        .http_client(client)
        .multipart(
            5 << 20,
            cloud_storage::multipart::MultipartConfig::new()
                .part_size(5 << 20)
                .concurrency(4),
        )
        .build()
        .unwrap();
    s3.create_container("big").await.unwrap();
    let data = cloud_tests::conformance::storage::pattern(23 << 20);
    let meta = s3.put_bytes("big", "blob", data.clone()).await.unwrap();
    assert_eq!(meta.size, data.len() as u64);
    assert!(
        meta.etag.as_deref().is_some_and(|e| e.contains('-')),
        "a multipart ETag: {:?}",
        meta.etag
    );
    assert_eq!(s3.get_bytes("big", "blob").await.unwrap(), data);
}
