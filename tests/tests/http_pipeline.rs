//! The cloud-core request pipeline against a real HTTP server (hyper, in this process, on loopback):
//! retries, re-authorization, timeouts, connection reuse, concurrency, proxies and the redacted debug log.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use cloud_core::{
    async_trait, Authorize, Backoff, Body, DebugLog, ErrorKind, HttpClient, HttpClientBuilder,
    HttpService, Jitter, ManualClock, Operation, ProxyConfig, Request, RetryConfig, ServiceConfig,
};
use cloud_tests::redaction::{assert_redacted, request_full_of_secrets, secret_echoing_server};
use cloud_tests::server::{
    reply, reset_after_reading, stall, streamed, text, truncated, TestServer,
};
use futures_util::StreamExt;
use http::{HeaderValue, Method, StatusCode};

/// A client for tests: no proxies from the environment, a fake clock for backoff, no debug output.
fn builder(clock: &ManualClock) -> HttpClientBuilder {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .clock(Arc::new(clock.clone()))
        .debug_log(DebugLog::default())
        .retry(
            RetryConfig::default().with_backoff(Backoff::default().with_jitter(Jitter::fixed(0.5))),
        )
}

fn service(clock: &ManualClock) -> HttpService {
    builder(clock)
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"))
}

fn request(method: Method, url: &str, body: Body) -> Request {
    http::Request::builder()
        .method(method)
        .uri(url)
        .body(body)
        .unwrap()
}

fn get(url: &str) -> Request {
    request(Method::GET, url, Body::empty())
}

