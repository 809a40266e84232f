//! DigitalOcean's error answers to [`Error`]s: the body's `id` mapped to a kind, its message kept,
//! and on throttling the wait until `ratelimit-reset`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloud_core::{body_summary, default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};

use super::model::ErrorBody;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DoErrors;

fn kind_of(id: &str, message: &str) -> Option<ErrorKind> {
    Some(match id {
        "not_found" => ErrorKind::NotFound,
        "unauthorized" => ErrorKind::Unauthenticated,
        "forbidden" => ErrorKind::PermissionDenied,
        "too_many_requests" => ErrorKind::RateLimited,
        "conflict" => ErrorKind::Conflict,
        // The API answers a second key of the same material, or a second volume of one name, with
        // 422 and words rather than an id of its own.
        "unprocessable_entity" if message.contains("already in use") => ErrorKind::AlreadyExists,
        "unprocessable_entity" | "bad_request" => ErrorKind::InvalidInput,
        "server_error" | "service_unavailable" => ErrorKind::ServiceUnavailable,
        _ => return None,
    })
}

/// The wait until `ratelimit-reset` (Unix seconds), capped at an hour: the API's limit resets hourly.
fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let reset: u64 = cloud_core::headers::text(headers, "ratelimit-reset")?
        .trim()
        .parse()
        .ok()?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(
        reset.saturating_sub(now).clamp(1, 3600),
    ))
}

impl ErrorParser for DoErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let mut err = match serde_json::from_slice::<ErrorBody>(body) {
            Ok(parsed) => {
                let message = parsed.message.unwrap_or_default();
                let mut err = Error::from_status(status).with_code(&parsed.id);
                if let Some(kind) = kind_of(&parsed.id, &message) {
                    err = err.with_kind(kind);
                }
                if let Some(text) = body_summary(message.as_bytes()) {
                    err = err.with_message(text);
                }
                if let Some(id) = parsed.request_id {
                    err = err.with_request_id(id);
                }
                err
            }
            Err(_) => default_error(status, headers, body),
        };
        if status == StatusCode::TOO_MANY_REQUESTS || err.kind() == ErrorKind::RateLimited {
            err = err.with_kind(ErrorKind::RateLimited);
            if headers.get(http::header::RETRY_AFTER).is_none() {
                if let Some(wait) = until_reset(headers) {
                    err = err.with_retry_after(wait);
                }
            }
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ids_and_waits_for_the_reset() {
        let body = br#"{"id":"not_found","message":"The resource you were accessing could not be found.","request_id":"r-1"}"#;
        let err = DoErrors.parse_error(StatusCode::NOT_FOUND, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.request_id(), Some("r-1"));
        let body = br#"{"id":"unprocessable_entity","message":"SSH Key is already in use on your account"}"#;
        let err = DoErrors.parse_error(StatusCode::UNPROCESSABLE_ENTITY, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let mut headers = HeaderMap::new();
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 30;
        headers.insert("ratelimit-reset", reset.to_string().parse().unwrap());
        let body = br#"{"id":"too_many_requests","message":"API Rate limit exceeded."}"#;
        let err = DoErrors.parse_error(StatusCode::TOO_MANY_REQUESTS, &headers, body);
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        let wait = err.retry_after().unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }
}
