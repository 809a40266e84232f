//! The outermost layer: a `tracing` span per call, and an event when it ends.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;
use tower::Service;
use tracing::Span;

use super::{Call, Reply};
use crate::debug_log::TARGET;
use crate::error::{Error, Result};

/// Wraps each call in a `cloud_request` span of the target `cloud::http`.
#[derive(Clone)]
pub(crate) struct Trace<S> {
    inner: S,
}

impl<S> Trace<S> {
    pub(crate) fn new(inner: S) -> Trace<S> {
        Trace { inner }
    }
}

impl<S> Service<Call> for Trace<S>
where
    S: Service<Call, Response = Reply, Error = Error>,
{
    type Response = Reply;
    type Error = Error;
    type Future = TraceFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        let span = tracing::debug_span!(
            target: TARGET,
            "cloud_request",
            provider = call.context.provider,
            operation = %call.context.operation,
            method = %call.request.method(),
            host = call.request.uri().host().unwrap_or_default(),
        );
        // Time the call only when someone listens.
        let start = (!span.is_disabled()).then(Instant::now);
        let inner = span.in_scope(|| self.inner.call(call));
        TraceFuture { inner, span, start }
    }
}

pin_project! {
    /// The future of [`Trace`]: the inner call, polled inside its span.
    pub(crate) struct TraceFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        start: Option<Instant>,
    }
}

impl<F> Future for TraceFuture<F>
where
    F: Future<Output = Result<Reply>>,
{
    type Output = Result<Reply>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let result = ready!(this.inner.poll(cx));
        if let Some(start) = this.start {
            let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
            match &result {
                Ok(response) => {
                    tracing::debug!(target: TARGET, status = response.status().as_u16(), elapsed_ms, "done")
                }
                Err(err) => tracing::debug!(target: TARGET, error = %err, elapsed_ms, "failed"),
            }
        }
        Poll::Ready(result)
    }
}
