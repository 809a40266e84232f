//! Opening connections: TCP with `TCP_NODELAY`, through a proxy when the proxy rules say so, then TLS.
//!
//! Proxy rules are hyper-util's [`Matcher`] (the curl rules for `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and
//! `NO_PROXY`). An `https://` destination behind a proxy is reached through a `CONNECT` tunnel
//! (hyper-util's [`Tunnel`]), with TLS end to end; an `http://` destination is sent to the proxy in
//! absolute form.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::error::BoxError;

/// Which proxies to use.
#[derive(Clone, Default)]
pub struct ProxyConfig {
    matcher: Option<Arc<Matcher>>,
}

impl ProxyConfig {
    /// Proxies from `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case), as curl reads them.
    pub fn from_env() -> ProxyConfig {
        ProxyConfig {
            matcher: Some(Arc::new(Matcher::from_env())),
        }
    }

    /// Never use a proxy.
    pub fn none() -> ProxyConfig {
        ProxyConfig::default()
    }

    /// Explicit rules: the proxy for `http://` and for `https://` destinations (URLs such as
    /// `http://user:pass@proxy:3128`; empty for none) and a `NO_PROXY`-style list of exceptions.
    pub fn explicit(http: &str, https: &str, no_proxy: &str) -> ProxyConfig {
        let matcher = Matcher::builder()
            .http(http.to_owned())
            .https(https.to_owned())
            .no(no_proxy.to_owned())
            .build();
        ProxyConfig {
            matcher: Some(Arc::new(matcher)),
        }
    }

    /// The `Proxy-Authorization` value for a plain-HTTP request to `uri`, when it goes through a proxy
    /// that has credentials.
    pub(crate) fn http_proxy_auth(&self, uri: &Uri) -> Option<http::HeaderValue> {
        if uri.scheme() != Some(&http::uri::Scheme::HTTP) {
            return None;
        }
        let intercept = self.matcher.as_ref()?.intercept(uri)?;
        intercept.basic_auth().cloned()
    }
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Matcher's Debug hides credentials.
        f.debug_struct("ProxyConfig")
            .field("matcher", &self.matcher)
            .finish()
    }
}

/// A TCP connector that honours the proxy rules; TLS is layered on top by hyper-rustls.
#[derive(Clone)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    proxies: ProxyConfig,
}

impl ProxyConnector {
    pub(crate) fn new(http: HttpConnector, proxies: ProxyConfig) -> ProxyConnector {
        ProxyConnector { http, proxies }
    }
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let intercept = self
            .proxies
            .matcher
            .as_ref()
            .and_then(|m| m.intercept(&dst));
        let mut http = self.http.clone();
        Box::pin(async move {
            let Some(intercept) = intercept else {
                let io = http.call(dst).await?;
                return Ok(ProxyStream {
                    io,
                    absolute_form: false,
                });
            };
            if dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
                let mut tunnel = Tunnel::new(intercept.uri().clone(), http);
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let io = tunnel.call(dst).await?;
                Ok(ProxyStream {
                    io,
                    absolute_form: false,
                })
            } else {
                let io = http.call(intercept.uri().clone()).await?;
                Ok(ProxyStream {
                    io,
                    absolute_form: true,
                })
            }
        })
    }
}

/// A TCP stream, direct or through a proxy.
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    /// Requests go to an HTTP proxy, so hyper must send the URI in absolute form.
    absolute_form: bool,
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.absolute_form)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}
