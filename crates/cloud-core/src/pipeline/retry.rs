//! The retry step and its policy.
//!
//! What is retried:
//! - a failure to connect (nothing reached the server);
//! - throttling (429, and anything the provider's [`ErrorParser`](crate::ErrorParser) called
//!   [`RateLimited`](crate::ErrorKind::RateLimited), such as S3's `SlowDown`): the server refused the
//!   request before acting on it;
//! - **only** for idempotent operations, since the server may have acted on the first attempt: the
//!   other error statuses worth another try (408, 5xx other than 501 and 505, anything called
//!   [`ServiceUnavailable`](crate::ErrorKind::ServiceUnavailable), a 200 carrying `InternalError`), a
//!   timeout, and a connection that broke mid-exchange. An operation is idempotent by its method
//!   (POST and PATCH are not) unless its provider marks it otherwise, as for calls carrying an
//!   idempotency token.
//!
//! A refusal of credentials that are fetched and renewable (a token revoked before its time) gets one
//! more attempt at once, with renewed ones, even where retries are off: the server did nothing.
//!
//! Only requests whose body can be replayed are retried. Delays follow the [`Backoff`], except that a
//! server's `Retry-After` is obeyed as given; the loop stops after `max_attempts` or when the next wait
//! would pass `max_elapsed`. Every attempt first takes a token from the service's adaptive
//! [throttle](super::throttle), which hears how each attempt went.

use std::time::Duration;

use super::authorize::authorized;
use super::{Call, Pipeline, Replay, Reply};
use crate::backoff::Backoff;
use crate::error::{Error, ErrorKind, Origin, Result};

/// How persistently to retry.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RetryConfig {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// No retry starts once this much time has passed since the first attempt began.
    pub max_elapsed: Duration,
    /// The delays between attempts.
    pub backoff: Backoff,
}

impl RetryConfig {
    /// No retries: one attempt.
    pub fn disabled() -> RetryConfig {
        RetryConfig {
            max_attempts: 1,
            ..RetryConfig::default()
        }
    }

