//! JSON API error answers to [`Error`]s: the first `reason` of the error body, mapped to a kind.
//!
//! A resumable upload answers a chunk it took, but not the last one, with `308 Resume Incomplete`
//! and the bytes it holds in `Range`. The pipeline treats every status but 2xx as an error, so that
//! answer arrives here and becomes an error with the code [`RESUME_INCOMPLETE`] whose message is the
//! `Range` header's value, which the upload reads back.

use cloud_core::{body_summary, default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};

use super::model::ErrorBody;

/// The code of a 308 from a resumable upload session.
pub(crate) const RESUME_INCOMPLETE: &str = "ResumeIncomplete";

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct GcsErrors;

/// The kind a reason means, when it says more than its status.
fn kind_of(reason: &str) -> Option<ErrorKind> {
    Some(match reason {
        "notFound" => ErrorKind::NotFound,
        "conditionNotMet" => ErrorKind::PreconditionFailed,
        "notModified" => ErrorKind::NotModified,
        "rateLimitExceeded" | "userRateLimitExceeded" => ErrorKind::RateLimited,
        "authError" | "unauthorized" => ErrorKind::Unauthenticated,
        "forbidden" | "accessDenied" | "insufficientPermissions" | "accountDisabled" => {
            ErrorKind::PermissionDenied
        }
        "requestedRangeNotSatisfiable" => ErrorKind::RangeNotSatisfiable,
        "backendError" | "internalError" => ErrorKind::ServiceUnavailable,
        "invalid" | "invalidArgument" | "badRequest" | "invalidParameter" => {
            ErrorKind::InvalidInput
        }
        _ => return None,
    })
}

impl ErrorParser for GcsErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        if status == StatusCode::PERMANENT_REDIRECT {
            let range = cloud_core::headers::text(headers, "range").unwrap_or_default();
            return Error::from_status(status)
                .with_code(RESUME_INCOMPLETE)
                .with_message(range);
        }
        let Ok(parsed) = serde_json::from_slice::<ErrorBody>(body) else {
            return default_error(status, headers, body);
        };
        let reason = parsed.error.errors.iter().find_map(|e| e.reason.clone());
        let mut err = Error::from_status(status);
        if let Some(reason) = &reason {
            err = err.with_code(reason);
            if let Some(kind) = kind_of(reason).filter(|_| status != StatusCode::NOT_MODIFIED) {
                err = err.with_kind(kind);
            }
        }
        // The server's words, first line only, with nothing that looks like a credential.
        if let Some(message) = parsed
            .error
            .message
            .as_deref()
            .and_then(|m| m.lines().next())
            .and_then(|m| body_summary(m.as_bytes()))
        {
            err = err.with_message(message);
        }
        if let Some(id) = cloud_core::headers::text(headers, "x-guploader-uploadid") {
            err = err.with_request_id(id);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_reasons_and_keeps_a_308s_range() {
        let body = br#"{"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold.","errors":[{"domain":"global","reason":"conditionNotMet"}]}}"#;
        let err = GcsErrors.parse_error(StatusCode::PRECONDITION_FAILED, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
        assert_eq!(err.code(), Some("conditionNotMet"));
        let err = GcsErrors.parse_error(StatusCode::NOT_FOUND, &HeaderMap::new(), b"");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let mut headers = HeaderMap::new();
        headers.insert("range", "bytes=0-262143".parse().unwrap());
        let err = GcsErrors.parse_error(StatusCode::PERMANENT_REDIRECT, &headers, b"");
        assert_eq!(err.code(), Some(RESUME_INCOMPLETE));
        assert_eq!(err.message(), Some("bytes=0-262143"));
        let body = br#"{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}}"#;
        let err = GcsErrors.parse_error(StatusCode::UNAUTHORIZED, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    }
}
