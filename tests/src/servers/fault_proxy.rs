//! A fault-injecting HTTP proxy between a client and a real server, in this process on `127.0.0.1:0`.
//!
//! Every request is forwarded as it came (the `Host` header included, so SigV4 signatures still verify
//! upstream) unless the script says otherwise for it: answer `503 SlowDown` or another status, break
//! the connection after reading part of the request body, break or stall it after sending part of the
//! response body, or forward it and answer with other bytes. The script is a function of each request,
//! or a [`Plan`] that tests arm as they go.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::server::{Body, Fault};

/// What to do with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Forward it.
    Pass,
    /// Answer `503 SlowDown` without forwarding.
    SlowDown,
    /// Read this many bytes of the request body, then break the connection.
    CutRequest(usize),
    /// Forward it, send this many bytes of the response body, then break the connection.
    CutResponse(usize),
    /// Forward it, send this many bytes of the response body, then send nothing more (for an hour).
    StallResponse(usize),
    /// Answer this status with a short text body, without forwarding.
    Status(u16),
    /// Forward it, then answer `200` with this body instead of the server's.
    Replace(&'static str),
    /// Forward it and answer with the server's headers and body, one byte of the body changed.
    Corrupt,
    /// Forward it (the server acts on it), then answer this status instead of the server's answer.
    Swallow(u16),
}

/// Which requests a [`Plan`] rule is for.
pub type Matcher = Arc<dyn Fn(&Method, &str) -> bool + Send + Sync>;

/// Faults armed while a test runs: each rule gives its action to the next requests it matches, as
/// many times as it was armed for; any other request passes.
#[derive(Clone, Default)]
pub struct Plan {
    rules: Arc<Mutex<Vec<(Matcher, Action, usize)>>>,
}

impl Plan {
    /// Gives `action` to the next `times` requests that `matches`.
    pub fn arm(&self, matches: Matcher, action: Action, times: usize) {
        self.rules.lock().unwrap().push((matches, action, times));
    }

    /// Drops every rule.
    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
    }

    /// The action for one request.
    fn action(&self, method: &Method, target: &str) -> Action {
        let mut rules = self.rules.lock().unwrap();
        for (matches, action, left) in rules.iter_mut() {
            if *left > 0 && matches(method, target) {
                *left -= 1;
                return *action;
            }
        }
        Action::Pass
    }
}

/// A request as the proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    /// The method.
    pub method: Method,
    /// Path and query.
    pub target: String,
    /// The headers.
    pub headers: HeaderMap,
    /// What the script chose.
    pub action: Action,
}

type Script = Arc<dyn Fn(&Method, &str, usize) -> Action + Send + Sync>;

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    accept_loop: JoinHandle<()>,
}

