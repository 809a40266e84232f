//! The request pipeline, as tower layers, outermost first:
//!
//! 1. [`Trace`]: a `tracing` span per call; adds provider and operation to errors.
//! 2. [`Limit`]: at most N requests in flight per client (the permit is held until the body is read).
//! 3. [`Retry`]: backoff, `Retry-After`, attempt and time budgets; replays only replayable bodies;
//!    paces attempts through the service's adaptive [`throttle`] once the server pushes back.
//! 4. [`Authorize`]: the provider signs or adds a token, **on every attempt**.
//! 5. [`Transport`]: sends over the pooled hyper client within the attempt's [timeouts](timeout)
//!    (first byte, whole attempt), logs the exchange, turns error statuses into
//!    [`Error`](crate::Error)s through the provider's [`ErrorParser`](crate::ErrorParser).
//!
//! Each layer is a small concrete type, so the whole stack is one concrete type. Trace, limit and
//! authorize return named futures that allocate nothing (authorize boxes only when credentials must be
//! awaited); retry and transport box theirs.

use std::borrow::Cow;

use crate::body::{Body, ResponseBody};

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

pub(crate) use authorize::AuthorizeService;
pub(crate) use limit::Limit;
pub(crate) use retry::Retry;
pub(crate) use throttle::Throttle;
pub(crate) use trace::Trace;
pub(crate) use transport::Transport;

/// A request through the pipeline.
pub type Request = http::Request<Body>;
/// A response from the pipeline: always a success (2xx) status; other statuses are errors.
pub type Response = http::Response<ResponseBody>;

/// A response as it passes up through the layers: boxed, since moving it by value through each
/// layer's future copied its 224 bytes a dozen times a call.
pub(crate) type Reply = Box<Response>;

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

/// A request on its way through the pipeline, with what the layers need to know about it. (Carried
/// beside the request rather than in its extensions, which would cost allocations on every attempt.)
#[derive(Debug)]
pub(crate) struct Call {
    /// Boxed: the call passes through every layer, and a request is 264 bytes to copy at each move.
    pub(crate) request: Box<Request>,
    pub(crate) context: CallContext,
}

impl Call {
    /// A copy for another attempt, when the body can be replayed.
    pub(crate) fn try_clone(&self) -> Option<Call> {
        Some(Call {
            request: Box::new(crate::request::try_clone(&self.request)?),
            context: self.context.clone(),
        })
    }
}

/// What every layer may need to know about a call.
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
