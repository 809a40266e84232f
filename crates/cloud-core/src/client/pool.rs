//! The HTTP/1.1 connection pool: hyper's connection API under a pool of idle connections per host.
//!
//! hyper-util's legacy `Client` pools too, but per request it looks its pool up by a `(Scheme, Authority)`
//! key more than once, builds the `Host` header with `format!`, boxes a 2.7 KB future, inserts connection
//! info into the response's extensions (three allocations) and spawns a task that waits to put the
//! connection back. On the loopback bench, hyper's connection API under a minimal pool costs about 1.7 µs
//! less per request than that client (16% of its whole request). This pool looks a host up once per
//! request (its `Host` header made with its entry), keeps per host a lock-guarded stack of idle
//! connections, lends one to each exchange, and takes it back when the response body has been read to
//! its end, which the [`ResponseBody`](crate::ResponseBody) reports through its [`Lent`]. A body dropped
//! early takes its connection with it: hyper cannot reuse a connection with unread bytes.
//!
//! What hyper-util does and this keeps: connections made through the same connector (proxies, `CONNECT`
//! tunnels, TLS), the `Host` header, the request line in origin form (absolute form to an HTTP proxy),
//! idle connections dropped after the idle timeout and past the per-host maximum, and a request that a
//! reused connection refused before sending (the server had closed it) sent again on another one.

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::task::Poll;
use std::time::{Duration, Instant};

