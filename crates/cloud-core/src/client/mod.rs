//! The HTTP client every provider shares.
//!
//! An [`HttpClient`] owns the connection pool, TLS configuration, proxy rules, concurrency limit, retry
//! defaults, clock and debug log. It is built once and cloned freely: a clone is a reference-count bump and
//! shares everything. Each provider asks it for an [`HttpService`], the full request pipeline with that
//! provider's [`Authorize`] and [`ErrorParser`]; services of one client share its pool and limit.
//!
//! ```
//! use std::time::Duration;
//! use cloud_core::{HttpClient, NoAuth, Operation, ServiceConfig};
//!
//! # fn main() -> cloud_core::Result<()> {
//! let client = HttpClient::builder()
//!     .connect_timeout(Duration::from_secs(5))
//!     .max_concurrency(Some(64))
//!     .build()?;
//! let service = client.service(ServiceConfig::new("example").authorizer(NoAuth));
//! // In async code: service.send(Operation::new("GetThing"), request).await?
//! # let _ = service;
//! # Ok(())
//! # }
//! ```

pub(crate) mod connector;
pub(crate) mod pool;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::HeaderValue;
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::CertificateDer;
use tokio::sync::Semaphore;

pub use connector::ProxyConfig;
use pool::{Connections, Pool};

use crate::clock::{Clock, SystemClock};
use crate::debug_log::DebugLog;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::transport::TransportShared;
use crate::pipeline::{
    Authorize, Call, CallContext, ErrorParser, GenericErrors, NoAuth, Operation, Pipeline, Request,
    Response, RetryConfig, Throttle, Transport,
};

/// The default `User-Agent`.
pub const USER_AGENT: &str = concat!("cloud-rs/", env!("CARGO_PKG_VERSION"));

/// A pooled HTTP client shared by every driver and task. See the [module docs](self).
#[derive(Clone)]
pub struct HttpClient {
    shared: Arc<ClientShared>,
}

struct ClientShared {
    transport: Arc<TransportShared>,
    limit: Option<Arc<Semaphore>>,
    retry: Arc<RetryConfig>,
    timeout: Option<Duration>,
    adaptive_throttling: bool,
}

// The promise to users: one client (and every service made from it) is shared by any number of tasks.
const _: fn() = || {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<HttpClient>();
    shareable::<HttpService>();
};

impl HttpClient {
    /// A client with the default settings (proxies from the environment).
    pub fn new() -> Result<HttpClient> {
        HttpClient::builder().build()
    }

    /// A builder for a client with other settings.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    /// The request pipeline for one provider, sharing this client's pool, limit and clock. Each
    /// service has its own adaptive throttle, shared by its clones.
    pub fn service(&self, config: ServiceConfig) -> HttpService {
        let shared = &self.shared;
        let retry = config
            .retry
            .map(Arc::new)
            .unwrap_or_else(|| shared.retry.clone());
        let throttle = shared
            .adaptive_throttling
            .then(|| Arc::new(Throttle::new(config.rate_limit_headers)));
        HttpService {
            pipeline: Arc::new(Pipeline {
                provider: config.provider,
                timeout: shared.timeout,
                limit: shared.limit.clone(),
                retry,
                throttle,
                authorizer: config.authorizer,
                transport: Transport::new(shared.transport.clone(), config.errors),
            }),
        }
    }

    /// The clock this client's retries and timers use.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.shared.transport.clock.clone()
    }
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        f.debug_struct("HttpClient")
            .field("max_concurrency", &shared.limit.as_ref().map(|_| "limited"))
            .field("retry", &shared.retry)
            .field("attempt_timeout", &shared.transport.attempt_timeout)
            .field("timeout", &shared.timeout)
            .field("adaptive_throttling", &shared.adaptive_throttling)
            .field("proxies", &shared.transport.proxies)
            .finish_non_exhaustive()
    }
}

