//! The bucket's behaviour on tokio's paused clock.

use std::sync::Arc;

use http::{HeaderValue, StatusCode};

use super::*;

fn slow_down() -> Error {
    Error::from_status(StatusCode::SERVICE_UNAVAILABLE).with_kind(ErrorKind::RateLimited)
}

fn ok() -> HeaderMap {
    HeaderMap::new()
}

#[tokio::test(start_paused = true)]
async fn costs_nothing_until_the_server_pushes_back() {
    let throttle = Throttle::new(false);
    let start = Instant::now();
    for _ in 0..1000 {
        throttle.acquire().await;
        throttle.record_success(&ok());
    }
    assert_eq!(Instant::now(), start, "no waiting");
    assert_eq!(throttle.rate(), None);
    // Errors that say nothing of load do not engage it either.
    throttle.record_error(&Error::from_status(StatusCode::NOT_FOUND));
    throttle.record_error(&Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(throttle.rate(), None);
}

#[tokio::test(start_paused = true)]
async fn pushback_engages_it_and_paces_attempts_at_its_rate() {
    for err in [
        slow_down(),
        Error::from_status(StatusCode::TOO_MANY_REQUESTS),
        Error::from_status(StatusCode::SERVICE_UNAVAILABLE),
        Error::from_status(StatusCode::BAD_REQUEST).with_kind(ErrorKind::RateLimited),
    ] {
        let throttle = Throttle::new(false);
        throttle.record_error(&err);
        assert_eq!(throttle.rate(), Some(START_RATE), "{err}");
        let start = Instant::now();
        for _ in 0..11 {
            throttle.acquire().await;
        }
        // One token in hand, then ten at 10 per second.
        let took = Instant::now() - start;
        assert!(
            (Duration::from_millis(990)..=Duration::from_millis(1010)).contains(&took),
            "{took:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_rate_doubles_until_pushed_back_then_is_cut_below_what_was_accepted() {
    let throttle = Throttle::new(false);
    throttle.record_error(&slow_down());
    // The answers to a burst already in flight do not cut the rate again.
    for _ in 0..100 {
        throttle.record_error(&slow_down());
    }
    assert_eq!(throttle.rate(), Some(START_RATE));
    let mut rates = Vec::new();
    for _ in 0..2 {
        for _ in 0..10 {
            throttle.acquire().await;
            throttle.record_success(&ok());
        }
        rates.push(throttle.rate().unwrap());
    }
    assert!(rates[1] >= 2.0 * START_RATE, "doubling: {rates:?}");
    let before = throttle.rate().unwrap();
    tokio::time::advance(STEP).await;
    throttle.record_error(&slow_down());
    let after = throttle.rate().unwrap();
    assert!(after < before, "{before} -> {after}");
    // Another refusal within the step changes nothing.
    throttle.record_error(&slow_down());
    assert_eq!(throttle.rate().unwrap(), after);
}

#[tokio::test(start_paused = true)]
async fn it_is_never_cut_below_the_floor_and_disengages_when_quiet() {
    let throttle = Throttle::new(false);
    throttle.record_error(&slow_down());
    for _ in 0..50 {
        tokio::time::advance(STEP).await;
        throttle.record_error(&slow_down());
    }
    assert_eq!(throttle.rate(), Some(MIN_RATE));
    tokio::time::advance(QUIET).await;
    throttle.record_success(&ok());
    assert_eq!(
        throttle.rate(),
        None,
        "disengaged after {QUIET:?} without pushback"
    );
    let start = Instant::now();
    throttle.acquire().await;
    throttle.acquire().await;
    assert_eq!(Instant::now(), start);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_pauses_every_task_but_a_long_one_does_not() {
    let throttle = Arc::new(Throttle::new(false));
    throttle.record_error(&slow_down().with_retry_after(Duration::from_secs(2)));
    let start = Instant::now();
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let throttle = throttle.clone();
            tokio::spawn(async move { throttle.acquire().await })
        })
        .collect();
    for waiter in waiters {
        waiter.await.unwrap();
    }
    assert!(Instant::now() - start >= Duration::from_secs(2));

    let throttle = Throttle::new(false);
    throttle.record_error(&slow_down().with_retry_after(Duration::from_secs(3600)));
    let start = Instant::now();
    throttle.acquire().await;
    assert_eq!(
        Instant::now(),
        start,
        "an hour is the answered request's business"
    );
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_rate_limit_header_pauses_until_the_reset_when_read() {
    let mut headers = HeaderMap::new();
    headers.insert("ratelimit-remaining", HeaderValue::from_static("0"));
    headers.insert("ratelimit-reset", HeaderValue::from_static("3"));
    let ignoring = Throttle::new(false);
    ignoring.record_success(&headers);
    assert_eq!(ignoring.rate(), None);

    let reading = Throttle::new(true);
    reading.record_success(&headers);
    let start = Instant::now();
    reading.acquire().await;
    assert!(Instant::now() - start >= Duration::from_secs(3));
}

#[test]
fn reads_rate_limit_resets_as_times_or_waits() {
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let headers = |remaining: &'static str, reset: String| {
        let mut headers = HeaderMap::new();
        headers.insert("RateLimit-Remaining", HeaderValue::from_static(remaining));
        headers.insert("ratelimit-reset", reset.parse().unwrap());
        headers
    };
    assert_eq!(
        exhausted_until(&headers("0", "1700000042".into()), now),
        Some(Duration::from_secs(42))
    );
    assert_eq!(
        exhausted_until(&headers("0", "7".into()), now),
        Some(Duration::from_secs(7))
    );
    assert_eq!(
        exhausted_until(&headers("0", "1600000000".into()), now),
        Some(Duration::from_secs(1)),
        "a reset in the past still waits a moment"
    );
    assert_eq!(exhausted_until(&headers("3", "7".into()), now), None);
    let mut linode = HeaderMap::new();
    linode.insert("x-ratelimit-remaining", HeaderValue::from_static("0"));
    linode.insert("x-ratelimit-reset", HeaderValue::from_static("1700000010"));
    assert_eq!(exhausted_until(&linode, now), Some(Duration::from_secs(10)));
    let mut garbled = HeaderMap::new();
    garbled.insert("ratelimit-remaining", HeaderValue::from_static("zero"));
    garbled.insert("ratelimit-reset", HeaderValue::from_static("soon"));
    assert_eq!(exhausted_until(&garbled, now), None);
}
