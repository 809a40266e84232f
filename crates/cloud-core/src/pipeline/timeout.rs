//! The per-attempt timeout.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tower::{Service, ServiceExt};

use super::{Request, Response};
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

impl<S> Service<Request> for AttemptTimeout<S>
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
        let attempt = self.inner.clone().oneshot(request);
        let Some(limit) = self.limit else {
            return Box::pin(attempt);
        };
        Box::pin(async move {
            match tokio::time::timeout(limit, attempt).await {
                Ok(result) => result,
                Err(_) => Err(Error::exchange(
                    ErrorKind::Timeout,
                    &format!("no response within the attempt timeout of {limit:?}"),
                    None,
                )),
            }
        })
    }
}
