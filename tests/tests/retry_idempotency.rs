//! A request that may have reached the server is sent again only if sending it twice changes nothing:
//! a `500` to CreateKeyPair (whose private key is shown once) or to S3's CreateMultipartUpload is not
//! retried, while CreateVolume carries a `ClientToken` and is retried with the same token.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cloud_aws::{Credentials, Ec2Builder, S3Builder};
use cloud_compute::{ComputeDriver, CreateVolume};
use cloud_core::{Backoff, ErrorKind, HttpClient, Jitter, ManualClock, ProxyConfig, RetryConfig};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{Payload, PutOptions, StorageDriver};
use cloud_tests::server::{text, TestServer};
use http_body_util::BodyExt;

fn client() -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .clock(Arc::new(ManualClock::new()))
        .retry(
            RetryConfig::default()
                .with_max_attempts(3)
                .with_backoff(Backoff::default().with_jitter(Jitter::fixed(0.5))),
        )
        .build()
        .unwrap()
}

/// A server that answers every request `500` and keeps each request's target and body.
async fn failing_server() -> (TestServer, Arc<Mutex<Vec<(String, Bytes)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let server = TestServer::start(move |req| {
        let kept = kept.clone();
        async move {
            let target = req.uri().to_string();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            kept.lock().unwrap().push((target, body));
            Ok(text(
                500,
                "<Error><Code>InternalError</Code><Message>boom</Message></Error>",
            ))
        }
    })
    .await;
    (server, seen)
}

fn ec2(server: &TestServer) -> cloud_aws::Ec2 {
    Ec2Builder::new()
        .endpoint(server.url("/"))
        .credentials(Credentials::new("AKID", "secret"))
        .http_client(client())
        .build()
        .unwrap()
}

fn form_value(body: &Bytes, name: &str) -> Option<String> {
    std::str::from_utf8(body)
        .unwrap()
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_key_pair_is_not_sent_again() {
    let (server, seen) = failing_server().await;
    let err = ec2(&server).create_key_pair("deploy").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1, "one attempt only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_volume_is_retried_with_the_same_client_token() {
    let (server, seen) = failing_server().await;
    ec2(&server)
        .create_volume(&CreateVolume::new("data", 10))
        .await
        .unwrap_err();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "retried up to the attempt limit");
    let tokens: Vec<Option<String>> = seen
        .iter()
        .map(|(_, b)| form_value(b, "ClientToken"))
        .collect();
    assert!(tokens[0].is_some(), "CreateVolume carries a ClientToken");
    assert!(tokens.iter().all(|t| t == &tokens[0]), "{tokens:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_create_multipart_upload_is_not_sent_again() {
    let (server, seen) = failing_server().await;
    let s3 = S3Builder::new()
        .endpoint(server.url(""))
        .credentials(Credentials::new("AKID", "secret"))
        .http_client(client())
        .multipart(5 << 20, MultipartConfig::new().part_size(5 << 20))
        .build()
        .unwrap();
    let payload = Payload::from(Bytes::from(vec![7u8; 6 << 20]));
    let err = s3
        .put_object("bucket", "big", payload, &PutOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
    let seen = seen.lock().unwrap();
    let creates = seen.iter().filter(|(t, _)| t.contains("?uploads")).count();
    assert_eq!(creates, 1, "{seen:?}");
}
