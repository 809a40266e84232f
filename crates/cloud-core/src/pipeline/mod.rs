//! The request pipeline, each call through these steps, outermost first:
//!
//! 1. trace: a `tracing` span per call; adds provider and operation to errors.
//! 2. limit: at most N requests in flight per client (the permit is held until the body is read).
//! 3. retry: backoff, `Retry-After`, attempt and time budgets; replays only replayable bodies;
//!    paces attempts through the service's adaptive [`throttle`] once the server pushes back.
//! 4. [authorize](Authorize): the provider signs or adds a token, **on every attempt**.
//! 5. transport: sends over the pooled hyper client within the attempt's timeouts
//!    (first byte, whole attempt), logs the exchange, turns error statuses into
//!    [`Error`]s through the provider's [`ErrorParser`].
//!
//! The steps are plain async functions over one shared `Pipeline`, so a call costs one boxed future
//! and one reference-count bump, not a stack of services cloned and polled layer by layer (tower's
//! way, which cost every request a dozen atomic counts and three nested futures). Only credentials
//! that must be fetched box a second future.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use smallvec::SmallVec;
use tokio::sync::Semaphore;

use crate::body::{Body, ResponseBody};
use crate::error::{Error, ErrorKind, Result};

pub(crate) mod authorize;
pub(crate) mod limit;
pub(crate) mod retry;
pub mod throttle;
pub(crate) mod timeout;
pub(crate) mod trace;
pub(crate) mod transport;

pub use authorize::{Authorize, BearerToken, NoAuth};
pub use retry::RetryConfig;
pub use transport::{body_summary, default_error, ErrorParser, GenericErrors};

pub(crate) use throttle::Throttle;
pub(crate) use transport::Transport;

/// A request through the pipeline.
pub type Request = http::Request<Body>;
/// A response from the pipeline: always a success (2xx) status; other statuses are errors.
pub type Response = http::Response<ResponseBody>;

/// A response as it passes up through the steps: boxed, since each step's future moves it, and its
/// 224 bytes copied at every move cost more than the box.
pub(crate) type Reply = Box<Response>;

/// What every call of one service goes through (see the [module docs](self)).
pub(crate) struct Pipeline {
    pub(crate) provider: &'static str,
    /// The whole call's bound, waits for the limit and between attempts included.
    pub(crate) timeout: Option<Duration>,
    pub(crate) limit: Option<Arc<Semaphore>>,
    pub(crate) retry: Arc<RetryConfig>,
    pub(crate) throttle: Option<Arc<Throttle>>,
    /// While its credentials are fetched and can be renewed, the retry step keeps a copy of each
    /// request for the one more attempt a refusal of them earns, even where retries are off.
    pub(crate) authorizer: Arc<dyn Authorize>,
    pub(crate) transport: Transport,
}

/// A call's future, boxed once: callers hold and move it, and it holds a whole attempt.
pub(crate) type CallFuture = Pin<Box<dyn Future<Output = Result<Response>> + Send>>;

impl Pipeline {
    /// `call` through every step.
    pub(crate) fn call(self: &Arc<Pipeline>, call: Call) -> CallFuture {
        let span = trace::span(&call);
        let name = call.context.operation.clone();
        let pipeline = self.clone();
        Box::pin(async move {
            let steps = trace::Traced::new(pipeline.limited(call), span);
            let result = match pipeline.timeout {
                None => steps.await,
                Some(limit) => tokio::time::timeout(limit, steps)
                    .await
                    .unwrap_or_else(|_| {
                        Err(Error::new(
                            ErrorKind::Timeout,
                            format!("no response within the call timeout of {limit:?}"),
                        ))
                    }),
            };
            match result {
                Ok(response) => Ok(*response),
                Err(err) => Err(err.with_provider(pipeline.provider).with_operation(name)),
            }
        })
    }

    /// The retried call within the client's concurrency limit, whose permit the response body keeps.
    async fn limited(&self, call: Call) -> Result<Reply> {
        let permit = limit::permit(self.limit.as_ref()).await?;
        let mut reply = self.retried(call).await?;
        if let Some(permit) = permit {
            reply.body_mut().set_permit(permit);
        }
        Ok(reply)
    }
}

