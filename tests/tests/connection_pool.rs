//! The client's HTTP/1.1 connection pool against a real server (hyper, in this process, on loopback):
//! which connections are reused, which are not, and that a connection the server closed never costs a
//! request.

use std::sync::Arc;
use std::time::Duration;

use cloud_core::{
    Body, DebugLog, ErrorKind, HttpClient, HttpClientBuilder, HttpService, ProxyConfig, Request,
    RetryConfig, ServiceConfig,
};
use cloud_tests::server::{reply, streamed, text, TestServer};
use futures_util::StreamExt;
use http::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// No retries: a request that needed a second attempt would show as an error.
fn builder() -> HttpClientBuilder {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .debug_log(DebugLog::default())
        .retry(RetryConfig::disabled())
}

fn service(builder: HttpClientBuilder) -> HttpService {
    builder.build().unwrap().service(ServiceConfig::new("test"))
}

fn get(url: &str) -> Request {
    http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Body::empty())
        .unwrap()
}

/// Reads a request's head from `socket`: its bytes, or `None` if the client went away first.
async fn read_head(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 8192];
    let mut read = 0;
    while !buf[..read].windows(4).any(|w| w == b"\r\n\r\n") {
        match socket.read(&mut buf[read..]).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => read += n,
        }
    }
    buf.truncate(read);
    Some(buf)
}

/// Waits (up to 5 s) until the server has no connection open.
async fn until_all_closed(server: &TestServer) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.open_connections() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn get_text(svc: &HttpService, url: &str) -> String {
    let response = svc.send("Get", get(url)).await.unwrap();
    let body = response.into_body().bytes().await.unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_requests_on_two_threads_share_a_connection_or_two() {
    let server = TestServer::start(|_| async { reply(200, "ok") }).await;
    let svc = service(builder());
    for _ in 0..200 {
        assert_eq!(get_text(&svc, &server.url("/")).await, "ok");
    }
    // The reading task hands the connection back as it reads the last bytes. On another thread hyper
    // may be a moment from done with it then; the next request does not wait for that (a connection
    // still busy could be busy for long) and opens one more, which is pooled in turn. Without pooling
    // there would be 200.
    println!(
        "200 sequential requests on two threads: {} connections",
        server.accepts()
    );
    assert!(server.accepts() <= 4, "{} connections", server.accepts());
    let seen = &server.seen()[0];
    assert_eq!(
        seen.headers["host"],
        server.addr().to_string(),
        "the Host header names the port, which is not the default"
    );
}

#[tokio::test]
async fn an_error_answer_read_whole_leaves_its_connection_for_the_next_request() {
    let server = TestServer::start(|req| async move {
        if req.uri().path() == "/missing" {
            reply(404, "no such thing")
        } else {
            reply(200, "here")
        }
    })
    .await;
    let svc = service(builder());
    for _ in 0..5 {
        let err = svc
            .send("Get", get(&server.url("/missing")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
    assert_eq!(get_text(&svc, &server.url("/found")).await, "here");
    assert_eq!(server.accepts(), 1, "404s do not cost a connection each");
}

#[tokio::test]
async fn a_body_dropped_unread_takes_its_connection_with_it() {
    let server = TestServer::start(|req| async move {
        if req.uri().path() == "/big" {
            Ok(streamed(64, 64 * 1024))
        } else {
            reply(200, "small")
        }
    })
    .await;
    let svc = service(builder());
    let response = svc.send("Get", get(&server.url("/big"))).await.unwrap();
    let mut body = response.into_body();
    // One piece of the 4 MiB, then the body is dropped with the rest unread.
    assert!(body.next().await.unwrap().is_ok());
    drop(body);
    // The connection still has the rest of the answer coming: the next request cannot use it.
    assert_eq!(get_text(&svc, &server.url("/small")).await, "small");
    assert_eq!(get_text(&svc, &server.url("/small")).await, "small");
    assert_eq!(
        server.accepts(),
        2,
        "one connection given up with the unread body, one reused after it"
    );
}

#[tokio::test]
async fn connections_the_server_closes_are_replaced_without_an_error() {
    // Every answer says `Connection: close`, and the server closes each connection after one answer.
    let server = TestServer::start(|_| async {
        let mut response = text(200, "once");
        response
            .headers_mut()
            .insert("connection", http::HeaderValue::from_static("close"));
        Ok(response)
    })
    .await;
    let svc = service(builder());
    for _ in 0..10 {
        assert_eq!(get_text(&svc, &server.url("/")).await, "once");
    }
    assert_eq!(server.accepts(), 10);
}

/// A server that answers one request per connection and then closes it without saying so, as a server
/// does when its keep-alive timeout ends: the client sees the close only when it next looks.
#[tokio::test]
async fn a_connection_closed_while_idle_is_not_an_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = accepts.clone();
    let server = tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                if read_head(&mut socket).await.is_none() {
                    return;
                }
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nidle";
                let _ = socket.write_all(answer).await;
                // Closed as soon as the answer is out, keep-alive notwithstanding.
            });
        }
    });
    let svc = service(builder());
    let url = format!("http://{addr}/");
    for _ in 0..20 {
        assert_eq!(get_text(&svc, &url).await, "idle");
        // Time for the close to arrive, as it would between two requests of a real client.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(accepts.load(std::sync::atomic::Ordering::SeqCst), 20);
    server.abort();
}

