//! Adaptive throttling: one token bucket per service, shared by every task and clone, so that many
//! tasks facing a throttling server slow down together instead of each retrying on its own.
//!
//! Until the server first pushes back, nothing is limited and each request pays one atomic load. The
//! first throttling answer (429, 503, or an error the provider called
//! [`RateLimited`](crate::ErrorKind::RateLimited), such as S3's `SlowDown` or EC2's
//! `RequestLimitExceeded`) engages the bucket:
//!
//! - Every attempt (first ones and retries alike) takes a token first. Tasks queue for tokens in
//!   arrival order, so one task waits for the next token and the rest wait behind it, rather than all
//!   waking for every token.
//! - The rate starts low and doubles every quarter second until the server pushes back again, then is
//!   cut to 80% of the rate the server was accepting, measured over the last half second (or of the
//!   bucket's own rate, when far fewer requests came than it allowed). After a cut it grows by 10% a
//!   quarter second: the rate saws just below what the server allows.
//! - One cut per quarter second: the answers to requests already in flight when the rate was cut say
//!   nothing new.
//! - The rate never grows past twice what is being accepted, so a quiet spell does not turn into a
//!   burst; after 30 s with no pushback the bucket disengages.
//! - A throttling answer with a `Retry-After` of at most 30 s pauses every task for that long, not
//!   just the one that was answered. Services that opt in ([`ServiceConfig::rate_limit_headers`])
//!   also pause when a success says `ratelimit-remaining: 0` (or `x-ratelimit-remaining`), until its
//!   `ratelimit-reset` (Unix seconds or seconds from now).
//!
//! Time is tokio's, not the client's [`Clock`](crate::Clock): a fake clock for retries should not make
//! pacing instant.
//!
//! [`ServiceConfig::rate_limit_headers`]: crate::ServiceConfig::rate_limit_headers

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use tokio::time::Instant;

use crate::error::{Error, ErrorKind};

/// The rate the bucket starts at when first engaged, in requests per second.
const START_RATE: f64 = 10.0;
/// The rate is never cut below this.
const MIN_RATE: f64 = 0.5;
/// How often the rate may grow, and how long after a cut another is ignored.
const STEP: Duration = Duration::from_millis(250);
/// The share of the accepted rate a cut leaves.
const CUT: f64 = 0.8;
/// Growth per step after the first cut.
const GROWTH: f64 = 1.1;
/// Accepted responses are counted over slots this long.
const SLOT: Duration = Duration::from_millis(500);
/// The bucket disengages after this long without pushback.
const QUIET: Duration = Duration::from_secs(30);
/// The longest pause imposed on every task; a longer wait is left to the request that was told.
const MAX_PAUSE: Duration = Duration::from_secs(30);

/// A service's adaptive token bucket. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct Throttle {
    engaged: AtomicBool,
    read_headers: bool,
    /// Held by the task waiting for the next token; the others queue behind it in order.
    turn: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    rate: f64,
    tokens: f64,
    refilled: Instant,
    /// When the rate last changed (grew or was cut).
    changed: Instant,
    /// When the rate was last cut (or the bucket engaged).
    cut_at: Instant,
    last_pushback: Instant,
    /// Doubling until the first cut.
    probing: bool,
    pause_until: Option<Instant>,
    slot_start: Instant,
    slot_count: u32,
    /// Successes per second over the last full slot (none yet: `None`).
    accepted: Option<f64>,
}

/// Whether an error says the server refused for load (and so acted on nothing).
pub(crate) fn is_pushback(err: &Error) -> bool {
    err.kind() == ErrorKind::RateLimited
        || err
            .status()
            .is_some_and(|s| matches!(s.as_u16(), 429 | 503))
}

impl Throttle {
    /// A disengaged bucket; `read_headers` makes successes' rate-limit headers count.
    pub(crate) fn new(read_headers: bool) -> Throttle {
        Throttle {
            engaged: AtomicBool::new(false),
            read_headers,
            turn: tokio::sync::Mutex::const_new(()),
            state: Mutex::new(State::fresh(Instant::now())),
        }
    }

    /// Whether attempts are paced now.
    pub(crate) fn engaged(&self) -> bool {
        self.engaged.load(Ordering::Relaxed)
    }

    /// The current rate in requests per second, when engaged.
    #[cfg(test)]
    pub(crate) fn rate(&self) -> Option<f64> {
        self.engaged().then(|| self.lock().rate)
    }