    /// Sets the number of attempts in all (at least 1).
    pub fn with_max_attempts(mut self, attempts: u32) -> RetryConfig {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the time after which no new attempt starts.
    pub fn with_max_elapsed(mut self, elapsed: Duration) -> RetryConfig {
        self.max_elapsed = elapsed;
        self
    }

    /// Sets the backoff between attempts.
    pub fn with_backoff(mut self, backoff: Backoff) -> RetryConfig {
        self.backoff = backoff;
        self
    }
}

impl Default for RetryConfig {
    /// 6 attempts within 3 minutes, backing off from 100 ms to 15 s.
    fn default() -> RetryConfig {
        RetryConfig {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(180),
            backoff: Backoff::default(),
        }
    }
}

/// Whether another attempt may help and is safe.
pub(crate) fn is_retryable(err: &Error, idempotent: bool) -> bool {
    match err.origin() {
        Origin::Local => false,
        Origin::Connect => true,
        Origin::Exchange => idempotent,
        Origin::Status => {
            let Some(status) = err.status().map(|s| s.as_u16()) else {
                return false;
            };
            // 501 and 505 are permanent whatever the provider calls them.
            if matches!(status, 501 | 505) {
                return false;
            }
            // Throttling refuses a request before acting on it: safe to send again whatever it is.
            if status == 429 || err.kind() == ErrorKind::RateLimited {
                return true;
            }
            // Any other failure may have come after the server acted (a 500 after the key pair was
            // made): only a request whose repetition changes nothing is sent again.
            idempotent
                && (matches!(status, 408 | 500..=599)
                    || err.kind() == ErrorKind::ServiceUnavailable)
        }
    }
}

impl Pipeline {
    /// The call, its failed attempts retried per its [`RetryConfig`].
    pub(crate) async fn retried(&self, call: Call) -> Result<Reply> {
        let Pipeline {
            retry: config,
            throttle,
            authorizer,
            transport,
            ..
        } = self;
        let clock = transport.clock();
        let renewable = authorizer.renewable();
        let idempotent = call.context.idempotent;
        let start = clock.now();
        let mut first = Some(call);
        // The unsigned request, kept while another attempt may follow.
        let mut spare: Option<Replay> = None;
        let mut delay: Option<Duration> = None;
        let mut attempt = 0;
        // The attempt with renewed credentials after a refusal is not counted (the server did
        // nothing).
        let mut renewing = false;
        loop {
            if !std::mem::take(&mut renewing) {
                attempt += 1;
            }
            let Some(current) = first.take().or_else(|| spare.take().map(Replay::into_call)) else {
                unreachable!("the loop continues only while a spare is kept");
            };
            let may_renew = renewable && !current.context.renewed;
            if attempt < config.max_attempts || may_renew {
                spare = current.replay();
            }
            if let Some(throttle) = &throttle {
                throttle.acquire().await;
            }
            let err = match authorized(authorizer.as_ref(), transport, current).await {
                Ok(response) => {
                    if let Some(throttle) = &throttle {
                        throttle.record_success(response.headers());
                    }
                    return Ok(response);
                }
                Err(err) => {
                    if let Some(throttle) = &throttle {
                        throttle.record_error(&err);
                    }
                    err.with_attempts(attempt)
                }
            };
            if err.renews_credentials() {
                // Refused credentials were forgotten by the authorize step: renewed ones get one
                // more attempt at once.
                let Some(spare) = &mut spare else {
                    return Err(err);
                };
                spare.context.renewed = true;
                tracing::debug!(
                    target: crate::debug_log::TARGET,
                    error = %err,
                    "credentials refused; renewing them and sending once more"
                );
                renewing = true;
                continue;
            }
            if spare.is_none() || !is_retryable(&err, idempotent) {
                return Err(err);
            }
            // Jittered from the first retry on, so clients that failed together do not return
            // together.
            let backoff = config.backoff.next(delay.unwrap_or(config.backoff.base()));
            delay = Some(backoff);
            let wait = err.retry_after().unwrap_or(backoff);
            let elapsed = clock.now().saturating_duration_since(start);
            if elapsed.saturating_add(wait) > config.max_elapsed {
                return Err(match err.retry_after() {
                    Some(asked) => beyond_budget(err, asked, config.max_elapsed),
                    None => err,
                });
            }
            tracing::debug!(
                target: crate::debug_log::TARGET,
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %err,
                "retrying"
            );
            clock.sleep(wait).await;
        }
    }
}

/// The error of a server that asked for a wait the retry budget does not allow: not retried, and said so.
fn beyond_budget(err: Error, asked: Duration, budget: Duration) -> Error {
    let said = err
        .message()
        .unwrap_or("the server asked to retry later")
        .to_owned();
    let asked = if asked > Duration::from_secs(86_400 * 365) {
        "more than a year".to_owned()
    } else {
        format!("{} s", asked.as_secs())
    };
    err.with_message(format!(
        "{said}; the server asked to wait {asked} before retrying, past the retry budget of {} s, so it was not retried",
        budget.as_secs()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn status(code: u16) -> Error {
        Error::from_status(StatusCode::from_u16(code).unwrap())
    }

    #[test]
    fn retries_server_errors_only_when_idempotent_and_throttling_always() {
        for code in [408, 500, 502, 503, 504] {
            assert!(is_retryable(&status(code), true), "{code}");
            assert!(!is_retryable(&status(code), false), "{code}");
        }
        assert!(is_retryable(&status(429), false));
        let slow_down = status(503).with_kind(ErrorKind::RateLimited);
        assert!(is_retryable(&slow_down, false));
    }

    #[test]
    fn does_not_retry_client_errors_or_unimplemented() {
        for code in [400, 401, 403, 404, 409, 412, 416, 501, 505] {
            assert!(!is_retryable(&status(code), true), "{code}");
        }
    }

    #[test]
    fn retries_provider_throttling_signals_on_other_statuses() {
        let err = status(403).with_kind(ErrorKind::RateLimited);
        assert!(is_retryable(&err, false));
    }

    #[test]
    fn retries_mid_exchange_failures_only_when_idempotent() {
        let err = Error::exchange(ErrorKind::Transport, "reset", None);
        assert!(is_retryable(&err, true));
        assert!(!is_retryable(&err, false));
        let timeout = Error::exchange(ErrorKind::Timeout, "slow", None);
        assert!(!is_retryable(&timeout, false));
    }

    #[test]
    fn always_retries_connect_failures_and_never_local_ones() {
        assert!(is_retryable(&Error::connect("refused"), false));
        assert!(!is_retryable(&Error::invalid_input("bad"), true));
    }
}
