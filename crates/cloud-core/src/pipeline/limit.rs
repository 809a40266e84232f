//! The concurrency limit shared by every service of one client.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use pin_project_lite::pin_project;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::PollSemaphore;
use tower::Service;

use super::{Call, Reply};
use crate::error::{Error, Result};

/// Lets at most N requests be in flight. The permit is taken in `poll_ready` and moves into the response
/// body, which releases it when finished or dropped, so N bounds open connections, not just requests
/// awaiting headers.
pub(crate) struct Limit<S> {
    inner: S,
    semaphore: Option<PollSemaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl<S> Limit<S> {
    pub(crate) fn new(inner: S, semaphore: Option<Arc<Semaphore>>) -> Limit<S> {
        Limit {
            inner,
            semaphore: semaphore.map(PollSemaphore::new),
            permit: None,
        }
    }
}

impl<S: Clone> Clone for Limit<S> {
    fn clone(&self) -> Limit<S> {
        // A clone shares the semaphore but not a permit this one may hold.
        Limit {
            inner: self.inner.clone(),
            semaphore: self.semaphore.clone(),
            permit: None,
        }
    }
}

impl<S> Service<Call> for Limit<S>
where
    S: Service<Call, Response = Reply, Error = Error>,
{
    type Response = Reply;
    type Error = Error;
    type Future = LimitFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if let Some(semaphore) = &mut self.semaphore {
            if self.permit.is_none() {
                // The semaphore lives as long as the client and is never closed.
                let permit = ready!(semaphore.poll_acquire(cx)).ok_or_else(|| {
                    Error::unexpected("the client's concurrency limiter was closed")
                })?;
                self.permit = Some(permit);
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, call: Call) -> Self::Future {
        LimitFuture {
            inner: self.inner.call(call),
            permit: self.permit.take(),
        }
    }
}

pin_project! {
    /// The future of [`Limit`]: the inner call, then the permit handed to the response body.
    pub(crate) struct LimitFuture<F> {
        #[pin]
        inner: F,
        permit: Option<OwnedSemaphorePermit>,
    }
}

impl<F> Future for LimitFuture<F>
where
    F: Future<Output = Result<Reply>>,
{
    type Output = Result<Reply>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        if let Some(permit) = this.permit.take() {
            response.body_mut().set_permit(permit);
        }
        Poll::Ready(Ok(response))
    }
}
