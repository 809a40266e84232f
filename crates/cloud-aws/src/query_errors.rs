//! Query API error responses (EC2's `<Response><Errors><Error>`, STS's `<ErrorResponse><Error>`) to
//! [`Error`]s.

use cloud_core::{body_summary, default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};

/// Reads the `<Error><Code>…<Message>…` of Query API answers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct QueryErrors;

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

/// The kind an EC2 or STS error code means.
pub(crate) fn kind_of(code: &str) -> Option<ErrorKind> {
    Some(match code {
        c if c.ends_with(".NotFound") => ErrorKind::NotFound,
        c if c.ends_with(".Duplicate") || c.ends_with(".AlreadyExists") => ErrorKind::AlreadyExists,
        "RequestLimitExceeded" | "Throttling" | "ThrottlingException" => ErrorKind::RateLimited,
        "UnauthorizedOperation" | "OptInRequired" | "Blocked" => ErrorKind::PermissionDenied,
        "AuthFailure"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidIdentityToken"
        | "IDPRejectedClaim"
        | "IDPCommunicationError" => ErrorKind::Unauthenticated,
        "AccessDenied" => ErrorKind::PermissionDenied,
        "IncorrectState"
        | "IncorrectInstanceState"
        | "VolumeInUse"
        | "InvalidVolume.ZoneMismatch"
        | "DependencyViolation" => ErrorKind::Conflict,
        "InsufficientInstanceCapacity" | "ServiceUnavailable" | "InternalError" | "Unavailable" => {
            ErrorKind::ServiceUnavailable
        }
        "UnsupportedOperation" | "Unsupported" => ErrorKind::Unsupported,
        c if c.starts_with("Invalid") || c.starts_with("Missing") => ErrorKind::InvalidInput,
        _ => return None,
    })
}

impl ErrorParser for QueryErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let text = String::from_utf8_lossy(body);
        let Some(code) = between(&text, "<Code>", "</Code>") else {
            return default_error(status, headers, body);
        };
        let mut err = Error::from_status(status).with_code(code);
        if let Some(kind) = kind_of(code) {
            err = err.with_kind(kind);
        }
        // A server's words, shown as one short line without any credential they quote.
        if let Some(message) =
            between(&text, "<Message>", "</Message>").and_then(|m| body_summary(m.as_bytes()))
        {
            err = err.with_message(message);
        }
        if let Some(id) = between(&text, "<RequestID>", "</RequestID>")
            .or_else(|| between(&text, "<RequestId>", "</RequestId>"))
        {
            err = err.with_request_id(id);
        }
        err
    }

    fn error_in_success(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Error> {
        // An error document (`<Response><Errors>…`) sent with a success status.
        let head = &body[..body.len().min(512)];
        let is_error = head.windows(10).any(|w| w == b"<Response>")
            && body.windows(8).any(|w| w == b"<Errors>");
        if !is_error {
            return None;
        }
        let err = self.parse_error(status, headers, body);
        let kind = err
            .code()
            .and_then(kind_of)
            .unwrap_or(ErrorKind::Unexpected);
        Some(err.with_kind(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ec2_codes_to_kinds() {
        for (code, kind) in [
            ("InvalidInstanceID.NotFound", ErrorKind::NotFound),
            ("InvalidAMIID.NotFound", ErrorKind::NotFound),
            ("InvalidKeyPair.Duplicate", ErrorKind::AlreadyExists),
            ("RequestLimitExceeded", ErrorKind::RateLimited),
            ("UnauthorizedOperation", ErrorKind::PermissionDenied),
            ("AuthFailure", ErrorKind::Unauthenticated),
            ("VolumeInUse", ErrorKind::Conflict),
            ("InvalidKeyPair.Format", ErrorKind::InvalidInput),
        ] {
            let body = format!("<Response><Errors><Error><Code>{code}</Code><Message>m</Message></Error></Errors><RequestID>R</RequestID></Response>");
            let err = QueryErrors.parse_error(
                StatusCode::BAD_REQUEST,
                &HeaderMap::new(),
                body.as_bytes(),
            );
            assert_eq!(err.kind(), kind, "{code}");
            assert_eq!(err.request_id(), Some("R"));
        }
    }

    #[test]
    fn an_error_document_with_status_200_is_an_error() {
        let body = b"<?xml version=\"1.0\"?><Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code><Message>gone</Message></Error></Errors><RequestID>R</RequestID></Response>";
        let err = QueryErrors
            .error_in_success(StatusCode::OK, &HeaderMap::new(), body)
            .expect("an error");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.code(), Some("InvalidInstanceID.NotFound"));
        let fine = b"<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>";
        assert!(QueryErrors
            .error_in_success(StatusCode::OK, &HeaderMap::new(), fine)
            .is_none());
    }
}
