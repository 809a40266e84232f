//! A credential cache that refreshes before expiry, with one refresh in flight however many tasks ask,
//! and the [`Provide`] trait of whatever fetches the credentials.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//! use std::time::Duration;
//! use cloud_core::{SystemClock, TemporaryToken, TokenCache};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let cache = TokenCache::new(Duration::from_secs(300), Arc::new(SystemClock));
//! let fetches = AtomicUsize::new(0);
//! for _ in 0..3 {
//!     let token = cache
//!         .get_or_refresh(|| async {
//!             fetches.fetch_add(1, Ordering::SeqCst);
//!             Ok(TemporaryToken::expiring_in("token".to_string(), Duration::from_secs(3600), &SystemClock))
//!         })
//!         .await?;
//!     assert_eq!(token, "token");
//! }
//! assert_eq!(fetches.load(Ordering::SeqCst), 1, "fetched once, then served from the cache");
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use crate::clock::Clock;
use crate::error::Result;

/// A token and when it stops being valid.
#[derive(Clone)]
pub struct TemporaryToken<T> {
    /// The token.
    pub token: T,
    /// When it expires; `None` for never.
    pub expires_at: Option<Instant>,
}

impl<T> TemporaryToken<T> {
    /// A token that never expires.
    pub fn forever(token: T) -> TemporaryToken<T> {
        TemporaryToken {
            token,
            expires_at: None,
        }
    }

    /// A token valid for `lifetime` from now on `clock`.
    pub fn expiring_in(token: T, lifetime: Duration, clock: &dyn Clock) -> TemporaryToken<T> {
        // A server may promise a lifetime no clock can count to: that token does not expire.
        TemporaryToken {
            token,
            expires_at: clock.now().checked_add(lifetime),
        }
    }

    /// A token valid until `at`, a time on `clock`'s wall clock (as credential answers write their
    /// expiry); one whose time has passed is expired already.
    pub fn expiring_at(token: T, at: SystemTime, clock: &dyn Clock) -> TemporaryToken<T> {
        let lifetime = at
            .duration_since(clock.system_time())
            .unwrap_or(Duration::ZERO);
        TemporaryToken::expiring_in(token, lifetime, clock)
    }
}

impl<T> fmt::Debug for TemporaryToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token itself is a credential: never print it.
        f.debug_struct("TemporaryToken")
            .field("token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Caches a token and refreshes it `min_ttl` before it expires.
///
/// Readers take a shared lock only; a refresh takes an async mutex, so when a thousand tasks find the token
/// stale at once, one fetches and the rest wait for its result. If a refresh fails while the old token is
/// still valid (inside the refresh margin), the old token is served and the next call tries again.
pub struct TokenCache<T> {
    current: RwLock<Option<TemporaryToken<T>>>,
    refresh: tokio::sync::Mutex<()>,
    min_ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl<T: Clone + Send + Sync> TokenCache<T> {
    /// An empty cache refreshing tokens `min_ttl` before they expire.
    pub fn new(min_ttl: Duration, clock: Arc<dyn Clock>) -> TokenCache<T> {
        TokenCache {
            current: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            min_ttl,
            clock,
        }
    }

    /// The cached token if it is fresh; otherwise the result of `fetch`, which is then cached.
    pub async fn get_or_refresh<F, Fut>(&self, fetch: F) -> Result<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TemporaryToken<T>>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _refreshing = self.refresh.lock().await;
        // Another task may have refreshed while this one waited for the lock.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        match fetch().await {
            Ok(token) => {
                let value = token.token.clone();
                *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(token);
                Ok(value)
            }
            Err(err) => match self.unexpired() {
                Some(token) => {
                    tracing::warn!(target: crate::debug_log::TARGET, error = %err, "token refresh failed; using the current token until it expires");
                    Ok(token)
                }
                None => Err(err),
            },
        }
    }

    /// The cached token if it is fresh, without waiting: `None` when it must be fetched.
    pub fn fresh_now(&self) -> Option<T> {
        self.fresh()
    }

    /// Forgets the cached token, so the next call fetches a new one (after the provider rejected it).
    pub fn invalidate(&self) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Forgets the cached token if `is_refused` says it is the one a provider refused; a token
    /// fetched since then is kept.
    pub fn invalidate_if(&self, is_refused: impl FnOnce(&T) -> bool) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        if current.as_ref().is_some_and(|t| is_refused(&t.token)) {
            *current = None;
        }
    }

    fn fresh(&self) -> Option<T> {
        self.valid_for(self.min_ttl)
    }

    fn unexpired(&self) -> Option<T> {
        self.valid_for(Duration::ZERO)
    }

    fn valid_for(&self, margin: Duration) -> Option<T> {
        let guard = self.current.read().unwrap_or_else(|e| e.into_inner());
        let token = guard.as_ref()?;
        match token.expires_at {
            None => Some(token.token.clone()),
            Some(at)
                if at
                    .checked_duration_since(self.clock.now())
                    .is_some_and(|left| left > margin) =>
            {
                Some(token.token.clone())
            }
            Some(_) => None,
        }
    }
}