use http::uri::{Authority, Scheme};
use http::{HeaderValue, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::Connection;
use tower_service::Service;

use super::connector::ProxyConnector;
use crate::body::Body;
use crate::error::{BoxError, Error, ErrorKind, Result};

type Connector = HttpsConnector<ProxyConnector>;

/// How often a reused connection that turned out closed is replaced before the request fails.
const STALE_RETRIES: usize = 3;

/// Idle HTTP/1.1 connections by host, and the connector that makes new ones.
pub(crate) struct Pool {
    connector: Connector,
    /// `http` hosts, then `https` hosts, by authority.
    hosts: RwLock<[HashMap<Box<str>, Arc<Host>>; 2]>,
    idle_timeout: Duration,
    max_idle_per_host: usize,
    /// Whether the task that closes idle connections past their time has been started (with the first
    /// connection: building a client needs no runtime).
    reaper: AtomicBool,
}

/// One host's idle connections and its `Host` header, made once.
struct Host {
    value: HeaderValue,
    idle: Mutex<Vec<Idle>>,
    /// The pool's limits, here so that a connection goes back without a reference to the pool.
    idle_timeout: Duration,
    max_idle: usize,
}

struct Idle {
    sender: SendRequest<Body>,
    proxied: bool,
    since: Instant,
}

impl Host {
    /// Whether `conn` may still serve a request at `now`: within the idle timeout and not closed.
    fn usable(&self, conn: &Idle, now: Instant) -> bool {
        now.duration_since(conn.since) < self.idle_timeout && !conn.sender.is_closed()
    }
}

/// A connection lent to one exchange, back in its host's pool once the response body has been read.
pub(crate) struct Lent {
    host: Arc<Host>,
    sender: SendRequest<Body>,
    proxied: bool,
}

impl Lent {
    /// The exchange is over and its body read: the connection may serve another request once hyper is
    /// done with this one, which it almost always is by then. When it is not (a server that answered
    /// before reading the whole upload), the connection waits for that apart, up to the idle timeout,
    /// so that no request ever waits behind it.
    pub(crate) fn release(self) {
        if self.sender.is_closed() {
            return;
        }
        if self.sender.is_ready() {
            return self.pool();
        }
        let mut lent = self;
        let wait = lent.host.idle_timeout;
        tokio::spawn(async move {
            if let Ok(Ok(())) = tokio::time::timeout(wait, lent.sender.ready()).await {
                lent.pool();
            }
        });
    }

    /// Releases the connection in `slot`, if it still holds one.
    pub(crate) fn give_back(slot: &mut Option<Lent>) {
        if let Some(lent) = slot.take() {
            lent.release();
        }
    }

    /// Back on its host's stack of idle connections, unless that is full.
    fn pool(self) {
        let host = &self.host;
        let mut idle = host.idle.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        // The oldest sit at the bottom: drop those past their time.
        let expired = idle.iter().take_while(|c| !host.usable(c, now)).count();
        idle.drain(..expired);
        if idle.len() < host.max_idle {
            idle.push(Idle {
                sender: self.sender,
                proxied: self.proxied,
                since: now,
            });
        }
    }
}

impl Pool {
    pub(crate) fn new(
        connector: Connector,
        idle_timeout: Duration,
        max_idle_per_host: usize,
    ) -> Pool {
        Pool {
            connector,
            hosts: RwLock::default(),
            idle_timeout,
            max_idle_per_host,
            reaper: AtomicBool::new(false),
        }
    }

    /// Sends `request` (whose URI is absolute) on an idle connection to its host, or a new one.
    /// (Boxed as the pipeline keeps it, so that this future, which every attempt holds, stays small.)
    pub(crate) async fn send(
        self: &Arc<Pool>,
        mut request: Box<http::Request<Body>>,
    ) -> Result<(http::Response<Incoming>, Lent)> {
        let uri = request.uri().clone();
        let host = self.host(&uri)?;
        if !request.headers().contains_key(http::header::HOST) {
            request
                .headers_mut()
                .insert(http::header::HOST, host.value.clone());
        }
        let mut stale = 0;
        loop {
            let (mut sender, proxied, reused) = match Pool::idle(&host).await {
                Some(idle) => (idle.sender, idle.proxied, true),
                None => {
                    // Boxed: it is the rare path, and would otherwise size every request's future.
                    let (sender, proxied) = Box::pin(self.connect(&uri)).await?;
                    (sender, proxied, false)
                }
            };
            // The request line: the path, or the whole URI for an HTTP proxy.
            *request.uri_mut() = if proxied {
                uri.clone()
            } else {
                origin_form(&uri)
            };
            match sender.try_send_request(*request).await {
                Ok(response) => {
                    let lent = Lent {
                        host,
                        sender,
                        proxied,
                    };
                    return Ok((response, lent));
                }
                Err(mut err) => match err.take_message() {
                    // Refused unsent by a connection the server had closed while it was idle.
                    Some(unsent) if reused && stale < STALE_RETRIES => {
                        stale += 1;
                        *request = unsent;
                    }
                    Some(_) => return Err(send_error(err.into_error().into(), false)),
                    None => return Err(send_error(err.into_error().into(), true)),
                },
            }
        }
    }

    /// The pool's entry for the host of `uri`, made on first use.
    fn host(&self, uri: &Uri) -> Result<Arc<Host>> {
        let (https, authority) = key(uri)?;
        let hosts = self.hosts.read().unwrap_or_else(|e| e.into_inner());
        if let Some(host) = hosts[https].get(authority.as_str()) {
            return Ok(host.clone());
        }
        drop(hosts);
        let value = host_header(uri, authority)?;
        let mut hosts = self.hosts.write().unwrap_or_else(|e| e.into_inner());
        let host = hosts[https]
            .entry(authority.as_str().into())
            .or_insert_with(|| {
                Arc::new(Host {
                    value,
                    idle: Mutex::default(),
                    idle_timeout: self.idle_timeout,
                    max_idle: self.max_idle_per_host,
                })
            });
        Ok(host.clone())
    }

    /// The most recently used idle connection of `host` that is still open and ready, if any.
    async fn idle(host: &Host) -> Option<Idle> {
        loop {
            let mut found = {
                let mut idle = host.idle.lock().unwrap_or_else(|e| e.into_inner());
                idle.pop()?
            };
            if !host.usable(&found, Instant::now()) {
                continue;
            }
            // Pooled only once ready, so this answers at once: ready, or closed since. Anything else is
            // not waited for, as no request should wait on another's connection.
            let ready = poll_fn(|cx| Poll::Ready(found.sender.poll_ready(cx))).await;
            if let Poll::Ready(Ok(())) = ready {
                return Some(found);
            }
        }
    }

    /// A new connection to the host of `uri`, its hyper task spawned.
    async fn connect(self: &Arc<Pool>, uri: &Uri) -> Result<(SendRequest<Body>, bool)> {
        let io = self
            .connector
            .clone()
            .call(uri.clone())
            .await
            .map_err(|e| send_error(e, false))?;
        let proxied = io.connected().is_proxied();
        let (sender, connection) = http1::handshake(io)
            .await
            .map_err(|e| send_error(e.into(), false))?;
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(target: crate::debug_log::TARGET, error = %err, "connection closed");
            }
        });
        if !self.reaper.swap(true, Ordering::Relaxed) {
            tokio::spawn(reap(Arc::downgrade(self), self.idle_timeout));
        }
        Ok((sender, proxied))
    }

    /// Closes the idle connections past the idle timeout (or closed by their server), and forgets hosts
    /// with none left and none lent: connections to a host no longer asked for are not kept open.
    fn sweep(&self) {
        let mut hosts = self.hosts.write().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        for map in hosts.iter_mut() {
            map.retain(|_, host| {
                let mut idle = host.idle.lock().unwrap_or_else(|e| e.into_inner());
                idle.retain(|c| host.usable(c, now));
                !idle.is_empty() || Arc::strong_count(host) > 1
            });
        }
    }
}

