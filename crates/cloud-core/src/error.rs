//! One error type for every provider and service.
//!
//! An [`Error`] has a [`kind`](Error::kind) to branch on and context to read: the provider, the operation,
//! the resource, the HTTP status, the provider's own error code and message, the request id, how long the
//! server asked us to wait, and the underlying cause. `Display` prints all of it, including the whole chain
//! of causes, on one line.
//!
//! ```
//! use cloud_core::{Error, ErrorKind};
//! use http::StatusCode;
//!
//! let err = Error::from_status(StatusCode::NOT_FOUND)
//!     .with_provider("s3")
//!     .with_operation("GetObject")
//!     .with_resource("bucket/key")
//!     .with_code("NoSuchKey");
//! assert_eq!(err.kind(), ErrorKind::NotFound);
//! assert_eq!(err.to_string(), "s3 GetObject bucket/key: not found (HTTP 404, NoSuchKey)");
//! ```

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// A boxed error that can cross threads: the type of every error's underlying cause.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The container, object, node or other resource does not exist.
    NotFound,
    /// The resource exists already.
    AlreadyExists,
    /// The container is not empty, so it cannot be deleted.
    NotEmpty,
    /// The credentials are valid but do not allow this operation.
    PermissionDenied,
    /// The credentials are missing, malformed, expired or wrong.
    Unauthenticated,
    /// The provider asked us to slow down.
    RateLimited,
    /// A condition (`If-Match`, `If-Unmodified-Since`, …) did not hold.
    PreconditionFailed,
    /// A conditional read found the resource unchanged (`If-None-Match`, `If-Modified-Since`).
    NotModified,
    /// The requested byte range lies outside the object.
    RangeNotSatisfiable,
    /// The request conflicts with the resource's current state.
    Conflict,
    /// The caller passed something invalid; nothing was sent or changed.
    InvalidInput,
    /// The provider or driver does not support this operation.
    Unsupported,
    /// An attempt, a poll or the whole call took longer than allowed.
    Timeout,
    /// The connection failed: DNS, connect, TLS, reset, or a body cut short.
    Transport,
    /// The provider failed or is unavailable (5xx).
    ServiceUnavailable,
    /// The data received or stored does not match its checksum or length.
    ChecksumMismatch,
    /// The caller cancelled the operation.
    Cancelled,
    /// Anything else: an unexpected status or a response we could not understand.
    Unexpected,
}

impl ErrorKind {
    /// The kind an HTTP status maps to when the provider says nothing more specific.
    pub fn from_status(status: StatusCode) -> ErrorKind {
        match status.as_u16() {
            304 => ErrorKind::NotModified,
            400 | 405 | 411 | 413 | 414 | 415 | 422 => ErrorKind::InvalidInput,
            401 => ErrorKind::Unauthenticated,
            403 => ErrorKind::PermissionDenied,
            404 | 410 => ErrorKind::NotFound,
            408 | 504 => ErrorKind::Timeout,
            409 => ErrorKind::Conflict,
            412 => ErrorKind::PreconditionFailed,
            416 => ErrorKind::RangeNotSatisfiable,
            429 => ErrorKind::RateLimited,
            501 => ErrorKind::Unsupported,
            500..=599 => ErrorKind::ServiceUnavailable,
            _ => ErrorKind::Unexpected,
        }
    }

    /// Whether a failure of this kind may pass when tried again a little later: a broken
    /// connection, a timeout, an unavailable or throttling service. Loops that resume work of
    /// their own (parts, chunks) use it; the pipeline's retries decide for single requests.
    pub fn may_pass(self) -> bool {
        matches!(
            self,
            ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::ServiceUnavailable
                | ErrorKind::RateLimited
        )
    }

    fn describe(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::NotEmpty => "not empty",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::PreconditionFailed => "precondition failed",
            ErrorKind::NotModified => "not modified",
            ErrorKind::RangeNotSatisfiable => "range not satisfiable",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Transport => "transport error",
            ErrorKind::ServiceUnavailable => "service unavailable",
            ErrorKind::ChecksumMismatch => "checksum mismatch",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Unexpected => "unexpected response",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Where in an exchange an error arose; it decides whether a retry is safe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Raised locally before anything was sent.
    Local,
    /// No connection was made, so the server saw nothing.
    Connect,
    /// The connection failed or stalled after the request may have reached the server.
    Exchange,
    /// The server answered with an error status.
    Status,
}

/// The error of every operation in this project.
///
/// Cheap to move (one box). See the [module docs](self) for an example.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    origin: Origin,
    provider: Option<Cow<'static, str>>,
    operation: Option<Cow<'static, str>>,
    resource: Option<String>,
    status: Option<StatusCode>,
    code: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
    retry_after: Option<Duration>,
    attempts: u32,
    /// The server refused fetched credentials, which have been forgotten: the request may be signed
    /// with renewed ones and sent once more.
    renew: bool,
    source: Option<BoxError>,
}

