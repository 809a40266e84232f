//! S3 answers about an object's bytes are checked before they are believed: a `206` to a read of the
//! whole object, a range other than the one asked for, an impossible `Content-Range`, or a HEAD without
//! a size are errors, not a short or empty object reported as whole; an empty range is refused before
//! anything is sent; a whole read whose bytes do not match the checksum S3 gave is a checksum mismatch.

use cloud_aws::S3;
use cloud_core::ErrorKind;
use cloud_storage::{ByteRange, GetOptions, StorageDriver, StorageExt};
use cloud_tests::scripted::s3_on;
use cloud_tests::server::{Fault, TestServer};
use http_body_util::{BodyExt, Full};

/// A server answering every request with `status`, `headers` and `body`.
async fn answering(
    status: u16,
    headers: &'static [(&'static str, &'static str)],
    body: &'static str,
) -> TestServer {
    TestServer::start(move |_| async move {
        let mut response = http::Response::builder().status(status);
        for (name, value) in headers {
            response = response.header(*name, *value);
        }
        let body = Full::new(bytes::Bytes::from_static(body.as_bytes()))
            .map_err(|never: std::convert::Infallible| -> Fault { match never {} })
            .boxed();
        Ok(response.body(body).unwrap())
    })
    .await
}

fn s3(server: &TestServer) -> S3 {
    s3_on(server).build().unwrap()
}

fn ranged(range: ByteRange) -> GetOptions {
    let mut options = GetOptions::new();
    options.range = Some(range);
    options
}

#[tokio::test]
async fn a_partial_answer_to_a_whole_read_is_an_error() {
    let server = answering(206, &[("content-range", "bytes 0-4/100")], "hello").await;
    let err = s3(&server).get_bytes("b", "k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(err.to_string().contains("206"), "{err}");
}

#[tokio::test]
async fn a_range_other_than_the_one_asked_for_is_an_error() {
    let server = answering(206, &[("content-range", "bytes 0-4/100")], "hello").await;
    let err = s3(&server)
        .get_object("b", "k", &ranged(ByteRange::new(10..15)))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
}

#[tokio::test]
async fn an_impossible_content_range_is_an_error_not_an_overflow() {
    for value in [
        "bytes 0-18446744073709551615/18446744073709551615",
        "bytes 5-2/100",
        "bytes 0-99/50",
        "bytes x-y/z",
    ] {
        let header: &'static str = Box::leak(value.to_owned().into_boxed_str());
        let headers: &'static [(&str, &str)] = Box::leak(Box::new([("content-range", header)]));
        let server = answering(206, headers, "hello").await;
        let err = s3(&server)
            .get_object("b", "k", &ranged(ByteRange::From(0)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected, "{value}: {err}");
    }
}

#[tokio::test]
async fn a_head_without_a_size_is_an_error_not_zero() {
    // A HEAD answer carries no body, so hyper leaves Content-Length out when the handler gives none.
    let server = answering(200, &[("etag", "\"abc\"")], "").await;
    let err = s3(&server).head_object("b", "k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(err.to_string().contains("Content-Length"), "{err}");
}

#[tokio::test]
async fn an_empty_range_is_refused_before_sending() {
    let server = answering(200, &[], "").await;
    for range in [
        ByteRange::new(0..0),
        ByteRange::Bounded { start: 7, end: 3 },
        ByteRange::Suffix(0),
    ] {
        let err = s3(&server)
            .get_object("b", "k", &ranged(range))
            .await
            .unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::RangeNotSatisfiable,
            "{range:?}: {err}"
        );
    }
    assert_eq!(server.requests(), 0);
}

#[tokio::test]
async fn a_body_that_does_not_match_its_checksum_is_a_checksum_mismatch() {
    // "AAAAAA==" is CRC-32C 0, which "hello" is not.
    let server = answering(
        200,
        &[
            ("content-length", "5"),
            ("x-amz-checksum-crc32c", "AAAAAA=="),
        ],
        "hello",
    )
    .await;
    let err = s3(&server).get_bytes("b", "k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
    // The right checksum passes.
    let right: &'static str = Box::leak(
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            crc32c::crc32c(b"hello").to_be_bytes(),
        )
        .into_boxed_str(),
    );
    let headers: &'static [(&str, &str)] = Box::leak(Box::new([
        ("content-length", "5"),
        ("x-amz-checksum-crc32c", right),
    ]));
    let server = answering(200, headers, "hello").await;
    assert_eq!(s3(&server).get_bytes("b", "k").await.unwrap(), "hello");
}
