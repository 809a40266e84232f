//! Multipart uploads as AWS documents them for checksums, checked field by field on the wire (s3s-fs
//! and moto accept uploads that AWS refuses): CreateMultipartUpload names the algorithm, each
//! UploadPart carries its CRC-32C, CompleteMultipartUpload repeats each part's CRC-32C, and the
//! composite checksum S3 reports for the object is held to the parts.

use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::Bytes;
use cloud_aws::S3;
use cloud_core::ErrorKind;
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{Payload, PutOptions, StorageDriver};
use cloud_tests::scripted::s3_on;
use cloud_tests::server::{text, TestServer};
use http_body_util::BodyExt;

const PART: usize = 5 << 20;

#[derive(Clone, Debug)]
struct Exchange {
    method: String,
    target: String,
    headers: http::HeaderMap,
    body: Bytes,
}

fn b64(crc: u32) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// A responder speaking just enough S3 for one multipart upload; HEAD reports `composite`.
async fn responder(composite: Arc<Mutex<String>>) -> (TestServer, Arc<Mutex<Vec<Exchange>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let kept = log.clone();
    let server = TestServer::start(move |req| {
        let (kept, composite) = (kept.clone(), composite.clone());
        async move {
            let method = req.method().to_string();
            let target = req.uri().to_string();
            let headers = req.headers().clone();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            kept.lock().unwrap().push(Exchange { method: method.clone(), target: target.clone(), headers, body });
            let mut response = match (method.as_str(), target.contains("uploads"), target.contains("uploadId")) {
                ("POST", true, _) => text(200, "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>U1</UploadId></InitiateMultipartUploadResult>"),
                ("PUT", _, true) => text(200, ""),
                ("POST", _, true) => text(200, "<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>"),
                ("HEAD", _, _) => text(200, ""),
                _ => text(400, "<Error><Code>InvalidRequest</Code></Error>"),
            };
            let headers = response.headers_mut();
            if method == "PUT" {
                headers.insert("etag", http::HeaderValue::from_static("\"part\""));
            }
            if method == "HEAD" {
                headers.insert("content-length", http::HeaderValue::from(2 * PART));
                headers.insert("x-amz-checksum-type", http::HeaderValue::from_static("COMPOSITE"));
                let value = composite.lock().unwrap().clone();
                headers.insert("x-amz-checksum-crc32c", http::HeaderValue::from_str(&value).unwrap());
            }
            Ok(response)
        }
    })
    .await;
    (server, log)
}

fn s3(server: &TestServer) -> S3 {
    s3_on(server)
        .multipart(
            PART as u64,
            MultipartConfig::new().part_size(PART).concurrency(2),
        )
        .build()
        .unwrap()
}

fn data() -> (Bytes, u32, u32) {
    let data: Vec<u8> = (0..2 * PART).map(|i| (i % 251) as u8).collect();
    let (one, two) = data.split_at(PART);
    (
        Bytes::from(data.clone()),
        crc32c::crc32c(one),
        crc32c::crc32c(two),
    )
}

fn composite_of(one: u32, two: u32) -> String {
    let mut joined = one.to_be_bytes().to_vec();
    joined.extend_from_slice(&two.to_be_bytes());
    format!("{}-2", b64(crc32c::crc32c(&joined)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_of_a_multipart_upload_carries_the_checksums_aws_requires() {
    let (bytes, one, two) = data();
    let composite = Arc::new(Mutex::new(composite_of(one, two)));
    let (server, log) = responder(composite).await;
    s3(&server)
        .put_object("b", "k", Payload::from(bytes), &PutOptions::new())
        .await
        .unwrap();
    let log = log.lock().unwrap().clone();
    let create = log
        .iter()
        .find(|e| e.method == "POST" && e.target.contains("uploads"))
        .unwrap();
    assert_eq!(create.headers["x-amz-checksum-algorithm"], "CRC32C");
    assert_eq!(create.headers["x-amz-checksum-type"], "COMPOSITE");
    let mut parts: Vec<&Exchange> = log.iter().filter(|e| e.method == "PUT").collect();
    parts.sort_by_key(|e| e.target.contains("partNumber=2"));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].headers["x-amz-checksum-crc32c"], b64(one).as_str());
    assert_eq!(parts[1].headers["x-amz-checksum-crc32c"], b64(two).as_str());
    let complete = log
        .iter()
        .find(|e| e.method == "POST" && e.target.contains("uploadId"))
        .unwrap();
    let body = std::str::from_utf8(&complete.body).unwrap();
    let expected = format!(
        "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"part\"</ETag><ChecksumCRC32C>{}</ChecksumCRC32C></Part>\
         <Part><PartNumber>2</PartNumber><ETag>\"part\"</ETag><ChecksumCRC32C>{}</ChecksumCRC32C></Part></CompleteMultipartUpload>",
        b64(one),
        b64(two)
    );
    assert_eq!(body, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_composite_checksum_that_does_not_match_the_parts_is_a_checksum_mismatch() {
    let (bytes, _, _) = data();
    let composite = Arc::new(Mutex::new(composite_of(1, 2)));
    let (server, _) = responder(composite).await;
    let err = s3(&server)
        .put_object("b", "k", Payload::from(bytes), &PutOptions::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
}