/// Settings for an [`HttpClient`].
#[must_use]
pub struct HttpClientBuilder {
    connect_timeout: Duration,
    first_byte_timeout: Option<Duration>,
    read_idle_timeout: Option<Duration>,
    attempt_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_concurrency: Option<usize>,
    adaptive_throttling: bool,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    user_agent: String,
    proxies: Option<ProxyConfig>,
    retry: RetryConfig,
    clock: Arc<dyn Clock>,
    debug_log: Option<DebugLog>,
    extra_roots: Vec<CertificateDer<'static>>,
    #[cfg(feature = "native-roots")]
    native_roots: bool,
    #[cfg(feature = "http2")]
    http2: bool,
}

impl Default for HttpClientBuilder {
    fn default() -> HttpClientBuilder {
        HttpClientBuilder {
            connect_timeout: Duration::from_secs(10),
            first_byte_timeout: Some(Duration::from_secs(30)),
            read_idle_timeout: Some(Duration::from_secs(30)),
            attempt_timeout: Some(Duration::from_secs(120)),
            timeout: None,
            max_concurrency: Some(256),
            adaptive_throttling: true,
            pool_idle_timeout: Duration::from_secs(60),
            pool_max_idle_per_host: 256,
            user_agent: USER_AGENT.to_owned(),
            proxies: None,
            retry: RetryConfig::default(),
            clock: Arc::new(SystemClock),
            debug_log: None,
            extra_roots: Vec::new(),
            #[cfg(feature = "native-roots")]
            native_roots: false,
            #[cfg(feature = "http2")]
            http2: false,
        }
    }
}

