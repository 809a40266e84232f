//! The outermost step: a `tracing` span per call, and an event when it ends.

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use pin_project_lite::pin_project;
use tracing::Span;

use super::{Call, Reply};
use crate::debug_log::TARGET;
use crate::error::Result;

/// The `cloud_request` span (target `cloud::http`) of `call`.
pub(crate) fn span(call: &Call) -> Span {
    tracing::debug_span!(
        target: TARGET,
        "cloud_request",
        provider = call.context.provider,
        operation = %call.context.operation,
        method = %call.request.method(),
        host = call.request.uri().host().unwrap_or_default(),
    )
}

pin_project! {
    /// A call's future, polled inside its span; when someone listens, an event says how it ended.
    pub(crate) struct Traced<F> {
        #[pin]
        inner: F,
        span: Span,
        start: Option<Instant>,
    }
}

impl<F> Traced<F> {
    pub(crate) fn new(inner: F, span: Span) -> Traced<F> {
        // Time the call only when someone listens.
        let start = (!span.is_disabled()).then(Instant::now);
        Traced { inner, span, start }
    }
}

impl<F> Future for Traced<F>
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
