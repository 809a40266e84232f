//! The outermost layer: a `tracing` span per call, and context on every error.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use tower::{Service, ServiceExt};
use tracing::Instrument;

use super::{CallContext, Request, Response};
use crate::debug_log::TARGET;
use crate::error::{Error, Result};

/// Wraps each call in a `cloud::http` span and adds the provider and operation to its error.
#[derive(Clone)]
pub(crate) struct Trace<S> {
    inner: S,
}

impl<S> Trace<S> {
    pub(crate) fn new(inner: S) -> Trace<S> {
        Trace { inner }
    }
}

impl<S> Service<Request> for Trace<S>
where
    S: Service<Request, Response = Response, Error = Error> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (provider, operation) = match CallContext::of(&request) {
            Some(ctx) => (ctx.provider, ctx.operation.clone()),
            None => ("http", "request".into()),
        };
        let span = tracing::debug_span!(
            target: TARGET,
            "cloud_request",
            provider,
            operation = %operation,
            method = %request.method(),
            host = request.uri().host().unwrap_or_default(),
        );
        let call = self.inner.clone().oneshot(request);
        Box::pin(
            async move {
                let start = Instant::now();
                let result = call.await;
                let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
                match result {
                    Ok(response) => {
                        tracing::debug!(target: TARGET, status = response.status().as_u16(), elapsed_ms, "done");
                        Ok(response)
                    }
                    Err(err) => {
                        let err = err.with_provider(provider).with_operation(operation);
                        tracing::debug!(target: TARGET, error = %err, elapsed_ms, "failed");
                        Err(err)
                    }
                }
            }
            .instrument(span),
        )
    }
}
