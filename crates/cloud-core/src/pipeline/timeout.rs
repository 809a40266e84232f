//! The per-attempt timeout.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tower::Service;

use super::{Call, Response};
use crate::error::{Error, ErrorKind, Result};

/// Fails an attempt that has not produced a response (and, for buffered calls, its whole body) in time.
#[derive(Clone)]
pub(crate) struct AttemptTimeout<S> {
    inner: S,
    limit: Option<Duration>,
}

impl<S> AttemptTimeout<S> {
    pub(crate) fn new(inner: S, limit: Option<Duration>) -> AttemptTimeout<S> {
        AttemptTimeout { inner, limit }
    }
}

impl<S> Service<Call> for AttemptTimeout<S>
where
    S: Service<Call, Response = Response, Error = Error>,
{
    type Response = Response;
    type Error = Error;
    type Future = AttemptFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let attempt = self.inner.call(call);
        match self.limit {
            Some(limit) => AttemptFuture::Limited {
                inner: tokio::time::timeout(limit, attempt),
                limit,
            },
            None => AttemptFuture::Unlimited { inner: attempt },
        }
    }
}

pin_project! {
    /// The future of [`AttemptTimeout`].
    #[project = AttemptProj]
    pub(crate) enum AttemptFuture<F> {
        Limited { #[pin] inner: tokio::time::Timeout<F>, limit: Duration },
        Unlimited { #[pin] inner: F },
    }
}

impl<F> Future for AttemptFuture<F>
where
    F: Future<Output = Result<Response>>,
{
    type Output = Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            AttemptProj::Unlimited { inner } => inner.poll(cx),
            AttemptProj::Limited { inner, limit } => inner.poll(cx).map(|result| {
                result.unwrap_or_else(|_| {
                    Err(Error::exchange(
                        ErrorKind::Timeout,
                        &format!("no response within the attempt timeout of {limit:?}"),
                        None,
                    ))
                })
            }),
        }
    }
}
