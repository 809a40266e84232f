//! The concurrency limit shared by every service of one client.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::Semaphore;
use tower::{Service, ServiceExt};

use super::{Request, Response};
use crate::error::{Error, Result};

/// Lets at most N requests be in flight; the permit moves into the response body and is released when
/// the body is finished or dropped, so N bounds open connections, not just requests awaiting headers.
#[derive(Clone)]
pub(crate) struct Limit<S> {
    inner: S,
    semaphore: Option<Arc<Semaphore>>,
}

impl<S> Limit<S> {
    pub(crate) fn new(inner: S, semaphore: Option<Arc<Semaphore>>) -> Limit<S> {
        Limit { inner, semaphore }
    }
}

impl<S> Service<Request> for Limit<S>
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
        let inner = self.inner.clone();
        let semaphore = self.semaphore.clone();
        Box::pin(async move {
            let Some(semaphore) = semaphore else {
                return inner.oneshot(request).await;
            };
            // The semaphore lives as long as the client and is never closed.
            let permit = semaphore
                .acquire_owned()
                .await
                .map_err(|_| Error::unexpected("the client's concurrency limiter was closed"))?;
            let mut response = inner.oneshot(request).await?;
            response.body_mut().set_permit(permit);
            Ok(response)
        })
    }
}