impl FaultProxy {
    /// A proxy to `upstream` (`http://host:port`). `script(method, path_and_query, n)` chooses the action
    /// for the n-th request (from 0) it sees.
    pub async fn start(
        upstream: &str,
        script: impl Fn(&Method, &str, usize) -> Action + Send + Sync + 'static,
    ) -> FaultProxy {
        let script: Script = Arc::new(script);
        let upstream: Arc<str> = upstream.trim_end_matches('/').into();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let own: Arc<str> = format!("http://{addr}").into();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let counter = Arc::new(AtomicUsize::new(0));
        let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .build_http::<Full<Bytes>>();
        let recorded = seen.clone();
        let accept_loop = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (script, upstream, seen, counter, client, own) = (
                    script.clone(),
                    upstream.clone(),
                    recorded.clone(),
                    counter.clone(),
                    client.clone(),
                    own.clone(),
                );
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let (script, upstream, seen, counter, client, own) = (
                            script.clone(),
                            upstream.clone(),
                            seen.clone(),
                            counter.clone(),
                            client.clone(),
                            own.clone(),
                        );
                        async move {
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            let target = req
                                .uri()
                                .path_and_query()
                                .map(|p| p.to_string())
                                .unwrap_or_default();
                            let action = script(req.method(), &target, n);
                            seen.lock().unwrap().push(Seen {
                                method: req.method().clone(),
                                target: target.clone(),
                                headers: req.headers().clone(),
                                action,
                            });
                            handle(req, action, (&upstream, &own), &target, &client).await
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FaultProxy {
            addr,
            seen,
            accept_loop,
        }
    }

    /// A proxy to `upstream` whose faults `plan` decides.
    pub async fn planned(upstream: &str, plan: Plan) -> FaultProxy {
        FaultProxy::start(upstream, move |method, target, _| {
            plan.action(method, target)
        })
        .await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

/// Handles one request; `(upstream, own)` are the server's and the proxy's base URLs, so that URLs of
/// the server in its answers (an OpenStack catalog) lead back through the proxy.
async fn handle(
    req: Request<Incoming>,
    action: Action,
    (upstream, own): (&str, &str),
    target: &str,
    client: &hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        Full<Bytes>,
    >,
) -> Result<Response<Body>, Fault> {
    let (parts, body) = req.into_parts();
    if let Action::CutRequest(limit) = action {
        let mut body = body;
        let mut read = 0;
        while read < limit {
            match body.frame().await {
                Some(Ok(frame)) => read += frame.data_ref().map_or(0, |d| d.len()),
                _ => break,
            }
        }
        return Err(Fault::other(format!(
            "the proxy broke the connection after {read} request bytes"
        )));
    }
    let body = body.collect().await.map_err(Fault::other)?.to_bytes();
    if let Action::Status(status) = action {
        return Ok(crate::server::text(status, "injected by the fault proxy"));
    }
    if action == Action::SlowDown {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>PROXY</RequestId></Error>";
        let mut response = crate::server::text(503, xml);
        response
            .headers_mut()
            .insert("content-type", "application/xml".parse().unwrap());
        return Ok(response);
    }
    let mut forward = Request::builder()
        .method(parts.method)
        .uri(format!("{upstream}{target}"))
        .body(Full::new(body))
        .map_err(Fault::other)?;
    *forward.headers_mut() = parts.headers;
    let response = client.request(forward).await.map_err(Fault::other)?;
    let (mut parts, body) = response.into_parts();
    let mut body = body.collect().await.map_err(Fault::other)?.to_bytes();
    if let Ok(text) = std::str::from_utf8(&body) {
        if text.contains(upstream) {
            body = Bytes::from(text.replace(upstream, own));
            parts.headers.remove(http::header::CONTENT_LENGTH);
        }
    }
    match action {
        Action::Replace(text) => return Ok(crate::server::text(200, text)),
        Action::Swallow(status) => {
            return Ok(crate::server::text(
                status,
                "the server acted; the proxy lost its answer",
            ))
        }
        _ => {}
    }
    let body = match action {
        Action::Corrupt if !body.is_empty() => {
            let mut changed = body.to_vec();
            let middle = changed.len() / 2;
            changed[middle] ^= 0x20;
            Bytes::from(changed)
        }
        _ => body,
    };
    let body: Body = match action {
        Action::CutResponse(limit) if limit < body.len() => {
            // Fail only after a pause, so the first bytes reach the client before the break.
            then(
                body.slice(..limit),
                std::time::Duration::from_millis(50),
                "the proxy broke the connection mid-response",
            )
        }
        Action::StallResponse(limit) if limit < body.len() => then(
            body.slice(..limit),
            std::time::Duration::from_secs(3600),
            "the proxy stalled",
        ),
        _ => Full::new(body).map_err(|never| match never {}).boxed(),
    };
    Ok(Response::from_parts(parts, body))
}

/// A body of `head`, then after `wait` a failure saying `why`.
fn then(head: Bytes, wait: std::time::Duration, why: &'static str) -> Body {
    let head = futures_util::stream::iter([Ok::<_, Fault>(Frame::data(head))]);
    let fail = futures_util::stream::once(async move {
        tokio::time::sleep(wait).await;
        Err(Fault::other(why))
    });
    BodyExt::boxed(StreamBody::new(futures_util::StreamExt::chain(head, fail)))
}
