//! No credential reaches a debug line, an error message or a `{:?}`: planted secrets are looked for in
//! all of them while an S3 driver talks to a server that echoes credentials back, as AWS does in a
//! `SignatureDoesNotMatch` answer.

use std::sync::{Arc, Mutex};

use cloud_aws::{Credentials, Ec2Builder, S3Builder};
use cloud_core::{DebugLog, ErrorKind, HttpClient, ProxyConfig, RetryConfig};
use cloud_storage::StorageExt;
use cloud_tests::server::{text, TestServer};

const PLANTED: &str = "PLANTED";

/// An AWS-style answer to a request whose signature did not match: it quotes the canonical request
/// (with the security token) and the string to sign.
fn signature_mismatch() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>\
         <Message>The request signature we calculated does not match the signature you provided.</Message>\
         <AWSAccessKeyId>AKIDEXAMPLE</AWSAccessKeyId>\
         <StringToSign>AWS4-HMAC-SHA256\n20261206T000000Z\n{PLANTED}-sts</StringToSign>\
         <SignatureProvided>{PLANTED}-sig</SignatureProvided>\
         <CanonicalRequest>GET\n/bucket/key\n\nhost:127.0.0.1\nx-amz-security-token:{PLANTED}-token\n</CanonicalRequest>\
         <RequestId>R1</RequestId></Error>"
    )
}

fn client(log: Arc<Mutex<Vec<String>>>) -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .retry(RetryConfig::default().with_max_attempts(1))
        .debug_log(DebugLog::to_fn(move |line| {
            log.lock().unwrap().push(line.to_owned())
        }))
        .build()
        .unwrap()
}

fn credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", format!("{PLANTED}-secret"))
        .with_session_token(format!("{PLANTED}-token"))
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(PLANTED),
        "a secret leaked into {what}:\n{text}"
    );
}

#[tokio::test]
async fn an_echoed_canonical_request_leaks_nothing() {
    let server = TestServer::start(|_| async { Ok(text(403, signature_mismatch())) }).await;
    let log = Arc::new(Mutex::new(Vec::new()));
    let s3 = S3Builder::new()
        .endpoint(server.url(""))
        .credentials(credentials())
        .http_client(client(log.clone()))
        .build()
        .unwrap();
    let err = s3.get_bytes("bucket", "key").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"));
    let lines = log.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("SignatureDoesNotMatch")),
        "the error body is logged: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("<CanonicalRequest>***")),
        "{lines:#?}"
    );
    for line in &lines {
        assert_clean("the debug log", line);
    }
    assert_clean("the error", &err.to_string());
    assert_clean("the error's Debug", &format!("{err:?}"));
    assert_clean("the driver's Debug", &format!("{s3:?} {s3:#?}"));
}

#[tokio::test]
async fn an_error_page_that_quotes_a_secret_shows_one_clean_line() {
    let server = TestServer::start(|_| async {
        Ok(text(
            500,
            format!("upstream failed\n  token={PLANTED}-1 password: {PLANTED}-2\n  at line 3"),
        ))
    })
    .await;
    let s3 = S3Builder::new()
        .endpoint(server.url(""))
        .credentials(credentials())
        .http_client(client(Arc::default()))
        .build()
        .unwrap();
    let err = s3.get_bytes("bucket", "key").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    let shown = err.to_string();
    assert_clean("the error", &shown);
    assert!(!shown.contains('\n'), "{shown}");
    assert!(shown.contains("upstream failed"), "{shown}");
}

#[test]
fn endpoints_with_user_info_are_refused_without_echoing_it() {
    let url = format!("http://admin:{PLANTED}@127.0.0.1:9000");
    let builder = S3Builder::new()
        .endpoint(url.clone())
        .credentials(credentials());
    assert_clean("the S3 builder's Debug", &format!("{builder:?}"));
    let err = builder.build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_clean("the S3 error", &format!("{err} {err:?}"));
    let builder = Ec2Builder::new().endpoint(url).credentials(credentials());
    assert_clean("the EC2 builder's Debug", &format!("{builder:?}"));
    let err = builder.build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_clean("the EC2 error", &format!("{err} {err:?}"));
}

#[test]
fn proxy_settings_show_no_proxy_password() {
    // nextest runs each test in a process of its own, so the variable reaches no other test.
    std::env::set_var(
        "HTTPS_PROXY",
        format!("http://user:{PLANTED}@127.0.0.1:3128"),
    );
    let proxies = ProxyConfig::from_env();
    assert_clean("the proxy settings' Debug", &format!("{proxies:?}"));
    let client = HttpClient::builder().proxies(proxies).build().unwrap();
    assert_clean("the client's Debug", &format!("{client:?}"));
}