/// Sweeps `pool` every half idle timeout (within 100 ms and 30 s) for as long as the pool exists.
async fn reap(pool: Weak<Pool>, idle_timeout: Duration) {
    // A client used from one runtime after another: when this task's runtime shuts down, the next
    // connection, on another runtime, starts the sweep again.
    struct Running(Weak<Pool>);
    impl Drop for Running {
        fn drop(&mut self) {
            if let Some(pool) = self.0.upgrade() {
                pool.reaper.store(false, Ordering::Relaxed);
            }
        }
    }
    let _running = Running(pool.clone());
    let every = (idle_timeout / 2).clamp(Duration::from_millis(100), Duration::from_secs(30));
    loop {
        tokio::time::sleep(every).await;
        let Some(pool) = pool.upgrade() else {
            return;
        };
        pool.sweep();
    }
}

/// Which of the pool's maps, and the authority.
fn key(uri: &Uri) -> Result<(usize, &Authority)> {
    let https = match uri.scheme() {
        Some(s) if *s == Scheme::HTTPS => 1,
        Some(s) if *s == Scheme::HTTP => 0,
        _ => return Err(Error::invalid_input("a request URL must be http or https")),
    };
    let authority = uri
        .authority()
        .ok_or_else(|| Error::invalid_input("a request URL must name its host"))?;
    Ok((https, authority))
}

/// `Host`: the host, with the port unless it is the scheme's default; no user info.
fn host_header(uri: &Uri, authority: &Authority) -> Result<HeaderValue> {
    let host = authority.host();
    let default_port = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let value = match authority.port_u16() {
        Some(port) if port != default_port => HeaderValue::try_from(format!("{host}:{port}")),
        _ => HeaderValue::try_from(host),
    };
    value.map_err(|_| Error::invalid_input("a request URL's host is not a valid Host header"))
}

/// The path and query alone, as a request line to the origin server has it.
fn origin_form(uri: &Uri) -> Uri {
    match uri.path_and_query() {
        Some(path) if path.as_str() != "/" => {
            let mut parts = http::uri::Parts::default();
            parts.path_and_query = Some(path.clone());
            Uri::from_parts(parts).expect("a path alone is a valid URI")
        }
        _ => Uri::default(),
    }
}

/// Where a client's requests go: this pool, or hyper-util's client when HTTP/2 is offered (its
/// connections are shared by many requests at once, which this pool does not do).
pub(crate) enum Connections {
    Pool(Arc<Pool>),
    #[cfg(feature = "http2")]
    Multiplexed(Box<hyper_util::client::legacy::Client<Connector, Body>>),
}

impl Connections {
    /// Sends `request`; the response comes with its connection when that goes back to the pool once the
    /// body is read.
    pub(crate) async fn send(
        &self,
        request: Box<http::Request<Body>>,
    ) -> Result<(http::Response<Incoming>, Option<Lent>)> {
        match self {
            Connections::Pool(pool) => pool.send(request).await.map(|(r, lent)| (r, Some(lent))),
            #[cfg(feature = "http2")]
            Connections::Multiplexed(client) => match client.request(*request).await {
                Ok(response) => Ok((response, None)),
                Err(err) => {
                    let sent = !err.is_connect();
                    Err(send_error(err.into(), sent))
                }
            },
        }
    }
}

/// A failure to exchange: before anything reached the server (`sent` false, safe to try again), or
/// while the request may have. A certificate or handshake problem will not go away by trying again.
fn send_error(err: BoxError, sent: bool) -> Error {
    if is_tls_failure(&*err) {
        return Error::new(ErrorKind::Transport, "TLS handshake failed").with_source(err);
    }
    if !sent {
        return Error::connect(err);
    }
    Error::exchange(
        ErrorKind::Transport,
        "connection failed during the request",
        Some(err),
    )
}

fn is_tls_failure(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(err);
    while let Some(cause) = source {
        if cause.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
            {
                return true;
            }
        }
        source = cause.source();
    }
    false
}
