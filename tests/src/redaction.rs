//! A request carrying every kind of credential, a server that answers with credentials of its own, and
//! the check that a debug log shows neither.

use cloud_core::{Body, Request};
use http::{HeaderValue, Method};

use crate::server::{text, TestServer};

/// Every credential a request might carry, each with a value that must never be logged.
pub fn request_full_of_secrets(url: &str) -> Request {
    let url = format!(
        "{url}?X-Amz-Signature=SECRET-Q1&X-Amz-Credential=SECRET-Q2&sig=SECRET-Q3&Signature=SECRET-Q4&prefix=photos"
    );
    http::Request::builder()
        .method(Method::PUT)
        .uri(url)
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=AKID, Signature=SECRET-H1",
        )
        .header("x-amz-security-token", "SECRET-H2")
        .header("x-auth-token", "SECRET-H3")
        .header("x-ms-encryption-key", "SECRET-H4")
        .header("x-ms-copy-source-authorization", "Bearer SECRET-H5")
        .header("proxy-authorization", "Basic SECRET-H6")
        .header("content-type", "text/plain")
        .body(Body::from("payload"))
        .unwrap()
}

/// A server whose answers carry credentials of their own (a cookie, a security token).
pub async fn secret_echoing_server() -> TestServer {
    TestServer::start(|_| async {
        let mut response = text(200, "ok");
        response
            .headers_mut()
            .insert("set-cookie", HeaderValue::from_static("session=SECRET-R1"));
        response.headers_mut().insert(
            "x-amz-security-token",
            HeaderValue::from_static("SECRET-R2"),
        );
        Ok(response)
    })
    .await
}

/// Asserts that `log` shows the exchange (curl command, harmless headers and parameters, the status)
/// and no secret.
pub fn assert_redacted(log: &str) {
    assert!(
        log.contains("curl -X PUT"),
        "the request is logged as a curl command:\n{log}"
    );
    assert!(
        log.contains("content-type: text/plain"),
        "harmless headers are kept:\n{log}"
    );
    assert!(
        log.contains("prefix=photos"),
        "harmless query parameters are kept:\n{log}"
    );
    assert!(log.contains("200 OK"), "the response is logged:\n{log}");
    assert!(log.contains("***"), "secrets are replaced by ***:\n{log}");
    assert!(
        !log.contains("SECRET"),
        "a secret leaked into the debug log:\n{log}"
    );
}
