//! A hostile or broken Cloud Storage server: reads that do not match their hashes, bodies cut short,
//! listings that are not listings. None of it is reported as success.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use cloud_core::ErrorKind;
use cloud_gcp::{Credentials, Gcs, GcsBuilder};
use cloud_storage::{ListOptions, StorageDriver, StorageExt};
use cloud_tests::scripted::one_attempt_client;
use cloud_tests::server::{reply, text, truncated, HandlerResult, TestServer};
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

fn driver(server: &TestServer) -> Gcs {
    GcsBuilder::new()
        .credentials(Credentials::Anonymous)
        .endpoint(server.url(""))
        .http_client(one_attempt_client())
        .build()
        .unwrap()
}

fn with_headers(mut response: HandlerResult, headers: &[(&'static str, String)]) -> HandlerResult {
    if let Ok(response) = &mut response {
        for (name, value) in headers {
            response.headers_mut().insert(*name, value.parse().unwrap());
        }
    }
    response
}

fn hash_of(data: &[u8]) -> String {
    format!(
        "crc32c={}",
        STANDARD.encode(crc32c::crc32c(data).to_be_bytes())
    )
}

#[tokio::test]
async fn a_body_that_does_not_match_its_hash_is_an_error() {
    let server = TestServer::start(|_req| async {
        with_headers(
            reply(200, "hello wOrld"),
            &[("x-goog-hash", hash_of(b"hello world"))],
        )
    })
    .await;
    let err = driver(&server).get_bytes("box", "k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
}

#[tokio::test]
async fn a_body_cut_short_without_a_generation_is_an_error() {
    let server = TestServer::start(|_req| async { Ok(truncated(1000, 400)) }).await;
    let err = driver(&server).get_bytes("box", "k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
}

/// A 200 that promises `len` bytes, sends `sent`, then breaks the connection.
fn cut_after(sent: &[u8], len: usize) -> http::Response<cloud_tests::server::Body> {
    let head = futures_util::stream::iter([Ok(Frame::data(Bytes::copy_from_slice(sent)))]);
    let fail = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::other("cut"))
    });
    http::Response::builder()
        .header("content-length", len)
        .body(BodyExt::boxed(StreamBody::new(head.chain(fail))))
        .unwrap()
}

#[tokio::test]
async fn a_body_cut_short_is_resumed_from_the_same_generation() {
    let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let (data, asked) = (data.clone(), asked.clone());
        TestServer::start(move |req| {
            let (data, asked) = (data.clone(), asked.clone());
            async move {
                let range = req
                    .headers()
                    .get("range")
                    .map(|v| v.to_str().unwrap().to_owned());
                asked.lock().unwrap().push((
                    req.uri().query().unwrap_or_default().to_owned(),
                    range.clone(),
                ));
                let generation = ("x-goog-generation", "42".to_owned());
                match range {
                    None => {
                        let cut = cut_after(&data[..400], data.len());
                        with_headers(Ok(cut), &[generation, ("x-goog-hash", hash_of(&data))])
                    }
                    Some(range) => {
                        assert_eq!(range, "bytes=400-999");
                        with_headers(
                            Ok(text(206, Bytes::copy_from_slice(&data[400..]))),
                            &[
                                generation,
                                ("content-range", "bytes 400-999/1000".to_owned()),
                            ],
                        )
                    }
                }
            }
        })
        .await
    };
    let got = driver(&server)
        .get_bytes("box", "k")
        .await
        .expect("resumed");
    assert_eq!(got, data);
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 2);
    assert!(asked[1].0.contains("generation=42"), "{asked:?}");
}

#[tokio::test]
async fn answers_that_are_not_listings_are_not_empty_listings() {
    for body in [
        "{}",
        r#"{"kind":"storage#bucket","name":"box"}"#,
        r#"{"kind":"storage#objects","items":[{"name":"a"}]}"#,
        "<html>proxy login</html>",
    ] {
        let server = TestServer::start(move |_req| async move { reply(200, body) }).await;
        let err = driver(&server)
            .list_objects("box", &ListOptions::new())
            .try_collect::<Vec<_>>()
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected, "{body}: {err}");
    }
}
