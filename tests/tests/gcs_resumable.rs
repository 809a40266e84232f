//! Resumable uploads and reads against a scripted session that follows Google's documented protocol
//! strictly (the emulator is lenient): chunks in multiples of 256 KiB at the offset the session
//! holds, `308` with `Range` for each, a status query after a break, `499` for a cancelled session,
//! and the object's hashes checked on the last chunk.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use cloud_core::ErrorKind;
use cloud_gcp::{Credentials, Gcs, GcsBuilder};
use cloud_storage::{Payload, PutOptions, StorageDriver, StorageExt};
use cloud_tests::conformance::storage::pattern;
use cloud_tests::scripted::one_attempt_client;
use cloud_tests::server::{reply, text, HandlerResult, TestServer};
use http::Method;
use http_body_util::BodyExt;
use md5::{Digest, Md5};

#[derive(Default)]
struct Session {
    held: Vec<u8>,
    cancelled: bool,
    /// Break the n-th chunk request (from 0) after this many bytes of it.
    break_chunk: Option<(usize, usize)>,
    chunks: usize,
    status_queries: usize,
    /// Report this CRC-32C for the object instead of the real one.
    lie_about_crc: bool,
    deleted_objects: Vec<String>,
}

fn object_json(data: &[u8], crc: u32) -> String {
    format!(
        r#"{{"kind":"storage#object","name":"big","bucket":"box","generation":"1700000000000001","size":"{}","crc32c":"{}","md5Hash":"{}"}}"#,
        data.len(),
        STANDARD.encode(crc.to_be_bytes()),
        STANDARD.encode(Md5::digest(data))
    )
}

fn resume_incomplete(held: usize) -> HandlerResult {
    let mut response = text(308, "");
    if held > 0 {
        let range = format!("bytes=0-{}", held - 1);
        response
            .headers_mut()
            .insert("range", range.parse().unwrap());
    }
    Ok(response)
}

async fn session_server(state: Arc<Mutex<Session>>) -> TestServer {
    let state_for_server = state.clone();
    let server = TestServer::start(move |req| {
        let state = state_for_server.clone();
        async move {
            let method = req.method().clone();
            let path = req.uri().path().to_owned();
            let query = req.uri().query().unwrap_or_default().to_owned();
            let range = req
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let hashes = req
                .headers()
                .get("x-goog-hash")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let host = req.headers()["host"].to_str().unwrap().to_owned();
            match (method, path.as_str()) {
                (Method::POST, "/upload/storage/v1/b/box/o") if query == "uploadType=resumable" => {
                    let mut response = text(200, "");
                    let location = format!("http://{host}/session/1?upload_id=SESSION-SECRET");
                    response
                        .headers_mut()
                        .insert("location", location.parse().unwrap());
                    Ok(response)
                }
                (Method::DELETE, "/session/1") => {
                    state.lock().unwrap().cancelled = true;
                    reply(499, "")
                }
                (Method::DELETE, object) => {
                    state
                        .lock()
                        .unwrap()
                        .deleted_objects
                        .push(format!("{object}?{query}"));
                    reply(204, "")
                }
                (Method::PUT, "/session/1") => {
                    let (number, break_at) = {
                        let mut s = state.lock().unwrap();
                        if range == "bytes */*" {
                            s.status_queries += 1;
                            let held = s.held.len();
                            return resume_incomplete(held);
                        }
                        s.chunks += 1;
                        (s.chunks - 1, s.break_chunk)
                    };
                    let mut body = req.into_body();
                    let mut data = Vec::new();
                    let limit = break_at.filter(|(n, _)| *n == number).map(|(_, at)| at);
                    while let Some(frame) = body.frame().await {
                        data.extend_from_slice(frame.unwrap().data_ref().unwrap_or(&Bytes::new()));
                        if limit.is_some_and(|at| data.len() >= at) {
                            break;
                        }
                    }
                    let (span, total) = range
                        .strip_prefix("bytes ")
                        .and_then(|r| r.split_once('/'))
                        .expect("a Content-Range");
                    let (start, end) = span.split_once('-').expect("a span");
                    let (start, end): (usize, usize) =
                        (start.parse().unwrap(), end.parse().unwrap());
                    let mut s = state.lock().unwrap();
                    if start != s.held.len() {
                        return reply(
                            400,
                            format!("expected offset {}, got {start}", s.held.len()),
                        );
                    }
                    if let Some(at) = limit {
                        // What arrived is kept in whole 256 KiB units, the rest is lost with the connection.
                        let kept = at / (256 << 10) * (256 << 10);
                        s.held.extend_from_slice(&data[..kept.min(data.len())]);
                        return Err(std::io::Error::other("the connection broke mid-chunk"));
                    }
                    assert_eq!(
                        data.len(),
                        end + 1 - start,
                        "the body is the range it names"
                    );
                    s.held.extend_from_slice(&data);
                    if total == "*" || total.parse::<usize>().unwrap() > s.held.len() {
                        assert_eq!(
                            data.len() % (256 << 10),
                            0,
                            "a non-final chunk is a multiple of 256 KiB"
                        );
                        return resume_incomplete(s.held.len());
                    }
                    let crc = crc32c::crc32c(&s.held);
                    let expected = format!(
                        "crc32c={},md5={}",
                        STANDARD.encode(crc.to_be_bytes()),
                        STANDARD.encode(Md5::digest(&s.held))
                    );
                    assert_eq!(
                        hashes.as_deref(),
                        Some(expected.as_str()),
                        "the last chunk names the hashes"
                    );
                    let reported = if s.lie_about_crc { crc ^ 1 } else { crc };
                    reply(200, object_json(&s.held, reported))
                }
                (method, path) => reply(404, format!("unexpected {method} {path}")),
            }
        }
    })
    .await;
    server
}