/// A server that refuses an upload before reading it, and then reads no more of it: hyper is still
/// sending that body when the answer has been read, so the connection cannot serve the next request.
#[tokio::test]
async fn a_connection_still_sending_a_refused_upload_does_not_hold_up_the_next_request() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let head = read_head(&mut socket).await.unwrap_or_default();
            let answer: &[u8] = if head.starts_with(b"PUT") {
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 3\r\n\r\nbad"
            } else {
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
            };
            let _ = socket.write_all(answer).await;
            // Kept open and never read again.
            held.push(socket);
        }
    });
    let svc = service(builder());
    let upload = http::Request::builder()
        .method(Method::PUT)
        .uri(format!("http://{addr}/big"))
        .body(Body::from_bytes(vec![0u8; 32 << 20]))
        .unwrap();
    let refused = svc.send("Put", upload).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused}");
    let url = format!("http://{addr}/");
    let next = tokio::time::timeout(Duration::from_secs(5), get_text(&svc, &url));
    assert_eq!(
        next.await
            .expect("the next request does not wait for the stuck connection"),
        "ok"
    );
    server.abort();
}

#[tokio::test]
async fn idle_connections_past_the_idle_timeout_are_not_reused() {
    let server = TestServer::start(|_| async { reply(200, "ok") }).await;
    let svc = service(builder().pool_idle_timeout(Duration::ZERO));
    for _ in 0..5 {
        assert_eq!(get_text(&svc, &server.url("/")).await, "ok");
    }
    assert_eq!(server.accepts(), 5);
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout_without_another_request() {
    let server = TestServer::start(|_| async { reply(200, "ok") }).await;
    let svc = service(builder().pool_idle_timeout(Duration::from_millis(200)));
    assert_eq!(get_text(&svc, &server.url("/")).await, "ok");
    assert_eq!(server.open_connections(), 1, "kept for the next request");
    // The pool's sweep closes it once its idle time is up, whether or not the host is asked again.
    until_all_closed(&server).await;
    assert_eq!(server.open_connections(), 0, "closed after 200 ms idle");
    // And the host is served again on a new connection.
    assert_eq!(get_text(&svc, &server.url("/")).await, "ok");
    assert_eq!(server.accepts(), 2);
}

/// One client used from a runtime that is then shut down, and from another after it.
#[test]
fn idle_connections_are_closed_on_a_second_runtime_too() {
    let server_runtime = tokio::runtime::Runtime::new().unwrap();
    let server = server_runtime.block_on(TestServer::start(|_| async { reply(200, "ok") }));
    let url = server.url("/");
    let svc = service(builder().pool_idle_timeout(Duration::from_millis(200)));
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(first.block_on(get_text(&svc, &url)), "ok");
    drop(first);
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        assert_eq!(get_text(&svc, &url).await, "ok");
        until_all_closed(&server).await;
    });
    assert_eq!(
        server.open_connections(),
        0,
        "the sweep runs on the second runtime as it did on the first"
    );
}

#[tokio::test]
async fn no_more_idle_connections_than_the_limit_are_kept() {
    // Each answer waits until four requests are in, so four connections are open at once.
    let barrier = Arc::new(tokio::sync::Barrier::new(4));
    let server = TestServer::start(move |_| {
        let barrier = barrier.clone();
        async move {
            barrier.wait().await;
            reply(200, "ok")
        }
    })
    .await;
    let svc = service(builder().pool_max_idle_per_host(1));
    let url = server.url("/");
    for round in 1..=2 {
        let answers = futures_util::future::join_all((0..4).map(|_| get_text(&svc, &url))).await;
        assert!(answers.iter().all(|a| a == "ok"));
        // Round one opens four; one is kept, so round two opens three more.
        assert_eq!(server.accepts(), if round == 1 { 4 } else { 7 });
    }
}

#[tokio::test]
async fn a_host_that_is_not_there_fails_to_connect_and_is_not_pooled() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let svc = service(builder());
    for _ in 0..2 {
        let err = svc
            .send("Get", get(&format!("http://{addr}/")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
        assert!(err.to_string().contains("connection failed"), "{err}");
    }
}
