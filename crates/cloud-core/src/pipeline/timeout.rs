//! The timers of one attempt. A single `Sleep` serves the whole attempt: it is set first for the
//! response's headers (the earlier of the first-byte and attempt timeouts), then moved to the
//! attempt's end while a buffered call reads its body. One timer instead of two nested ones per
//! request, and no step of its own.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

use crate::error::{Error, ErrorKind};

/// The timeout a wait is bounded by, and when it ends.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bound {
    pub(crate) at: Instant,
    limit: Duration,
    first_byte: bool,
}

impl Bound {
    /// The attempt's own bound, `limit` from `start`.
    pub(crate) fn attempt(start: Instant, limit: Duration) -> Bound {
        Bound {
            at: start + limit,
            limit,
            first_byte: false,
        }
    }

    /// The bound on the wait for the first byte of the answer, `limit` from `start`.
    pub(crate) fn first_byte(start: Instant, limit: Duration) -> Bound {
        Bound {
            at: start + limit,
            limit,
            first_byte: true,
        }
    }

    /// The earlier of two optional bounds.
    pub(crate) fn earlier(a: Option<Bound>, b: Option<Bound>) -> Option<Bound> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.at < a.at { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// The error of a wait that ran into this bound.
    pub(crate) fn error(self) -> Error {
        let which = if self.first_byte {
            "first-byte"
        } else {
            "attempt"
        };
        Error::exchange(
            ErrorKind::Timeout,
            &format!("no response within the {which} timeout of {:?}", self.limit),
            None,
        )
    }
}

/// `fut`'s output, or `None` if `timer` fires first (no timer: no bound).
pub(crate) fn within<'t, F: Future>(fut: F, timer: Option<Pin<&'t mut Sleep>>) -> Within<'t, F> {
    Within { fut, timer }
}

pin_project! {
    /// [`within`]'s future: a plain struct rather than an `async fn`, whose state would hold `fut` twice
    /// (as the argument and as the pinned local), and `fut` here is a whole attempt.
    pub(crate) struct Within<'t, F> {
        #[pin]
        fut: F,
        timer: Option<Pin<&'t mut Sleep>>,
    }
}

impl<F: Future> Future for Within<'_, F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.fut.poll(cx) {
            return Poll::Ready(Some(out));
        }
        match this.timer.as_mut().map(|timer| timer.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(None),
            _ => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_earlier_bound_fires_and_says_which_it_was() {
        let start = Instant::now();
        let first_byte = Bound::first_byte(start, Duration::from_secs(30));
        let attempt = Bound::attempt(start, Duration::from_secs(120));
        let bound = Bound::earlier(Some(attempt), Some(first_byte)).unwrap();
        let mut timer = std::pin::pin!(tokio::time::sleep_until(bound.at));
        let never = std::future::pending::<()>();
        assert!(within(never, Some(timer.as_mut())).await.is_none());
        assert_eq!(Instant::now() - start, Duration::from_secs(30));
        assert!(bound
            .error()
            .to_string()
            .contains("first-byte timeout of 30s"));
        // Moved on to the attempt's end, the same timer bounds the next wait.
        timer.as_mut().reset(attempt.at);
        assert!(within(std::future::pending::<()>(), Some(timer.as_mut()))
            .await
            .is_none());
        assert_eq!(Instant::now() - start, Duration::from_secs(120));
        assert!(attempt
            .error()
            .to_string()
            .contains("attempt timeout of 120s"));
        assert_eq!(within(async { 7 }, None).await, Some(7));
    }
}