/// Something that fetches credentials of type `T` with their expiry: a token endpoint, a metadata
/// service, a command, a file. Drivers keep what it provides in a [`TokenCache`]; implement it to
/// hand a driver credentials of your own.
#[async_trait::async_trait]
pub trait Provide<T>: Send + Sync + fmt::Debug + 'static {
    /// Fresh credentials and when they expire.
    async fn provide(&self) -> Result<TemporaryToken<T>>;

    /// A short name for where the credentials come from (`environment`, `imds`, …), for messages.
    fn source(&self) -> &str {
        "provider"
    }
}

impl<T> fmt::Debug for TokenCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("min_ttl", &self.min_ttl)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::error::{Error, ErrorKind};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_token_valid_until_a_wall_clock_time_ends_then_or_has_ended() {
        let clock = ManualClock::new();
        let in_a_minute = clock.system_time() + Duration::from_secs(60);
        let token = TemporaryToken::expiring_at("t", in_a_minute, &clock);
        assert_eq!(
            token.expires_at,
            Some(clock.now() + Duration::from_secs(60))
        );
        let a_minute_ago = clock.system_time() - Duration::from_secs(60);
        let token = TemporaryToken::expiring_at("t", a_minute_ago, &clock);
        assert_eq!(token.expires_at, Some(clock.now()), "expired already");
    }

    #[test]
    fn a_lifetime_past_what_the_clock_counts_never_expires() {
        // Found by `cargo xtask fuzz`: `expires_on` of 10^19 seconds overflowed the instant.
        let clock = ManualClock::new();
        let token = TemporaryToken::expiring_in("t", Duration::from_secs(u64::MAX), &clock);
        assert_eq!(token.expires_at, None);
        let token = TemporaryToken::expiring_in("t", Duration::from_secs(60), &clock);
        assert_eq!(
            token.expires_at,
            Some(clock.now() + Duration::from_secs(60))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_thousand_concurrent_callers_cause_one_fetch() {
        let cache = Arc::new(TokenCache::new(
            Duration::from_secs(60),
            Arc::new(ManualClock::new()),
        ));
        let fetches = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..1000)
            .map(|_| {
                let cache = cache.clone();
                let fetches = fetches.clone();
                tokio::spawn(async move {
                    cache
                        .get_or_refresh(|| async {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok(TemporaryToken::forever("t".to_string()))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "t");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refreshes_inside_the_margin_and_falls_back_to_the_unexpired_token() {
        let clock = ManualClock::new();
        let cache = TokenCache::new(Duration::from_secs(60), Arc::new(clock.clone()));
        let first = cache
            .get_or_refresh(|| async {
                Ok(TemporaryToken::expiring_in(
                    1,
                    Duration::from_secs(100),
                    &clock,
                ))
            })
            .await
            .unwrap();
        assert_eq!(first, 1);

        // 50 s left: inside the 60 s margin, so a refresh is attempted; it fails, the old token is served.
        clock.advance(Duration::from_secs(50));
        let served = cache
            .get_or_refresh(|| async { Err(Error::new(ErrorKind::ServiceUnavailable, "down")) })
            .await
            .unwrap();
        assert_eq!(served, 1);

        // Expired: a failing refresh is now an error.
        clock.advance(Duration::from_secs(60));
        let err = cache
            .get_or_refresh(|| async { Err(Error::new(ErrorKind::ServiceUnavailable, "down")) })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);

        let refreshed = cache
            .get_or_refresh(|| async {
                Ok(TemporaryToken::expiring_in(
                    2,
                    Duration::from_secs(100),
                    &clock,
                ))
            })
            .await
            .unwrap();
        assert_eq!(refreshed, 2);
    }
}