/// A handler that answers the n-th request (from 0) with `respond(n)`.
fn counting<F>(
    respond: F,
) -> impl Fn(
    http::Request<hyper::body::Incoming>,
) -> futures_util::future::Ready<cloud_tests::server::HandlerResult>
where
    F: Fn(usize) -> cloud_tests::server::HandlerResult + Send + Sync + 'static,
{
    let n = AtomicUsize::new(0);
    move |_req| futures_util::future::ready(respond(n.fetch_add(1, Ordering::SeqCst)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_503_then_succeeds() {
    let server = TestServer::start(counting(|n| {
        if n == 0 {
            reply(503, "busy")
        } else {
            reply(200, "ok")
        }
    }))
    .await;
    let clock = ManualClock::new();
    let response = service(&clock)
        .send("Get", get(&server.url("/")))
        .await
        .unwrap();
    assert_eq!(response.into_body().bytes().await.unwrap(), "ok");
    assert_eq!(server.requests(), 2);
    assert_eq!(
        clock.sleeps().len(),
        1,
        "one backoff between the two attempts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_for_retry_after_seconds_on_429() {
    let server = TestServer::start(counting(|n| {
        if n == 0 {
            let mut response = text(429, "slow down");
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from_static("2"));
            Ok(response)
        } else {
            reply(200, "ok")
        }
    }))
    .await;
    let clock = ManualClock::new();
    service(&clock)
        .send("Get", get(&server.url("/")))
        .await
        .unwrap();
    assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
    assert_eq!(server.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_max_attempts_and_says_how_many() {
    let server = TestServer::start(|_| async { reply(503, "still busy") }).await;
    let clock = ManualClock::new();
    let svc = builder(&clock)
        .build()
        .unwrap()
        .service(ServiceConfig::new("test").retry(RetryConfig::default().with_max_attempts(4)));
    let err = svc.send("Get", get(&server.url("/"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    assert_eq!(err.attempts(), 4);
    assert_eq!(server.requests(), 4);
    assert!(err.to_string().contains("[after 4 attempts]"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn does_not_retry_400_or_404_and_maps_their_kinds() {
    let server = TestServer::start(|req| async move {
        match req.uri().path() {
            "/bad" => reply(400, "bad request"),
            _ => {
                let mut response = text(404, "no such thing");
                response
                    .headers_mut()
                    .insert("x-amz-request-id", HeaderValue::from_static("REQ-42"));
                Ok(response)
            }
        }
    })
    .await;
    let clock = ManualClock::new();
    let svc = service(&clock);
    let bad = svc.send("Get", get(&server.url("/bad"))).await.unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidInput);
    assert_eq!(bad.status(), Some(StatusCode::BAD_REQUEST));
    let missing = svc
        .send(Operation::new("GetThing"), get(&server.url("/missing")))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert_eq!(missing.request_id(), Some("REQ-42"));
    assert_eq!(
        missing.to_string(),
        "test GetThing: not found (HTTP 404): no such thing [request id REQ-42]"
    );
    assert_eq!(server.requests(), 2, "one attempt each");
    assert!(clock.sleeps().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_failing_mid_request_is_not_retried() {
    let server = TestServer::start(|req| reset_after_reading(req, 64 * 1024)).await;
    let clock = ManualClock::new();
    let body = Body::from_bytes(vec![7u8; 4 << 20]);
    let err = service(&clock)
        .send(
            "Create",
            request(Method::POST, &server.url("/create"), body),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert_eq!(
        server.requests(),
        1,
        "a POST that may have reached the server is not repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_failing_mid_request_is_retried_with_the_same_bytes() {
    let n = Arc::new(AtomicUsize::new(0));
    let received = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let received = received.clone();
        TestServer::start(move |req| {
            let first = n.fetch_add(1, Ordering::SeqCst) == 0;
            let received = received.clone();
            async move {
                if first {
                    return reset_after_reading(req, 64 * 1024).await;
                }
                use http_body_util::BodyExt;
                let body = req
                    .into_body()
                    .collect()
                    .await
                    .map_err(std::io::Error::other)?
                    .to_bytes();
                received.lock().unwrap().push(body);
                reply(200, "stored")
            }
        })
        .await
    };
    let clock = ManualClock::new();
    let payload: Vec<u8> = (0..4 << 20).map(|i| (i % 251) as u8).collect();
    let body = Body::from_chunks(vec![
        Bytes::from(payload[..1 << 20].to_vec()),
        Bytes::from(payload[1 << 20..].to_vec()),
    ]);
    service(&clock)
        .send("Put", request(Method::PUT, &server.url("/put"), body))
        .await
        .unwrap();
    assert_eq!(server.requests(), 2);
    assert_eq!(received.lock().unwrap().as_slice(), [Bytes::from(payload)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_body_is_never_replayed() {
    let server = TestServer::start(|_| async { reply(503, "busy") }).await;
    let clock = ManualClock::new();
    let chunks = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"once"))]);
    let body = Body::from_stream(chunks, Some(4));
    let err = service(&clock)
        .send("Put", request(Method::PUT, &server.url("/"), body))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    assert_eq!(server.requests(), 1);
}

#[derive(Debug, Default)]
struct CountingSigner {
    calls: AtomicUsize,
}

#[async_trait]
impl Authorize for CountingSigner {
    async fn authorize(&self, request: &mut Request) -> cloud_core::Result<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let mut value = HeaderValue::from_str(&format!("signature-{n}")).unwrap();
        value.set_sensitive(true);
        request.headers_mut().insert("x-signature", value);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_attempt_is_authorized_afresh() {
    let server = TestServer::start(counting(|n| {
        if n < 2 {
            reply(500, "oops")
        } else {
            reply(200, "ok")
        }
    }))
    .await;
    let clock = ManualClock::new();
    let signer = Arc::new(CountingSigner::default());
    let svc = builder(&clock)
        .build()
        .unwrap()
        .service(ServiceConfig::new("test").shared_authorizer(signer.clone()));
    svc.send(
        "Put",
        request(Method::PUT, &server.url("/"), Body::from("data")),
    )
    .await
    .unwrap();
    assert_eq!(signer.calls.load(Ordering::SeqCst), 3);
    let signatures: Vec<Vec<String>> = server
        .seen()
        .iter()
        .map(|seen| {
            seen.headers
                .get_all("x-signature")
                .iter()
                .map(|v| v.to_str().unwrap().to_owned())
                .collect()
        })
        .collect();
    assert_eq!(
        signatures,
        [["signature-1"], ["signature-2"], ["signature-3"]],
        "each attempt carries its own signature and only that one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_server_trips_the_attempt_timeout() {
    let server = TestServer::start(|_| stall()).await;
    let clock = ManualClock::new();
    let client = builder(&clock)
        .attempt_timeout(Some(Duration::from_millis(300)))
        .retry(RetryConfig::default().with_max_attempts(2))
        .build()
        .unwrap();
    let svc = client.service(ServiceConfig::new("test"));
    let err = svc.send("Get", get(&server.url("/"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(err.attempts(), 2, "an idempotent GET is tried again");

    let before = server.requests();
    let err = svc
        .send(
            "Create",
            request(Method::POST, &server.url("/"), Body::from("x")),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(
        server.requests() - before,
        1,
        "a POST that timed out is not repeated"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overall_timeout_bounds_the_whole_call() {
    let server = TestServer::start(|_| stall()).await;
    let clock = ManualClock::new();
    let svc = builder(&clock)
        .attempt_timeout(None)
        .timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"));
    let err = svc.send("Get", get(&server.url("/"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(err.operation(), Some("Get"));
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() {
    let server = TestServer::start(|_| async { reply(200, "ok") }).await;
    let clock = ManualClock::new();
    let svc = service(&clock);
    for _ in 0..50 {
        let response = svc.send("Get", get(&server.url("/"))).await.unwrap();
        assert_eq!(response.into_body().bytes().await.unwrap(), "ok");
    }
    assert_eq!(server.requests(), 50);
    assert_eq!(
        server.accepts(),
        1,
        "every request after the first reused the pooled connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_concurrent_requests_through_clones_of_one_client() {
    let server = TestServer::start(|_| async { reply(200, "ok") }).await;
    let clock = ManualClock::new();
    let client = builder(&clock).build().unwrap();
    let url = server.url("/object");
    let tasks: Vec<_> = (0..10_000)
        .map(|_| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move {
                let svc = client.service(ServiceConfig::new("test"));
                svc.send("Get", get(&url)).await?.into_body().bytes().await
            })
        })
        .collect();
    let mut errors = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(body) => assert_eq!(body, "ok"),
            Err(err) => errors.push(err.to_string()),
        }
    }
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(server.requests(), 10_000);
    // In use: at most the concurrency limit (256); idle in the pool: at most 256 more; and, on a
    // loaded machine, some the client has closed that the server has not yet seen close. Without
    // the limit this would be thousands.
    let peak = server.peak_open_connections();
    assert!(
        peak <= 768,
        "the concurrency limit bounds open connections, got {peak}"
    );
    println!(
        "10,000 requests: {} connections accepted, at most {peak} open at once",
        server.accepts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_failures_are_retried_even_for_post() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let clock = ManualClock::new();
    let svc = builder(&clock)
        .retry(RetryConfig::default().with_max_attempts(3))
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"));
    let url = format!("http://127.0.0.1:{port}/");
    let err = svc
        .send("Create", request(Method::POST, &url, Body::from("x")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert_eq!(
        err.attempts(),
        3,
        "nothing reached a server, so repeating is safe"
    );
    assert!(
        err.to_string().contains("onnection refused"),
        "the cause is shown: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffered_call_retries_a_body_cut_short() {
    let server = TestServer::start(counting(|n| {
        if n == 0 {
            Ok(truncated(100, 10))
        } else {
            reply(200, "complete")
        }
    }))
    .await;
    let clock = ManualClock::new();
    let response = service(&clock)
        .send_buffered("List", get(&server.url("/")))
        .await
        .unwrap();
    assert_eq!(response.into_body().bytes().await.unwrap(), "complete");
    assert_eq!(server.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_cut_short_is_an_error_not_a_short_success() {
    let server = TestServer::start(|_| async { Ok(truncated(100, 10)) }).await;
    let clock = ManualClock::new();
    let response = service(&clock)
        .send("Get", get(&server.url("/")))
        .await
        .unwrap();
    assert_eq!(response.body().content_length(), Some(100));
    let err = response.into_body().bytes().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_a_large_body_in_pieces() {
    let server = TestServer::start(|_| async { Ok(streamed(128, 64 * 1024)) }).await;
    let clock = ManualClock::new();
    let response = service(&clock)
        .send("Get", get(&server.url("/")))
        .await
        .unwrap();
    let mut body = response.into_body();
    let (mut frames, mut total) = (0, 0);
    while let Some(chunk) = body.next().await {
        total += chunk.unwrap().len();
        frames += 1;
    }
    assert_eq!(total, 8 << 20);
    assert!(frames > 1, "delivered as a stream, not one buffer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_a_user_agent() {
    let server = TestServer::start(|_| async { reply(200, "ok") }).await;
    service(&ManualClock::new())
        .send("Get", get(&server.url("/")))
        .await
        .unwrap();
    let agent = server.seen()[0].headers["user-agent"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(agent.starts_with("cloud-rs/"), "{agent}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_goes_to_the_proxy_in_absolute_form_with_credentials() {
    let proxy = TestServer::start(|_| async { reply(200, "via proxy") }).await;
    let proxy_url = format!("http://user:pa55@{}", proxy.addr());
    let svc = builder(&ManualClock::new())
        .proxies(ProxyConfig::explicit(&proxy_url, "", ""))
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"));
    let response = svc
        .send("Get", get("http://storage.example.invalid/bucket/key"))
        .await
        .unwrap();
    assert_eq!(response.into_body().bytes().await.unwrap(), "via proxy");
    let seen = &proxy.seen()[0];
    assert_eq!(
        seen.uri.to_string(),
        "http://storage.example.invalid/bucket/key"
    );
    assert_eq!(seen.headers["proxy-authorization"], "Basic dXNlcjpwYTU1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_goes_through_a_connect_tunnel() {
    let proxy = TestServer::start(|_| async { reply(403, "tunnels not allowed") }).await;
    let svc = builder(&ManualClock::new())
        .proxies(ProxyConfig::explicit("", &proxy.url(""), ""))
        .retry(RetryConfig::disabled())
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"));
    let err = svc
        .send("Get", get("https://storage.example.invalid/key"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    let seen = &proxy.seen()[0];
    assert_eq!(seen.method, Method::CONNECT);
    assert_eq!(seen.uri.to_string(), "storage.example.invalid:443");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_hosts_are_reached_directly() {
    let proxy = TestServer::start(|_| async { reply(200, "via proxy") }).await;
    let target = TestServer::start(|_| async { reply(200, "direct") }).await;
    let svc = builder(&ManualClock::new())
        .proxies(ProxyConfig::explicit(
            &proxy.url(""),
            &proxy.url(""),
            "127.0.0.1",
        ))
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"));
    let response = svc.send("Get", get(&target.url("/"))).await.unwrap();
    assert_eq!(response.into_body().bytes().await.unwrap(), "direct");
    assert_eq!(proxy.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debug_log_contains_no_secret() {
    let server = secret_echoing_server().await;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let svc = builder(&ManualClock::new())
        .debug_log(DebugLog::to_fn(move |line| {
            sink.lock().unwrap().push(line.to_owned())
        }))
        .build()
        .unwrap()
        .service(ServiceConfig::new("test"));
    svc.send("Put", request_full_of_secrets(&server.url("/bucket/key")))
        .await
        .unwrap();
    let log = lines.lock().unwrap().join("\n");
    assert_redacted(&log);
}

#[tokio::test]
async fn a_head_of_a_huge_object_is_an_empty_answer_and_an_empty_put_says_its_length() {
    let lengths = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let lengths = lengths.clone();
        TestServer::start(move |req| {
            let lengths = lengths.clone();
            async move {
                lengths.lock().unwrap().push(
                    req.headers()
                        .get("content-length")
                        .map(|v| v.to_str().unwrap().to_owned()),
                );
                let mut answer = text(200, "");
                // What S3 says of a 200 MiB object: its size, and no body.
                answer
                    .headers_mut()
                    .insert("content-length", HeaderValue::from_static("209715200"));
                Ok(answer)
            }
        })
        .await
    };
    let clock = ManualClock::new();
    let http = service(&clock);
    let head = http
        .send_buffered(
            "HeadObject",
            request(Method::HEAD, &server.url("/big"), Body::empty()),
        )
        .await
        .expect("a HEAD answer has no body to read");
    assert_eq!(head.headers()["content-length"], "209715200");
    assert!(head.into_body().bytes().await.unwrap().is_empty());
    // Swift refuses (411) a PUT that does not say its body is empty.
    http.send_buffered(
        "PutEmpty",
        request(Method::PUT, &server.url("/k"), Body::empty()),
    )
    .await
    .ok();
    assert_eq!(lengths.lock().unwrap()[1].as_deref(), Some("0"));
}
