//! A real HTTP/1.1 server (hyper) on `127.0.0.1:0`, driven by a handler the test writes; or an HTTP/2
//! one over TLS ([`TestServer::start_h2`]).
//!
//! It counts accepted connections and records every request it receives, so tests can assert how the
//! client behaved on the wire: how many attempts, over how many connections, with which headers.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{stream, StreamExt};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The error type of handler bodies and results (a concrete type: hyper's bounds on boxed trait-object
/// errors trip a compiler limitation inside spawned tasks).
pub type Fault = std::io::Error;
/// A response body a handler may return.
pub type Body = BoxBody<Bytes, Fault>;
/// What a handler returns; an `Err` makes hyper drop the connection without answering.
pub type HandlerResult = Result<Response<Body>, Fault>;
type HandlerFuture = Pin<Box<dyn Future<Output = HandlerResult> + Send>>;
type Handler = Arc<dyn Fn(Request<Incoming>) -> HandlerFuture + Send + Sync>;

/// What the server saw of one request.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The method.
    pub method: Method,
    /// The request target as sent (absolute form when sent to a proxy).
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
}

/// A scripted server; stops accepting when dropped.
pub struct TestServer {
    addr: SocketAddr,
    scheme: &'static str,
    accepts: Arc<AtomicUsize>,
    open: Arc<OpenConnections>,
    seen: Arc<Mutex<Vec<Seen>>>,
    accept_loop: JoinHandle<()>,
}

/// Connections open now, and the most ever open at once.
#[derive(Default)]
struct OpenConnections {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl OpenConnections {
    fn opened(&self) {
        let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    fn closed(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

impl TestServer {
    /// Starts a server that answers every request with `handler`.
    pub async fn start<F, Fut>(handler: F) -> TestServer
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        TestServer::start_with(handler, None).await
    }

    /// Starts a server that speaks only HTTP/2 (offered by ALPN) over TLS with the certificate of
    /// [`tls`](crate::servers::tls), answering every request with `handler`; its URLs are `https`.
    pub async fn start_h2<F, Fut>(handler: F) -> TestServer
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let tls = crate::servers::tls::acceptor(&[b"h2"]);
        TestServer::start_with(handler, Some(tls)).await
    }

    async fn start_with<F, Fut>(handler: F, tls: Option<tokio_rustls::TlsAcceptor>) -> TestServer
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = HandlerResult> + Send + 'static,
    {
        let scheme = if tls.is_some() { "https" } else { "http" };
        let handler: Handler = Arc::new(move |req| Box::pin(handler(req)));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let accepts = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(OpenConnections::default());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let accept_loop = tokio::spawn(accept_loop(
            listener,
            tls,
            handler,
            accepts.clone(),
            open.clone(),
            seen.clone(),
        ));
        TestServer {
            addr,
            scheme,
            accepts,
            open,
            seen,
            accept_loop,
        }
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (`https` for [`start_h2`](TestServer::start_h2)) followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// How many TCP connections the server has accepted.
    pub fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }

    /// The connections open now.
    pub fn open_connections(&self) -> usize {
        self.open.now.load(Ordering::SeqCst)
    }

    /// The most connections that were open at the same time.
    pub fn peak_open_connections(&self) -> usize {
        self.open.peak.load(Ordering::SeqCst)
    }

    /// Every request received so far, in order of arrival.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// How many requests were received.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    handler: Handler,
    accepts: Arc<AtomicUsize>,
    open: Arc<OpenConnections>,
    seen: Arc<Mutex<Vec<Seen>>>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        accepts.fetch_add(1, Ordering::SeqCst);
        open.opened();
        let handler = handler.clone();
        let seen = seen.clone();
        let open = open.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |req: Request<Incoming>| -> HandlerFuture {
                    seen.lock().unwrap().push(Seen {
                        method: req.method().clone(),
                        uri: req.uri().clone(),
                        headers: req.headers().clone(),
                    });
                    handler(req)
                });
            match tls {
                None => {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .with_upgrades()
                        .await;
                }
                Some(tls) => {
                    if let Ok(stream) = tls.accept(stream).await {
                        let _ = hyper::server::conn::http2::Builder::new(
                            hyper_util::rt::TokioExecutor::new(),
                        )
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    }
                }
            }
            open.closed();
        });
    }
}

/// A response with `status` and a text body.
pub fn text(status: u16, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).expect("valid status"))
        .body(
            Full::new(body.into())
                .map_err(|never: Infallible| match never {})
                .boxed(),
        )
        .expect("valid response")
}

/// `Ok(text(status, body))`, for handlers.
pub fn reply(status: u16, body: impl Into<Bytes>) -> HandlerResult {
    Ok(text(status, body))
}

/// A 200 response that promises `promised` bytes, sends `sent` of them, then fails the connection.
pub fn truncated(promised: usize, sent: usize) -> Response<Body> {
    let head = stream::iter([Ok::<_, Fault>(Frame::data(Bytes::from(vec![b'x'; sent])))]);
    // Fail only after a pause, so hyper has flushed the head and the first bytes to the client.
    let cut = stream::once(async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(Fault::other("the server cut the body short"))
    });
    Response::builder()
        .header(http::header::CONTENT_LENGTH, promised)
        .body(BodyExt::boxed(StreamBody::new(head.chain(cut))))
        .expect("valid response")
}

/// A 200 response streaming `chunks` pieces of `chunk_size` bytes each.
pub fn streamed(chunks: usize, chunk_size: usize) -> Response<Body> {
    let chunk = Bytes::from(vec![b'y'; chunk_size]);
    let frames = stream::iter((0..chunks).map(move |_| Ok::<_, Fault>(Frame::data(chunk.clone()))));
    Response::builder()
        .header(http::header::CONTENT_LENGTH, chunks * chunk_size)
        .body(BodyExt::boxed(StreamBody::new(frames)))
        .expect("valid response")
}

/// Waits far longer than any test's timeout, to play a server that has stalled.
pub async fn stall() -> HandlerResult {
    tokio::time::sleep(Duration::from_secs(3600)).await;
    reply(200, "too late")
}

/// Reads up to `limit` bytes of the request body, then fails the connection: a failure mid-request.
pub async fn reset_after_reading(req: Request<Incoming>, limit: usize) -> HandlerResult {
    let mut body = req.into_body();
    let mut read = 0;
    while read < limit {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
            _ => break,
        }
    }
    Err(Fault::other(format!(
        "connection reset by the test after {read} bytes"
    )))
}

/// The value of header `name` of `req` as text; empty when absent or not text.
pub fn header_text(req: &Request<Incoming>, name: &str) -> String {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
