//! Fetched credentials the server refuses (`401`) are renewed and the request sent once more: a token
//! revoked or expired before its stated lifetime costs one round trip, not a failed call, and a
//! hundred tasks refused together cause one renewal.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloud_core::oauth::BearerAuth;
use cloud_core::{
    async_trait, Body, ErrorKind, HttpClient, Operation, Provide, ProxyConfig, Result, RetryConfig,
    Secret, ServiceConfig, SystemClock, TemporaryToken,
};
use cloud_tests::server::{reply, TestServer};
use http::Method;

/// Hands out `token-1`, `token-2`, … and counts how many it handed out.
#[derive(Debug, Default)]
struct Numbered {
    fetched: AtomicUsize,
}

#[async_trait]
impl Provide<Secret> for Numbered {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let n = self.fetched.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(TemporaryToken::expiring_in(
            Secret::new(format!("token-{n}")),
            Duration::from_secs(3600),
            &SystemClock,
        ))
    }
}

/// Accepts only `accepted` (none when empty), counting requests by the token they carried.
async fn server(accepted: Arc<Mutex<String>>, seen: Arc<Mutex<Vec<String>>>) -> TestServer {
    TestServer::start(move |req| {
        let (accepted, seen) = (accepted.clone(), seen.clone());
        async move {
            let token = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            seen.lock().unwrap().push(token.clone());
            let accepted = format!("Bearer {}", accepted.lock().unwrap());
            if token == accepted {
                reply(201, "made")
            } else {
                reply(401, "token revoked")
            }
        }
    })
    .await
}

fn service(source: Arc<Numbered>) -> cloud_core::HttpService {
    service_with(source, RetryConfig::default())
}

fn service_with(source: Arc<Numbered>, retry: RetryConfig) -> cloud_core::HttpService {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .retry(retry)
        .build()
        .unwrap()
        .service(
            ServiceConfig::new("test").authorizer(BearerAuth::new(source, Arc::new(SystemClock))),
        )
}

async fn post(http: &cloud_core::HttpService, url: &str) -> Result<()> {
    let req = cloud_core::request::request(Method::POST, url, Body::from("a write"))?;
    // Not idempotent: a 401 is still safe to send again, since the server did nothing.
    http.send_buffered(Operation::new("Create"), req).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_renewed_and_a_write_sent_once_more() {
    let accepted = Arc::new(Mutex::new("token-1".to_owned()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = server(accepted.clone(), seen.clone()).await;
    let source = Arc::new(Numbered::default());
    let http = service(source.clone());
    post(&http, &server.url("/a"))
        .await
        .expect("the first token works");
    // The provider revokes token-1 long before its stated hour.
    *accepted.lock().unwrap() = "token-2".to_owned();
    post(&http, &server.url("/b"))
        .await
        .expect("renewed and sent again");
    assert_eq!(source.fetched.load(Ordering::SeqCst), 2);
    assert_eq!(
        *seen.lock().unwrap(),
        ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_refused_tasks_renew_once() {
    let accepted = Arc::new(Mutex::new("token-1".to_owned()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = server(accepted.clone(), seen.clone()).await;
    let source = Arc::new(Numbered::default());
    let http = service(source.clone());
    post(&http, &server.url("/warm")).await.unwrap();
    *accepted.lock().unwrap() = "token-2".to_owned();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let (http, url) = (http.clone(), server.url(&format!("/k{i}")));
            tokio::spawn(async move { post(&http, &url).await })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("every task succeeds on its second attempt");
    }
    assert_eq!(
        source.fetched.load(Ordering::SeqCst),
        2,
        "a late refusal of token-1 does not discard token-2"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_refused_again_are_an_error_after_one_renewal() {
    let accepted = Arc::new(Mutex::new(String::new()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = server(accepted, seen.clone()).await;
    let source = Arc::new(Numbered::default());
    let http = service(source.clone());
    let err = post(&http, &server.url("/a")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(seen.lock().unwrap().len(), 2, "one renewal, no loop");
    assert_eq!(source.fetched.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_is_renewed_even_with_retries_off() {
    let accepted = Arc::new(Mutex::new("token-1".to_owned()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let server = server(accepted.clone(), seen.clone()).await;
    let source = Arc::new(Numbered::default());
    let http = service_with(source.clone(), RetryConfig::disabled());
    post(&http, &server.url("/a")).await.unwrap();
    *accepted.lock().unwrap() = "token-2".to_owned();
    // token-1 is fresh in the cache: the request is signed at once, refused, and sent once more.
    post(&http, &server.url("/b"))
        .await
        .expect("renewed and sent again");
    assert_eq!(
        *seen.lock().unwrap(),
        ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    );
    // Refused again after the renewal: the error, and no third try.
    *accepted.lock().unwrap() = "token-9".to_owned();
    let err = post(&http, &server.url("/c")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(seen.lock().unwrap().len(), 5, "one renewal, no loop");
}