impl HttpClientBuilder {
    /// How long to wait for a TCP connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a request whose body is small (1 MiB at most, or none) may wait for the response
    /// headers once sent (default 30 s; `None` for no limit). Requests with larger bodies are bounded
    /// by the attempt timeout instead: their upload itself may take that long. A stalled attempt of an
    /// idempotent call is retried.
    pub fn first_byte_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.first_byte_timeout = timeout;
        self
    }

    /// How long a read of a response body may wait for its next byte (default 30 s; `None` for no
    /// limit); the reader's own time between reads does not count. The read then fails with
    /// [`ErrorKind::Timeout`]; downloads that can resume do so.
    pub fn read_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.read_idle_timeout = timeout;
        self
    }

    /// How long one attempt may take to produce response headers, or its whole body for buffered calls
    /// (default 120 s; `None` for no limit). A stalled attempt of an idempotent call is retried.
    pub fn attempt_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// How long a whole call, retries included, may take to produce a response (default: no limit
    /// beyond the retry budget).
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// At most this many requests in flight at once across all services of the client (default 256;
    /// `None` for no limit). Callers beyond the limit wait their turn; a streamed response holds its place
    /// until its body is read or dropped, so the limit also bounds open connections.
    pub fn max_concurrency(mut self, limit: Option<usize>) -> Self {
        self.max_concurrency = limit.map(|n| n.max(1));
        self
    }

    /// Whether each service paces its requests once the server pushes back (429, 503, or a
    /// throttling code), so that every task sharing it slows down together (default on). See
    /// [`pipeline::throttle`](crate::pipeline::throttle).
    pub fn adaptive_throttling(mut self, enabled: bool) -> Self {
        self.adaptive_throttling = enabled;
        self
    }

    /// How long an idle pooled connection is kept (default 60 s).
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// How many idle connections are kept per host (default 256).
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// The `User-Agent` header (default `cloud-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Proxy rules (default: [`ProxyConfig::from_env`]).
    pub fn proxies(mut self, proxies: ProxyConfig) -> Self {
        self.proxies = Some(proxies);
        self
    }

    /// The default retry policy for services of this client.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.retry = retry;
        self
    }

    /// The clock for retry delays and budgets (default: the system clock; tests use a
    /// [`ManualClock`](crate::ManualClock)).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where debug lines go besides `tracing` (default: [`DebugLog::from_env`], standard error when
    /// `CLOUD_DEBUG=1`).
    pub fn debug_log(mut self, log: DebugLog) -> Self {
        self.debug_log = Some(log);
        self
    }

    /// Trusts one more root certificate (DER), for private endpoints.
    pub fn add_root_certificate(mut self, der: impl Into<CertificateDer<'static>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// Also trusts the operating system's certificate store.
    #[cfg(feature = "native-roots")]
    pub fn native_roots(mut self, enabled: bool) -> Self {
        self.native_roots = enabled;
        self
    }

    /// Offers HTTP/2 by ALPN on TLS connections (default off: one saturated HTTP/2 connection is slower
    /// for bulk transfer than a pool of HTTP/1.1 connections).
    #[cfg(feature = "http2")]
    pub fn http2(mut self, enabled: bool) -> Self {
        self.http2 = enabled;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<HttpClient> {
        let tls = self.tls_config()?;
        let user_agent = HeaderValue::try_from(self.user_agent).map_err(|_| {
            Error::invalid_input("the User-Agent contains characters not allowed in a header")
        })?;
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.connect_timeout));
        let proxies = self.proxies.unwrap_or_else(ProxyConfig::from_env);
        let tcp = connector::ProxyConnector::new(http, proxies.clone());
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1();
        #[cfg(feature = "http2")]
        let https = if self.http2 {
            https.enable_http2().wrap_connector(tcp)
        } else {
            https.wrap_connector(tcp)
        };
        #[cfg(not(feature = "http2"))]
        let https = https.wrap_connector(tcp);

        let pool = || {
            Connections::Pool(Arc::new(Pool::new(
                https.clone(),
                self.pool_idle_timeout,
                self.pool_max_idle_per_host,
            )))
        };
        #[cfg(feature = "http2")]
        let connections = if self.http2 {
            Connections::Multiplexed(Box::new(
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .pool_timer(hyper_util::rt::TokioTimer::new())
                    .timer(hyper_util::rt::TokioTimer::new())
                    .pool_idle_timeout(self.pool_idle_timeout)
                    .pool_max_idle_per_host(self.pool_max_idle_per_host)
                    .build(https.clone()),
            ))
        } else {
            pool()
        };
        #[cfg(not(feature = "http2"))]
        let connections = pool();
        let transport = TransportShared {
            connections,
            proxies,
            debug: self.debug_log.unwrap_or_else(DebugLog::from_env),
            user_agent,
            clock: self.clock,
            first_byte_timeout: self.first_byte_timeout,
            read_idle_timeout: self.read_idle_timeout,
            attempt_timeout: self.attempt_timeout,
        };
        Ok(HttpClient {
            shared: Arc::new(ClientShared {
                transport: Arc::new(transport),
                limit: self.max_concurrency.map(|n| Arc::new(Semaphore::new(n))),
                retry: Arc::new(self.retry),
                timeout: self.timeout,
                adaptive_throttling: self.adaptive_throttling,
            }),
        })
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in &self.extra_roots {
            roots.add(cert.clone()).map_err(|e| {
                Error::invalid_input("a root certificate could not be parsed").with_source(e)
            })?;
        }
        #[cfg(feature = "native-roots")]
        if self.native_roots {
            // Unreadable system certificates are skipped, as curl does; the webpki roots remain.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
        // An explicit provider, so an application that also links another rustls backend cannot make the
        // process-wide default ambiguous.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                Error::new(ErrorKind::Unexpected, "TLS configuration failed").with_source(e)
            })?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(config)
    }
}