    /// Waits for a token (at once when disengaged).
    pub(crate) async fn acquire(&self) {
        if !self.engaged() {
            return;
        }
        let _turn = self.turn.lock().await;
        loop {
            let wait = self.lock().take(Instant::now(), &self.engaged);
            match wait {
                None => return,
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Learns from a success's headers.
    pub(crate) fn record_success(&self, headers: &HeaderMap) {
        let pause = if self.read_headers {
            exhausted_until(headers, SystemTime::now())
        } else {
            None
        };
        if pause.is_none() && !self.engaged() {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        if let Some(wait) = pause.filter(|wait| *wait <= MAX_PAUSE) {
            state.pause(now, wait);
            self.engage(&mut state, now);
        }
        if state.accepted(now) {
            self.engaged.store(false, Ordering::Relaxed);
        }
    }

    /// Learns from an attempt that failed.
    pub(crate) fn record_error(&self, err: &Error) {
        if !is_pushback(err) {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        if let Some(wait) = err.retry_after().filter(|wait| *wait <= MAX_PAUSE) {
            state.pause(now, wait);
        }
        if self.engage(&mut state, now) {
            state.last_pushback = now;
            return;
        }
        state.pushback(now);
    }

    /// Engages the bucket if it was not; says whether it just was.
    fn engage(&self, state: &mut State, now: Instant) -> bool {
        if self.engaged.swap(true, Ordering::Relaxed) {
            return false;
        }
        *state = State {
            pause_until: state.pause_until,
            ..State::fresh(now)
        };
        true
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state consistent, so a panic elsewhere cannot poison its meaning.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn fresh(now: Instant) -> State {
        State {
            rate: START_RATE,
            tokens: 1.0,
            refilled: now,
            changed: now,
            cut_at: now,
            last_pushback: now,
            probing: true,
            pause_until: None,
            slot_start: now,
            slot_count: 0,
            accepted: None,
        }
    }

    /// Takes a token, or says how long until one is due. Disengaged, there is always one.
    fn take(&mut self, now: Instant, engaged: &AtomicBool) -> Option<Duration> {
        if !engaged.load(Ordering::Relaxed) {
            return None;
        }
        if let Some(until) = self.pause_until {
            if until > now {
                return Some(until - now);
            }
            self.pause_until = None;
        }
        let capacity = (self.rate / 10.0).max(1.0);
        let since = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + since * self.rate).min(capacity);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return None;
        }
        Some(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
    }

    fn pause(&mut self, now: Instant, wait: Duration) {
        let until = now + wait;
        if self.pause_until.is_none_or(|current| current < until) {
            self.pause_until = Some(until);
        }
    }

    /// Counts a success and lets the rate grow; says whether the bucket should disengage.
    fn accepted(&mut self, now: Instant) -> bool {
        self.slot_count += 1;
        let slot = now.saturating_duration_since(self.slot_start);
        if slot >= SLOT {
            let measured = f64::from(self.slot_count) / slot.as_secs_f64();
            self.accepted = Some(match self.accepted {
                Some(before) => 0.8 * measured + 0.2 * before,
                None => measured,
            });
            self.slot_start = now;
            self.slot_count = 0;
        }
        if now.saturating_duration_since(self.changed) >= STEP {
            let factor = if self.probing { 2.0 } else { GROWTH };
            let ceiling = self
                .accepted
                .map_or(f64::MAX, |rate| (2.0 * rate).max(START_RATE));
            if self.rate < ceiling {
                self.rate = (self.rate * factor).min(ceiling);
            }
            self.changed = now;
        }
        now.saturating_duration_since(self.last_pushback) >= QUIET
    }

    /// Cuts the rate after pushback, at most once a step: the answers to what was sent before a cut
    /// say nothing about the rate after it.
    fn pushback(&mut self, now: Instant) {
        self.last_pushback = now;
        if now.saturating_duration_since(self.cut_at) < STEP {
            return;
        }
        // What the server accepted says what it allows only while the bucket was being used to the
        // full; a trickle of requests says nothing, and the rate itself is cut instead.
        let basis = match self.accepted {
            Some(accepted) if accepted >= self.rate / 2.0 => accepted.min(self.rate),
            _ => self.rate,
        };
        self.rate = (basis * CUT).max(MIN_RATE);
        self.tokens = self.tokens.min(0.0);
        self.probing = false;
        self.changed = now;
        self.cut_at = now;
    }
}

/// How long until the rate-limit window resets, when a success says none is left.
pub(crate) fn exhausted_until(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |names: [&str; 2]| {
        names.iter().find_map(|name| {
            headers
                .get(*name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
        })
    };
    let remaining = header(["ratelimit-remaining", "x-ratelimit-remaining"])?;
    if remaining > 0 {
        return None;
    }
    let reset = header(["ratelimit-reset", "x-ratelimit-reset"])?;
    // A value past 2001 in Unix seconds is a time (DigitalOcean, Linode); a smaller one is a wait
    // (the IETF draft).
    if reset > 1_000_000_000 {
        let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
        Some(Duration::from_secs(reset.saturating_sub(now).max(1)))
    } else {
        Some(Duration::from_secs(reset))
    }
}

#[cfg(test)]
#[path = "throttle_tests.rs"]
mod tests;