impl Error {
    /// A new error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::bare(kind, Origin::Local).with_message(message)
    }

    fn bare(kind: ErrorKind, origin: Origin) -> Error {
        Error(Box::new(Inner {
            kind,
            origin,
            provider: None,
            operation: None,
            resource: None,
            status: None,
            code: None,
            message: None,
            request_id: None,
            retry_after: None,
            attempts: 0,
            renew: false,
            source: None,
        }))
    }

    /// An error for an HTTP status, with the kind [`ErrorKind::from_status`] gives.
    pub fn from_status(status: StatusCode) -> Error {
        let mut err = Error::bare(ErrorKind::from_status(status), Origin::Status);
        err.0.status = Some(status);
        err
    }

    /// An [`ErrorKind::InvalidInput`] error: the caller's input was refused before anything was sent.
    pub fn invalid_input(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// An [`ErrorKind::Unsupported`] error naming what is not supported.
    pub fn unsupported(what: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unsupported, what)
    }

    /// An [`ErrorKind::Unexpected`] error for a response that could not be understood.
    pub fn unexpected(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Unexpected, message)
    }

    /// A transport error that happened before a connection was made: the request was never sent.
    pub(crate) fn connect(source: impl Into<BoxError>) -> Error {
        Error::bare(ErrorKind::Transport, Origin::Connect)
            .with_message("connection failed")
            .with_source(source)
    }

    /// A transport error or timeout after the request may have reached the server.
    pub(crate) fn exchange(kind: ErrorKind, message: &str, source: Option<BoxError>) -> Error {
        let err = Error::bare(kind, Origin::Exchange).with_message(message);
        match source {
            Some(source) => err.with_source(source),
            None => err,
        }
    }

    /// Sets the kind, keeping everything else.
    pub fn with_kind(mut self, kind: ErrorKind) -> Error {
        self.0.kind = kind;
        self
    }

    /// Sets the provider (`s3`, `gcs`, `local`, …) unless one is set already.
    pub fn with_provider(mut self, provider: impl Into<Cow<'static, str>>) -> Error {
        self.0.provider.get_or_insert_with(|| provider.into());
        self
    }

    /// Sets the operation (`GetObject`, `RunInstances`, …) unless one is set already.
    pub fn with_operation(mut self, operation: impl Into<Cow<'static, str>>) -> Error {
        self.0.operation.get_or_insert_with(|| operation.into());
        self
    }

    /// Sets the resource the operation was about (`bucket/key`, a node id, …).
    pub fn with_resource(mut self, resource: impl Into<String>) -> Error {
        self.0.resource = Some(resource.into());
        self
    }

    /// Sets the provider's own error code (`NoSuchKey`, `InvalidInstanceID.NotFound`, …).
    pub fn with_code(mut self, code: impl Into<String>) -> Error {
        self.0.code = Some(code.into());
        self
    }

    /// Sets the human-readable message.
    pub fn with_message(mut self, message: impl Into<String>) -> Error {
        self.0.message = Some(message.into());
        self
    }

    /// Sets the provider's request id, for support tickets.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Error {
        self.0.request_id = Some(request_id.into());
        self
    }

    /// Sets how long the server asked us to wait before trying again.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Error {
        self.0.retry_after = Some(retry_after);
        self
    }

    /// Sets the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.0.source = Some(source.into());
        self
    }

    /// Marks an error (perhaps built by a provider's parser) as the server's answer with `status`, so the
    /// retry policy judges it by that answer.
    pub(crate) fn answered_with(mut self, status: StatusCode) -> Error {
        self.0.origin = Origin::Status;
        self.0.status.get_or_insert(status);
        self
    }

    /// Marks a refusal of credentials that were renewable and have been forgotten: worth one more
    /// attempt with renewed ones.
    pub(crate) fn renew_credentials(mut self) -> Error {
        self.0.renew = true;
        self
    }

    /// Whether sending again with renewed credentials may succeed (see `renew_credentials`).
    pub(crate) fn renews_credentials(&self) -> bool {
        self.0.renew
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Error {
        self.0.attempts = attempts;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The provider, when known.
    pub fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }

    /// The operation, when known.
    pub fn operation(&self) -> Option<&str> {
        self.0.operation.as_deref()
    }

    /// The resource the operation was about, when known.
    pub fn resource(&self) -> Option<&str> {
        self.0.resource.as_deref()
    }

    /// The HTTP status the server answered with, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        self.0.status
    }

    /// The provider's own error code.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The human-readable message.
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The provider's request id.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// How long the server asked us to wait before trying again.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// How many attempts were made before giving up (0 when the error arose before any request).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    pub(crate) fn origin(&self) -> Origin {
        self.0.origin
    }

    /// Whether the error is [`ErrorKind::NotFound`]: the most common check.
    pub fn is_not_found(&self) -> bool {
        self.0.kind == ErrorKind::NotFound
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        let mut context = false;
        for part in [
            inner.provider.as_deref(),
            inner.operation.as_deref(),
            inner.resource.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            if context {
                f.write_str(" ")?;
            }
            f.write_str(part)?;
            context = true;
        }
        if context {
            f.write_str(": ")?;
        }
        f.write_str(inner.kind.describe())?;
        match (inner.status, inner.code.as_deref()) {
            (Some(status), Some(code)) => write!(f, " (HTTP {}, {code})", status.as_u16())?,
            (Some(status), None) => write!(f, " (HTTP {})", status.as_u16())?,
            (None, Some(code)) => write!(f, " ({code})")?,
            (None, None) => {}
        }
        if let Some(message) = &inner.message {
            write!(f, ": {message}")?;
        }
        if let Some(id) = &inner.request_id {
            write!(f, " [request id {id}]")?;
        }
        if let Some(wait) = inner.retry_after {
            write!(f, " [retry after {}s]", wait.as_secs_f64())?;
        }
        if inner.attempts > 1 {
            write!(f, " [after {} attempts]", inner.attempts)?;
        }
        let mut source = inner
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static));
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.0;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind);
        macro_rules! opt {
            ($($name:ident),*) => {$(
                if let Some(value) = &inner.$name {
                    d.field(stringify!($name), value);
                }
            )*};
        }
        opt!(
            provider,
            operation,
            resource,
            status,
            code,
            message,
            request_id,
            retry_after
        );
        if inner.attempts > 0 {
            d.field("attempts", &inner.attempts);
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::NotFound => ErrorKind::NotFound,
            Io::AlreadyExists => ErrorKind::AlreadyExists,
            Io::PermissionDenied => ErrorKind::PermissionDenied,
            Io::InvalidInput | Io::InvalidData => ErrorKind::InvalidInput,
            Io::TimedOut => ErrorKind::Timeout,
            Io::Unsupported => ErrorKind::Unsupported,
            Io::DirectoryNotEmpty => ErrorKind::NotEmpty,
            Io::ConnectionRefused
            | Io::ConnectionReset
            | Io::ConnectionAborted
            | Io::BrokenPipe
            | Io::UnexpectedEof => ErrorKind::Transport,
            _ => ErrorKind::Unexpected,
        };
        Error::bare(kind, Origin::Local).with_source(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses_to_kinds() {
        let cases = [
            (400, ErrorKind::InvalidInput),
            (401, ErrorKind::Unauthenticated),
            (403, ErrorKind::PermissionDenied),
            (404, ErrorKind::NotFound),
            (409, ErrorKind::Conflict),
            (412, ErrorKind::PreconditionFailed),
            (416, ErrorKind::RangeNotSatisfiable),
            (429, ErrorKind::RateLimited),
            (500, ErrorKind::ServiceUnavailable),
            (501, ErrorKind::Unsupported),
            (503, ErrorKind::ServiceUnavailable),
            (302, ErrorKind::Unexpected),
        ];
        for (status, kind) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(ErrorKind::from_status(status), kind, "{status}");
        }
    }

    #[test]
    fn display_shows_context_and_whole_source_chain() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl fmt::Display for Outer {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("tcp connect error")
            }
        }
        impl StdError for Outer {
            fn source(&self) -> Option<&(dyn StdError + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = Error::connect(Outer(io))
            .with_provider("s3")
            .with_operation("ListBuckets")
            .with_attempts(3);
        assert_eq!(
            err.to_string(),
            "s3 ListBuckets: transport error: connection failed [after 3 attempts]: tcp connect error: refused"
        );
        assert!(err.source().is_some());
    }

    #[test]
    fn display_includes_code_message_request_id_and_retry_after() {
        let err = Error::from_status(StatusCode::SERVICE_UNAVAILABLE)
            .with_code("SlowDown")
            .with_message("Please reduce your request rate.")
            .with_request_id("REQ123")
            .with_retry_after(Duration::from_secs(2))
            .with_kind(ErrorKind::RateLimited);
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(
            err.to_string(),
            "rate limited (HTTP 503, SlowDown): Please reduce your request rate. [request id REQ123] [retry after 2s]"
        );
    }

    #[test]
    fn context_setters_keep_the_first_provider_and_operation() {
        let err = Error::invalid_input("bad name")
            .with_provider("local")
            .with_provider("other")
            .with_operation("PutObject")
            .with_operation("Other");
        assert_eq!(err.provider(), Some("local"));
        assert_eq!(err.operation(), Some("PutObject"));
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let err: Error = std::io::Error::from(std::io::ErrorKind::NotFound).into();
        assert!(err.is_not_found());
        let err: Error = std::io::Error::from(std::io::ErrorKind::PermissionDenied).into();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }
}