fn driver(server: &TestServer) -> Gcs {
    GcsBuilder::new()
        .credentials(Credentials::Anonymous)
        .endpoint(server.url(""))
        .http_client(one_attempt_client())
        .uploads(256 << 10, 512 << 10)
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_chunk_broken_mid_way_is_resumed_from_what_the_session_holds() {
    let state = Arc::new(Mutex::new(Session {
        break_chunk: Some((1, 400 << 10)),
        ..Session::default()
    }));
    let server = session_server(state.clone()).await;
    let data = pattern((1 << 20) + (300 << 10));
    let chunks: Vec<Result<Bytes, std::io::Error>> = data
        .chunks(100_000)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let meta = driver(&server)
        .put_object(
            "box",
            "big",
            Payload::from_stream(futures_util::stream::iter(chunks), None),
            &PutOptions::new(),
        )
        .await
        .expect("the upload resumes after the break");
    assert_eq!(meta.size, data.len() as u64);
    let s = state.lock().unwrap();
    assert_eq!(s.held, data, "every byte once, in order");
    assert_eq!(s.status_queries, 1, "the session was asked where it stood");
    assert!(!s.cancelled);
}

#[tokio::test]
async fn a_failing_stream_cancels_the_session() {
    let state = Arc::new(Mutex::new(Session::default()));
    let server = session_server(state.clone()).await;
    let first = pattern(700 << 10);
    let stream = futures_util::stream::iter([
        Ok(first),
        Err(std::io::Error::other("the source disk failed")),
    ]);
    let err = driver(&server)
        .put_object(
            "box",
            "big",
            Payload::from_stream(stream, None),
            &PutOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the source disk failed"), "{err}");
    assert!(!err.to_string().contains("SESSION-SECRET"), "{err}");
    assert!(state.lock().unwrap().cancelled, "the session was cancelled");

    // A stream longer than it declared is refused before the last chunk, and cancelled too.
    let state = Arc::new(Mutex::new(Session::default()));
    let server = session_server(state.clone()).await;
    let long = pattern(900 << 10);
    let err = driver(&server)
        .put_object(
            "box",
            "big",
            Payload::from_stream(
                futures_util::stream::iter([Ok::<_, std::io::Error>(long)]),
                Some(800 << 10),
            ),
            &PutOptions::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let s = state.lock().unwrap();
    assert!(s.cancelled);
    assert!(s.held.len() < 800 << 10, "the last chunk was never sent");
}

#[tokio::test]
async fn an_object_stored_with_other_bytes_is_deleted_and_reported() {
    let state = Arc::new(Mutex::new(Session {
        lie_about_crc: true,
        ..Session::default()
    }));
    let server = session_server(state.clone()).await;
    let err = driver(&server)
        .put_bytes("box", "big", pattern(600 << 10))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    let s = state.lock().unwrap();
    assert_eq!(
        s.deleted_objects,
        ["/storage/v1/b/box/o/big?ifGenerationMatch=1700000000000001"],
        "that generation, and only it, is deleted"
    );
}
