//! Time as the retry, polling and token layers see it, so tests can replace it.
//!
//! [`SystemClock`] is tokio's clock. [`ManualClock`] is a fake one for tests: its `sleep` returns at once,
//! records how long it was asked to sleep, and moves the clock forward by that much.
//!
//! ```
//! use std::time::Duration;
//! use cloud_core::{Clock, ManualClock};
//!
//! # tokio_test_block_on(async {
//! let clock = ManualClock::new();
//! let start = clock.now();
//! clock.sleep(Duration::from_secs(2)).await;
//! assert_eq!(clock.now() - start, Duration::from_secs(2));
//! assert_eq!(clock.sleeps(), vec![Duration::from_secs(2)]);
//! # });
//! # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
//! #     tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(f)
//! # }
//! ```

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::BoxFuture;

/// A source of time: monotonic now, wall-clock now, and sleeping.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The monotonic time now.
    fn now(&self) -> Instant;
    /// The wall-clock time now (for `Retry-After` dates and token expiry stamps).
    fn system_time(&self) -> SystemTime;
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock, sleeping on tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn system_time(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A fake clock for tests: sleeping advances it instantly and is recorded.
#[derive(Clone, Debug)]
pub struct ManualClock {
    state: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    wall_start: SystemTime,
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock that starts now and moves only when slept on or [advanced](ManualClock::advance).
    pub fn new() -> ManualClock {
        ManualClock {
            state: Arc::new(Mutex::new(ManualState {
                start: Instant::now(),
                wall_start: SystemTime::now(),
                offset: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    /// Moves the clock forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.lock().offset += by;
    }

    /// Every duration slept so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// How far the clock has moved since it was made.
    pub fn elapsed(&self) -> Duration {
        self.lock().offset
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        // A panic while holding this lock cannot leave the state inconsistent, so poisoning is ignored.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let state = self.lock();
        state.start + state.offset
    }

    fn system_time(&self) -> SystemTime {
        let state = self.lock();
        state.wall_start + state.offset
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut state = self.lock();
        state.offset += duration;
        state.sleeps.push(duration);
        Box::pin(std::future::ready(()))
    }
}
