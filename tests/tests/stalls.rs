//! Stalled servers: a server that accepts and never answers, and a body that stops sending, end in a
//! `Timeout` that names the wait; a stalled download resumes and returns the whole object.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cloud_aws::{Credentials, S3Builder};
use cloud_core::{
    Body, ErrorKind, HttpClient, HttpClientBuilder, HttpService, ProxyConfig, RetryConfig,
    ServiceConfig,
};
use cloud_storage::{StorageDriver, StorageExt};
use cloud_tests::conformance::storage::pattern;
use cloud_tests::server::{stall, Fault, HandlerResult, TestServer};
use cloud_tests::servers::fault_proxy::{Action, FaultProxy};
use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};
use futures_util::{Stream, StreamExt};
use http::Method;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

const SHORT: Duration = Duration::from_millis(300);

fn builder() -> HttpClientBuilder {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .first_byte_timeout(Some(SHORT))
        .read_idle_timeout(Some(SHORT))
        .retry(RetryConfig::default().with_max_attempts(2))
}

/// The pipeline of a client made by `builder`.
fn service(builder: HttpClientBuilder) -> HttpService {
    builder.build().unwrap().service(ServiceConfig::new("test"))
}

/// One chunk of a streamed body.
fn data(bytes: &'static [u8]) -> Result<Frame<bytes::Bytes>, Fault> {
    Ok(Frame::data(bytes::Bytes::from_static(bytes)))
}

/// A 200 that announces `length` bytes and streams `frames`.
fn streamed(
    length: u64,
    frames: impl Stream<Item = Result<Frame<bytes::Bytes>, Fault>> + Send + Sync + 'static,
) -> HandlerResult {
    Ok(http::Response::builder()
        .header(http::header::CONTENT_LENGTH, length)
        .body(BodyExt::boxed(StreamBody::new(frames)))
        .unwrap())
}

fn get(url: &str) -> cloud_core::Request {
    http::Request::builder()
        .method(Method::GET)
        .uri(url)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_on_the_first_byte() {
    let server = TestServer::start(|_| stall()).await;
    let svc = service(builder());
    let err = svc.send("Get", get(&server.url("/"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(server.requests(), 2, "a GET is retried once, then given up");
    let shown = err.to_string();
    assert!(shown.contains("first-byte timeout of 300ms"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stops_sending_times_out_while_reading() {
    let server = TestServer::start(|_| async {
        let head = futures_util::stream::iter([data(b"first bytes")]);
        streamed(1000, head.chain(futures_util::stream::pending()))
    })
    .await;
    let svc = service(builder());
    let response = svc.send("Get", get(&server.url("/"))).await.unwrap();
    let mut body = response.into_body();
    assert_eq!(body.next().await.unwrap().unwrap(), "first bytes");
    let err = body.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("read-idle timeout"), "{err}");
    // A buffered call's body is bounded the same way.
    let err = svc
        .send_buffered("Get", get(&server.url("/")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

/// The read-idle timeout bounds the server's silence while a read waits, not the reader's own pauses:
/// a reader that takes longer than the limit between reads, and then waits a little for the next
/// bytes, gets them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_reader_is_not_taken_for_a_silent_server() {
    // A limit of its own, long enough that a busy machine's late timers do not decide the test.
    const LIMIT: Duration = Duration::from_secs(1);
    let server = TestServer::start(|_| async {
        let first = futures_util::stream::iter([data(b"first")]);
        // The rest comes 1.3 limits after the first bytes, a tenth of a limit after the reader asks.
        let rest = futures_util::stream::once(async {
            tokio::time::sleep(LIMIT * 13 / 10).await;
            data(b" rest")
        });
        streamed(10, first.chain(rest))
    })
    .await;
    let svc = service(builder().read_idle_timeout(Some(LIMIT)));
    let response = svc.send("Get", get(&server.url("/"))).await.unwrap();
    let mut body = response.into_body();
    assert_eq!(body.next().await.unwrap().unwrap(), "first");
    // The reader's own work, longer than the limit.
    tokio::time::sleep(LIMIT * 12 / 10).await;
    let rest = body.next().await.unwrap();
    assert_eq!(
        rest.unwrap(),
        " rest",
        "the server was silent for less than the limit"
    );
    assert!(body.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_whose_body_stalls_resumes_and_is_whole() {
    let server = S3sServer::start().await;
    let gets = Arc::new(AtomicUsize::new(0));
    let counted = gets.clone();
    let proxy = FaultProxy::start(&server.endpoint(), move |method, _, _| {
        if method == Method::GET && counted.fetch_add(1, Ordering::SeqCst) == 1 {
            Action::StallResponse(300 << 10)
        } else {
            Action::Pass
        }
    })
    .await;
    let s3 = S3Builder::new()
        .endpoint(proxy.endpoint())
        .credentials(Credentials::new(ACCESS_KEY, SECRET_KEY))
        .http_client(builder().build().unwrap())
        .build()
        .unwrap();
    s3.create_container("stall-bucket").await.unwrap();
    let data = pattern(1 << 20);
    s3.put_bytes("stall-bucket", "big", data.clone())
        .await
        .unwrap();
    // The next GET stalls after 300 KiB.
    gets.store(1, Ordering::SeqCst);
    let read = s3.get_bytes("stall-bucket", "big").await.unwrap();
    assert_eq!(read.len(), data.len());
    assert!(
        read == data,
        "the resumed download is the object, byte for byte"
    );
    assert!(
        gets.load(Ordering::SeqCst) >= 3,
        "the stalled GET was resumed with another"
    );
}
