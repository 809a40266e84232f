//! Polling until a condition holds, with backoff, a deadline and cancellation.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use cloud_core::{poll_until, ManualClock, PollOptions};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let clock = ManualClock::new();
//! let options = PollOptions::default().with_clock(Arc::new(clock.clone()));
//! let polls = AtomicU32::new(0);
//! // Pretend a node becomes ready on the third look.
//! let state = poll_until(&options, || async { Ok(polls.fetch_add(1, Ordering::SeqCst) + 1) }, |n| *n >= 3).await?;
//! assert_eq!(state, 3);
//! assert_eq!(clock.sleeps().len(), 2, "slept between looks, not after the last");
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{select, Either};
pub use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::clock::{Clock, SystemClock};
use crate::error::{Error, ErrorKind, Result};

/// How to poll: the delays between looks, the deadline, and a way to cancel.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct PollOptions {
    /// Delays between looks.
    pub backoff: Backoff,
    /// Give up with [`ErrorKind::Timeout`] after this long (`None`: never).
    pub timeout: Option<Duration>,
    /// Give up with [`ErrorKind::Cancelled`] when this is cancelled.
    pub cancel: Option<CancellationToken>,
    /// The clock to sleep on.
    pub clock: Arc<dyn Clock>,
}

impl Default for PollOptions {
    /// Looks every 1 s at first, backing off to at most 15 s, for up to 10 minutes.
    fn default() -> PollOptions {
        PollOptions {
            backoff: Backoff::new(Duration::from_secs(1), Duration::from_secs(15)),
            timeout: Some(Duration::from_secs(600)),
            cancel: None,
            clock: Arc::new(SystemClock),
        }
    }
}

impl PollOptions {
    /// Sets the delays between looks.
    pub fn with_backoff(mut self, backoff: Backoff) -> PollOptions {
        self.backoff = backoff;
        self
    }

    /// Sets the deadline (`None`: poll until done or cancelled).
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> PollOptions {
        self.timeout = timeout;
        self
    }

    /// Sets the cancellation token.
    pub fn with_cancel(mut self, cancel: CancellationToken) -> PollOptions {
        self.cancel = Some(cancel);
        self
    }

    /// Sets the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> PollOptions {
        self.clock = clock;
        self
    }
}

/// Calls `probe` until `done` accepts its value, and returns that value. An error from `probe` ends the
/// polling with that error; the deadline ends it with [`ErrorKind::Timeout`], cancellation with
/// [`ErrorKind::Cancelled`]. The last look happens at the deadline, not a backoff step before it.
pub async fn poll_until<T, F, Fut, P>(options: &PollOptions, mut probe: F, mut done: P) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
    P: FnMut(&T) -> bool,
{
    let clock = &options.clock;
    let start = clock.now();
    let mut delay: Option<Duration> = None;
    loop {
        if options.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(cancelled());
        }
        let value = probe().await?;
        if done(&value) {
            return Ok(value);
        }
        let mut wait = match delay {
            None => options.backoff.first(),
            Some(previous) => options.backoff.next(previous),
        };
        delay = Some(wait);
        if let Some(limit) = options.timeout {
            let elapsed = clock.now().saturating_duration_since(start);
            if elapsed >= limit {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("the condition did not hold within {limit:?}"),
                ));
            }
            wait = wait.min(limit - elapsed);
        }
        let sleep = clock.sleep(wait);
        match &options.cancel {
            None => sleep.await,
            Some(cancel) => {
                let cancelled_wait = Box::pin(cancel.cancelled());
                if let Either::Right(_) = select(sleep, cancelled_wait).await {
                    return Err(cancelled());
                }
            }
        }
    }
}

fn cancelled() -> Error {
    Error::new(ErrorKind::Cancelled, "polling was cancelled")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn options(clock: &ManualClock) -> PollOptions {
        PollOptions::default()
            .with_clock(Arc::new(clock.clone()))
            .with_backoff(
                Backoff::new(Duration::from_secs(1), Duration::from_secs(4))
                    .with_jitter(crate::Jitter::fixed(1.0)),
            )
    }

    #[tokio::test]
    async fn times_out_at_the_deadline_exactly() {
        let clock = ManualClock::new();
        let opts = options(&clock).with_timeout(Some(Duration::from_secs(10)));
        let err = poll_until(&opts, || async { Ok(()) }, |_| false)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        let waits: Vec<u64> = clock.sleeps().iter().map(|d| d.as_secs()).collect();
        assert_eq!(
            waits,
            [1, 3, 4, 2],
            "backoff 1, 3, 4 (capped), then the 2 s left"
        );
    }

    #[tokio::test]
    async fn stops_when_cancelled() {
        let clock = ManualClock::new();
        let cancel = CancellationToken::new();
        let opts = options(&clock)
            .with_cancel(cancel.clone())
            .with_timeout(None);
        let mut looks = 0;
        let err = poll_until(
            &opts,
            || {
                looks += 1;
                if looks == 3 {
                    cancel.cancel();
                }
                async { Ok(()) }
            },
            |_| false,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Cancelled);
        assert_eq!(looks, 3);
    }

    #[tokio::test]
    async fn a_probe_error_ends_polling() {
        let clock = ManualClock::new();
        let err = poll_until(
            &options(&clock),
            || async { Err::<(), _>(Error::unexpected("boom")) },
            |_| true,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(clock.sleeps().is_empty());
    }
}