/// The name of an operation (`GetObject`, `RunInstances`, …) and how it may be retried.
///
/// ```
/// use cloud_core::Operation;
///
/// // RunInstances is a POST, but a client token makes repeating it safe.
/// let op = Operation::new("RunInstances").idempotent(true);
/// assert_eq!(op.name(), "RunInstances");
/// ```
#[derive(Clone, Debug)]
pub struct Operation {
    name: Cow<'static, str>,
    idempotent: Option<bool>,
}

impl Operation {
    /// An operation whose idempotency follows its HTTP method (all but `POST` and `PATCH` are idempotent).
    pub const fn new(name: &'static str) -> Operation {
        Operation {
            name: Cow::Borrowed(name),
            idempotent: None,
        }
    }

    /// Says whether repeating the request is safe, overriding the method's default: a `POST` with a
    /// client token is, a `PUT` that appends is not.
    pub fn idempotent(mut self, idempotent: bool) -> Operation {
        self.idempotent = Some(idempotent);
        self
    }

    /// The operation's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl From<&'static str> for Operation {
    fn from(name: &'static str) -> Operation {
        Operation::new(name)
    }
}

/// A request on its way through the pipeline, with what the steps need to know about it. (Carried
/// beside the request rather than in its extensions, which would cost allocations on every attempt.)
#[derive(Debug)]
pub(crate) struct Call {
    /// Boxed: the call passes through every step, and a request is 264 bytes to copy at each move.
    pub(crate) request: Box<Request>,
    pub(crate) context: CallContext,
}

impl Call {
    /// What it takes to send this call again, when its body can be replayed.
    pub(crate) fn replay(&self) -> Option<Replay> {
        let request = &self.request;
        Some(Replay {
            body: request.body().try_clone()?,
            method: request.method().clone(),
            uri: request.uri().clone(),
            version: request.version(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            extensions: request.extensions().clone(),
            context: self.context.clone(),
        })
    }
}

/// A call's request as it was before it was signed, kept for another attempt. The headers are kept
/// as a list on the stack: a copied `HeaderMap` costs three allocations, and two more as the copy,
/// sized to fit, grows by the headers signing adds.
pub(crate) struct Replay {
    method: http::Method,
    uri: http::Uri,
    version: http::Version,
    headers: SmallVec<[(http::HeaderName, http::HeaderValue); 4]>,
    extensions: http::Extensions,
    body: Body,
    pub(crate) context: CallContext,
}

impl Replay {
    /// The call to send again.
    pub(crate) fn into_call(self) -> Call {
        let mut request = http::Request::new(self.body);
        *request.method_mut() = self.method;
        *request.uri_mut() = self.uri;
        *request.version_mut() = self.version;
        *request.extensions_mut() = self.extensions;
        let headers = request.headers_mut();
        *headers = crate::request::header_map_for(self.headers.len());
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        Call {
            request: Box::new(request),
            context: self.context,
        }
    }
}

/// What every step may need to know about a call.
#[derive(Clone, Debug)]
pub(crate) struct CallContext {
    pub(crate) provider: &'static str,
    pub(crate) operation: Cow<'static, str>,
    pub(crate) idempotent: bool,
    /// Read the whole body inside the attempt, so a body cut short is retried like any other failure.
    pub(crate) buffered: bool,
    /// The attempt is the one more that follows a refusal of fetched credentials: a refusal now is
    /// the call's error.
    pub(crate) renewed: bool,
}

impl CallContext {
    pub(crate) fn new(
        provider: &'static str,
        operation: Operation,
        method: &http::Method,
        buffered: bool,
    ) -> CallContext {
        let default_idempotent = !matches!(*method, http::Method::POST | http::Method::PATCH);
        CallContext {
            provider,
            idempotent: operation.idempotent.unwrap_or(default_idempotent),
            operation: operation.name,
            buffered,
            renewed: false,
        }
    }
}
