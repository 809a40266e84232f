//! The limits of retrying: a `Retry-After` past the retry budget (up to `u64::MAX` seconds) is not
//! waited for and says so, and the first retry is already jittered.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cloud_core::{
    Backoff, Body, DebugLog, ErrorKind, HttpClient, Jitter, ManualClock, ProxyConfig, RetryConfig,
    ServiceConfig,
};
use cloud_tests::server::{reply, text, TestServer};
use http::{HeaderValue, Method};

fn client(clock: &ManualClock, jitter: Jitter) -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .clock(Arc::new(clock.clone()))
        .debug_log(DebugLog::default())
        .retry(RetryConfig::default().with_backoff(Backoff::default().with_jitter(jitter)))
        .build()
        .unwrap()
}

fn get(url: &str) -> cloud_core::Request {
    http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Body::empty())
        .unwrap()
}

async fn throttling_server(retry_after: &'static str) -> TestServer {
    TestServer::start(move |_| async move {
        let mut response = text(503, "slow down");
        response
            .headers_mut()
            .insert("retry-after", HeaderValue::from_static(retry_after));
        Ok(response)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_past_the_budget_is_reported_not_waited_for() {
    for (asked, said) in [
        ("18446744073709551615", "more than a year"),
        ("3600", "3600 s"),
    ] {
        let server = throttling_server(asked).await;
        let clock = ManualClock::new();
        let err = client(&clock, Jitter::fixed(0.5))
            .service(ServiceConfig::new("test"))
            .send("Get", get(&server.url("/")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
        assert_eq!(server.requests(), 1, "not retried");
        assert!(clock.sleeps().is_empty(), "no wait: {:?}", clock.sleeps());
        let shown = err.to_string();
        assert!(
            shown.contains(said) && shown.contains("retry budget of 180 s"),
            "{shown}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_retry_is_jittered() {
    let server = TestServer::start(|_| async { reply(503, "busy") }).await;
    let mut firsts = Vec::new();
    for draw in [0.0, 1.0] {
        let clock = ManualClock::new();
        let draws = Arc::new(AtomicUsize::new(0));
        let counted = draws.clone();
        let jitter = Jitter::from_fn(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            draw
        });
        let retry = RetryConfig::default()
            .with_max_attempts(2)
            .with_backoff(Backoff::default().with_jitter(jitter.clone()));
        let svc = client(&clock, jitter).service(ServiceConfig::new("test").retry(retry));
        svc.send("Get", get(&server.url("/"))).await.unwrap_err();
        assert_eq!(
            draws.load(Ordering::SeqCst),
            1,
            "the first wait drew its jitter"
        );
        firsts.push(clock.sleeps()[0]);
    }
    let base = Backoff::default().base();
    assert_eq!(
        firsts,
        [base, base * 3],
        "the first wait spans [base, 3 × base]"
    );
}
