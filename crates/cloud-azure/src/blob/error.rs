//! Blob service error responses to [`Error`]s: the code from `x-ms-error-code` (the only word a HEAD
//! gets) or the `<Error>` body, mapped to a kind.

use cloud_core::{body_summary, default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};

use super::model::ErrorBody;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BlobErrors;

/// The kind an error code means, when it says more than its status.
pub(crate) fn kind_of(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "ContainerNotFound" | "BlobNotFound" | "ResourceNotFound" => ErrorKind::NotFound,
        "ContainerAlreadyExists" | "BlobAlreadyExists" | "ResourceAlreadyExists" => {
            ErrorKind::AlreadyExists
        }
        "AuthenticationFailed" | "InvalidAuthenticationInfo" | "NoAuthenticationInformation" => {
            ErrorKind::Unauthenticated
        }
        "AuthorizationFailure"
        | "AuthorizationPermissionMismatch"
        | "AuthorizationResourceTypeMismatch"
        | "AccountIsDisabled"
        | "InsufficientAccountPermissions" => ErrorKind::PermissionDenied,
        "ServerBusy" => ErrorKind::RateLimited,
        "InternalError" | "OperationTimedOut" => ErrorKind::ServiceUnavailable,
        "ConditionNotMet" | "TargetConditionNotMet" | "SourceConditionNotMet" => {
            ErrorKind::PreconditionFailed
        }
        "InvalidRange" => ErrorKind::RangeNotSatisfiable,
        "Md5Mismatch" | "Crc64Mismatch" => ErrorKind::ChecksumMismatch,
        "ContainerBeingDeleted" | "LeaseIdMissing" | "LeaseAlreadyPresent" => ErrorKind::Conflict,
        "InvalidBlockList"
        | "InvalidBlockId"
        | "InvalidHeaderValue"
        | "InvalidQueryParameterValue"
        | "InvalidInput"
        | "InvalidMetadata"
        | "InvalidResourceName"
        | "OutOfRangeInput"
        | "RequestBodyTooLarge"
        | "InvalidBlobOrBlock"
        | "MissingRequiredHeader"
        | "InvalidMd5"
        | "UnsupportedHeader"
        | "InvalidUri" => ErrorKind::InvalidInput,
        "UnsupportedRestVersion" | "FeatureVersionMismatch" => ErrorKind::Unsupported,
        _ => return None,
    })
}

fn text(headers: &HeaderMap, name: &str) -> Option<String> {
    cloud_core::headers::text(headers, name)
}

impl ErrorParser for BlobErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let parsed = std::str::from_utf8(body)
            .ok()
            .filter(|t| cloud_core::xml::root_name(t).as_deref() == Some("Error"))
            .and_then(|t| quick_xml::de::from_str::<ErrorBody>(t).ok());
        let (code, message) = match parsed {
            Some(body) => (body.code, body.message),
            None => (None, None),
        };
        let Some(code) = code.or_else(|| text(headers, "x-ms-error-code")) else {
            return default_error(status, headers, body);
        };
        let mut err = Error::from_status(status).with_code(&code);
        // A 304 says "not modified" whatever its code (ConditionNotMet) says.
        if let Some(kind) = kind_of(&code).filter(|_| status != StatusCode::NOT_MODIFIED) {
            err = err.with_kind(kind);
        }
        // The first line of the server's words (Azure appends the request id and time on others),
        // without any credential they might quote.
        if let Some(message) = message
            .as_deref()
            .and_then(|m| m.lines().next())
            .and_then(|m| body_summary(m.as_bytes()))
        {
            err = err.with_message(message);
        }
        if let Some(id) = text(headers, "x-ms-request-id") {
            err = err.with_request_id(id);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_code_from_the_body_or_the_header() {
        let body = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.\nRequestId:abc\nTime:2026</Message></Error>";
        let err = BlobErrors.parse_error(StatusCode::NOT_FOUND, &HeaderMap::new(), body);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.code(), Some("ContainerNotFound"));
        assert!(!err.to_string().contains("RequestId"), "{err}");

        let mut headers = HeaderMap::new();
        headers.insert("x-ms-error-code", "ConditionNotMet".parse().unwrap());
        let err = BlobErrors.parse_error(StatusCode::PRECONDITION_FAILED, &headers, b"");
        assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
        let err = BlobErrors.parse_error(StatusCode::FORBIDDEN, &HeaderMap::new(), b"");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let bad_signature = b"<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message></Error>";
        let err = BlobErrors.parse_error(StatusCode::FORBIDDEN, &HeaderMap::new(), bad_signature);
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-error-code", "ConditionNotMet".parse().unwrap());
        let err = BlobErrors.parse_error(StatusCode::NOT_MODIFIED, &headers, b"");
        assert_eq!(err.kind(), ErrorKind::NotModified);
    }
}
