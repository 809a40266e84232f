//! Swift error answers to [`Error`]s. Swift says little beyond its status (its bodies are short HTML
//! pages), so the status decides, with two of Swift's own: 422 means the body did not match the
//! `ETag` sent, and 401 is [`ErrorKind::Unauthenticated`] (the pipeline has renewed the token and
//! sent the request once more by then).

use cloud_core::{default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SwiftErrors;

impl ErrorParser for SwiftErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let mut err = default_error(status, headers, body);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            err = err.with_kind(ErrorKind::ChecksumMismatch);
        }
        if let Some(id) = cloud_core::headers::text(headers, "x-trans-id") {
            err = err.with_request_id(id);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_etag_mismatch_is_a_checksum_mismatch() {
        let err = SwiftErrors.parse_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            &HeaderMap::new(),
            b"<html><h1>Unprocessable Entity</h1><p>Unable to process the contained instructions</p></html>",
        );
        assert_eq!(err.kind(), ErrorKind::ChecksumMismatch);
        let err = SwiftErrors.parse_error(StatusCode::UNAUTHORIZED, &HeaderMap::new(), b"");
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    }
}
