//! HTTP/2 (`HttpClientBuilder::http2`, off by default), negotiated by ALPN over TLS: a driver works over
//! it end to end, its requests share one connection, and without the option a client keeps to
//! HTTP/1.1 even where the server offers HTTP/2. The server is s3s-fs, which checks every signature.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use cloud_aws::{Credentials, S3Builder, S3};
use cloud_core::{ErrorKind, HttpClient, ProxyConfig};
use cloud_storage::{ByteRange, GetOptions, ListOptions, StorageDriver, StorageExt};
use cloud_tests::server::{reply, truncated, TestServer};
use cloud_tests::servers::azurite::TEST_CA;
use cloud_tests::servers::s3s::{S3sServer, Seen, ACCESS_KEY, SECRET_KEY};
use futures_util::future::try_join_all;
use futures_util::TryStreamExt;

/// A client that trusts the test certificate, offering HTTP/2 when `http2` is set.
fn client(http2: bool) -> HttpClient {
    HttpClient::builder()
        .http2(http2)
        .add_root_certificate(TEST_CA.to_vec())
        .proxies(ProxyConfig::none())
        .build()
        .expect("HTTP client")
}

fn s3(server: &S3sServer, http2: bool) -> S3 {
    S3Builder::new()
        .endpoint(server.endpoint())
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        .http_client(client(http2))
        .build()
        .expect("S3 driver")
}

fn content(i: usize) -> Bytes {
    Bytes::from(vec![i as u8; 10_000 + i])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_driver_works_over_http2_with_one_connection_for_many_requests() {
    let seen = Arc::new(Seen::default());
    let server = S3sServer::start_tls(seen.clone()).await;
    let s3 = s3(&server, true);
    s3.create_container("over-h2").await.unwrap();
    // Many requests at once, each with a body, over the connection the first request opened.
    let keys: Vec<String> = (0..64).map(|i| format!("k{i:02}")).collect();
    try_join_all(
        keys.iter()
            .enumerate()
            .map(|(i, k)| s3.put_bytes("over-h2", k, content(i))),
    )
    .await
    .unwrap();
    let read = try_join_all(keys.iter().map(|k| s3.get_bytes("over-h2", k)))
        .await
        .unwrap();
    for (i, got) in read.iter().enumerate() {
        assert_eq!(*got, content(i), "k{i:02}");
    }
    let big = Bytes::from(
        (0..3_000_000u32)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<_>>(),
    );
    s3.put_bytes("over-h2", "big", big.clone()).await.unwrap();
    assert_eq!(s3.get_bytes("over-h2", "big").await.unwrap(), big);
    let range = GetOptions::new().range(ByteRange::new(1_000_000..1_000_100));
    let part = s3.get_object("over-h2", "big", &range).await.unwrap();
    assert_eq!(part.bytes().await.unwrap(), big.slice(1_000_000..1_000_100));
    let listed: Vec<_> = s3
        .list_objects("over-h2", &ListOptions::new().page_size(10))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 65);
    try_join_all(keys.iter().map(|k| s3.delete_object("over-h2", k)))
        .await
        .unwrap();
    assert!(!s3.exists("over-h2", "k00").await.unwrap());

    let (http2, http1) = (
        seen.http2.load(Ordering::SeqCst),
        seen.http1.load(Ordering::SeqCst),
    );
    assert_eq!(http1, 0, "HTTP/1.1 requests with HTTP/2 on");
    assert!(http2 >= 64 * 3 + 5, "only {http2} HTTP/2 requests");
    // One connection carries them all, but for a guard of the h2 crate: it closes a connection after
    // 100 empty DATA frames from the server, and s3s-fs (through hyper) sends one with most answers.
    // The requests that follow go on a second connection, and none fails.
    let connections = seen.connections.load(Ordering::SeqCst);
    assert!(
        connections <= 2,
        "{connections} connections for {http2} requests"
    );
}

#[tokio::test]
async fn without_the_option_a_client_keeps_to_http1_where_http2_is_offered() {
    let seen = Arc::new(Seen::default());
    let server = S3sServer::start_tls(seen.clone()).await;
    let s3 = s3(&server, false);
    s3.create_container("over-h1").await.unwrap();
    s3.put_bytes("over-h1", "k", content(1)).await.unwrap();
    assert_eq!(s3.get_bytes("over-h1", "k").await.unwrap(), content(1));
    assert_eq!(seen.http2.load(Ordering::SeqCst), 0);
    // Whether the bucket exists, its creation, the PUT and the GET.
    assert_eq!(seen.http1.load(Ordering::SeqCst), 4);
}

/// An HTTP/2 stream reset after its last byte but before its end was marked: the read has every byte,
/// so it ends well (its checksum checked) instead of asking for an empty rest. It used to send
/// `Range: bytes=11-10`, which S3 refuses.
#[tokio::test]
async fn a_stream_reset_after_its_last_byte_is_a_whole_read() {
    for (crc, ok) in [("UFbwKw==", true), ("AAAAAA==", false)] {
        let server = TestServer::start_h2(move |req| async move {
            if req.headers().contains_key(http::header::RANGE) {
                return reply(400, "a range was asked for");
            }
            let (mut head, body) = truncated(11, 11).into_parts();
            head.headers.insert("etag", "\"v1\"".parse().unwrap());
            head.headers
                .insert("x-amz-checksum-crc32c", crc.parse().unwrap());
            Ok(http::Response::from_parts(head, body))
        })
        .await;
        let s3 = S3Builder::new()
            .endpoint(server.url(""))
            .credentials(Credentials::new("AKID", "secret"))
            .http_client(client(true))
            .build()
            .unwrap();
        let got = s3.get_bytes("bucket", "k").await;
        if ok {
            assert_eq!(got.unwrap(), "xxxxxxxxxxx");
        } else {
            let err = got.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
        }
        assert_eq!(server.requests(), 1, "no rest was asked for");
    }
}
