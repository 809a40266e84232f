//! Exponential backoff with decorrelated jitter.
//!
//! Each delay is drawn uniformly between the base delay and three times the previous delay, then capped:
//! retries from many clients spread out instead of arriving in waves, and the expected delay still grows
//! exponentially. The random source is injectable so tests can fix the delays.
//!
//! ```
//! use std::time::Duration;
//! use cloud_core::{Backoff, Jitter};
//!
//! // With the jitter fixed at its top, each delay is three times the last, up to the cap.
//! let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1)).with_jitter(Jitter::fixed(1.0));
//! let mut delay = backoff.first();
//! let mut delays = vec![delay];
//! for _ in 0..3 {
//!     delay = backoff.next(delay);
//!     delays.push(delay);
//! }
//! let millis: Vec<u128> = delays.iter().map(|d| d.as_millis()).collect();
//! assert_eq!(millis, [100, 300, 900, 1000]);
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// A source of uniform random numbers in `[0, 1)` for jitter.
#[derive(Clone)]
pub struct Jitter(Arc<dyn Fn() -> f64 + Send + Sync>);

impl Jitter {
    /// Fast thread-local randomness (the default).
    pub fn random() -> Jitter {
        Jitter(Arc::new(fastrand::f64))
    }

    /// Always `value` (clamped to `[0, 1]`): makes delays predictable in tests.
    pub fn fixed(value: f64) -> Jitter {
        let value = value.clamp(0.0, 1.0);
        Jitter(Arc::new(move || value))
    }

    /// Any function returning numbers in `[0, 1]`.
    pub fn from_fn(f: impl Fn() -> f64 + Send + Sync + 'static) -> Jitter {
        Jitter(Arc::new(f))
    }

    fn sample(&self) -> f64 {
        (self.0)().clamp(0.0, 1.0)
    }
}

impl fmt::Debug for Jitter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Jitter")
    }
}

/// Delays between retries or polls: decorrelated-jitter exponential backoff between `base` and `cap`.
#[derive(Clone, Debug)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    jitter: Jitter,
}

impl Backoff {
    /// Backoff starting at `base` and never exceeding `cap`, with random jitter.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            jitter: Jitter::random(),
        }
    }

    /// Replaces the random source.
    pub fn with_jitter(mut self, jitter: Jitter) -> Backoff {
        self.jitter = jitter;
        self
    }

    /// The first delay: the base.
    pub fn first(&self) -> Duration {
        self.base
    }

    /// The delay after one of `previous`: uniform in `[base, 3 × previous]`, at most the cap.
    pub fn next(&self, previous: Duration) -> Duration {
        let low = self.base.as_secs_f64();
        let high = (previous.as_secs_f64() * 3.0).max(low);
        let drawn = low + (high - low) * self.jitter.sample();
        Duration::from_secs_f64(drawn.min(self.cap.as_secs_f64()))
    }

    /// The smallest delay.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The largest delay.
    pub fn cap(&self) -> Duration {
        self.cap
    }
}

impl Default for Backoff {
    /// 100 ms growing to at most 15 s.
    fn default() -> Backoff {
        Backoff::new(Duration::from_millis(100), Duration::from_secs(15))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_stay_between_base_and_cap() {
        let backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
        let mut delay = backoff.first();
        for _ in 0..1000 {
            delay = backoff.next(delay);
            assert!(
                delay >= Duration::from_millis(50) && delay <= Duration::from_secs(2),
                "{delay:?}"
            );
        }
    }

    #[test]
    fn lowest_jitter_stays_at_base() {
        let backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2))
            .with_jitter(Jitter::fixed(0.0));
        assert_eq!(
            backoff.next(Duration::from_secs(1)),
            Duration::from_millis(50)
        );
    }
}