impl fmt::Debug for HttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClientBuilder")
            .field("connect_timeout", &self.connect_timeout)
            .field("first_byte_timeout", &self.first_byte_timeout)
            .field("read_idle_timeout", &self.read_idle_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("timeout", &self.timeout)
            .field("max_concurrency", &self.max_concurrency)
            .field("adaptive_throttling", &self.adaptive_throttling)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What makes one provider's pipeline its own: its name, how it authorizes, how it reads errors, and
/// optionally its own retry policy.
#[must_use]
pub struct ServiceConfig {
    provider: &'static str,
    authorizer: Arc<dyn Authorize>,
    errors: Arc<dyn ErrorParser>,
    retry: Option<RetryConfig>,
    rate_limit_headers: bool,
}

impl ServiceConfig {
    /// A service for `provider` with no authorization and generic error parsing.
    pub fn new(provider: &'static str) -> ServiceConfig {
        ServiceConfig {
            provider,
            authorizer: Arc::new(NoAuth),
            errors: Arc::new(GenericErrors),
            retry: None,
            rate_limit_headers: false,
        }
    }

    /// How requests are signed or given credentials.
    pub fn authorizer(self, authorizer: impl Authorize) -> ServiceConfig {
        self.shared_authorizer(Arc::new(authorizer))
    }

    /// Like [`authorizer`](ServiceConfig::authorizer), for an authorizer that is already shared.
    pub fn shared_authorizer(mut self, authorizer: Arc<dyn Authorize>) -> ServiceConfig {
        self.authorizer = authorizer;
        self
    }

    /// How error responses become [`Error`]s.
    pub fn errors(mut self, errors: impl ErrorParser) -> ServiceConfig {
        self.errors = Arc::new(errors);
        self
    }

    /// A retry policy for this service instead of the client's.
    pub fn retry(mut self, retry: RetryConfig) -> ServiceConfig {
        self.retry = Some(retry);
        self
    }

    /// Whether a success saying `ratelimit-remaining: 0` (or `x-ratelimit-remaining`) pauses the
    /// service until its `ratelimit-reset`, for APIs that count requests and say so (DigitalOcean,
    /// Linode). Off by default: reading the headers costs every request a lookup.
    pub fn rate_limit_headers(mut self, read: bool) -> ServiceConfig {
        self.rate_limit_headers = read;
        self
    }
}

impl fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("provider", &self.provider)
            .field("authorizer", &self.authorizer)
            .field("errors", &self.errors)
            .field("retry", &self.retry)
            .field("rate_limit_headers", &self.rate_limit_headers)
            .finish()
    }
}

/// One provider's request pipeline. Cheap to clone; share it across tasks.
#[derive(Clone)]
pub struct HttpService {
    pipeline: Arc<Pipeline>,
}

impl HttpService {
    /// Sends `request` and returns the response with its body still streaming.
    ///
    /// Only 2xx responses are `Ok`; any other status becomes an [`Error`] through the provider's
    /// [`ErrorParser`]. Failures are retried per the retry policy when the body can be replayed.
    pub fn send(
        &self,
        operation: impl Into<Operation>,
        request: Request,
    ) -> impl Future<Output = Result<Response>> + Send + 'static {
        self.call(operation.into(), request, false)
    }

    /// Sends `request` and reads the whole response body within each attempt, so a body cut short is
    /// retried like any other failure (for idempotent operations). Use it for small responses: listings,
    /// metadata, JSON and XML documents.
    pub fn send_buffered(
        &self,
        operation: impl Into<Operation>,
        request: Request,
    ) -> impl Future<Output = Result<Response>> + Send + 'static {
        self.call(operation.into(), request, true)
    }

    /// The provider this service speaks for.
    pub fn provider(&self) -> &'static str {
        self.pipeline.provider
    }

    fn call(
        &self,
        operation: Operation,
        request: Request,
        buffered: bool,
    ) -> impl Future<Output = Result<Response>> + Send + 'static {
        let context = CallContext::new(
            self.pipeline.provider,
            operation,
            request.method(),
            buffered,
        );
        // Boxed before any future holds it, so that moving the futures moves a pointer.
        self.pipeline.call(Call {
            request: Box::new(request),
            context,
        })
    }
}

impl fmt::Debug for HttpService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpService")
            .field("provider", &self.pipeline.provider)
            .finish_non_exhaustive()
    }
}
