//! S3 error responses to [`Error`]s.

use cloud_core::{body_summary, default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};

use super::model::ErrorBody;
use super::regions::BucketRegion;

/// Reads S3's XML error body (`<Error><Code>…`), and the errors S3 hides in 200 responses.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct S3Errors;

/// The kind an S3 error code means, when it says more than its status.
fn kind_of(code: &str) -> Option<ErrorKind> {
    Some(match code {
        "NoSuchBucket" | "NoSuchKey" | "NoSuchUpload" | "NotFound" => ErrorKind::NotFound,
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => ErrorKind::AlreadyExists,
        "BucketNotEmpty" => ErrorKind::NotEmpty,
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => ErrorKind::PermissionDenied,
        "InvalidAccessKeyId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "InvalidToken"
        | "TokenRefreshRequired" => ErrorKind::Unauthenticated,
        "SlowDown"
        | "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequests" => ErrorKind::RateLimited,
        "PreconditionFailed" => ErrorKind::PreconditionFailed,
        "InvalidRange" => ErrorKind::RangeNotSatisfiable,
        "InternalError" | "ServiceUnavailable" => ErrorKind::ServiceUnavailable,
        "BadDigest" | "InvalidDigest" | "XAmzContentChecksumMismatch" => {
            ErrorKind::ChecksumMismatch
        }
        "NotImplemented" => ErrorKind::Unsupported,
        "EntityTooSmall" | "EntityTooLarge" | "InvalidBucketName" | "KeyTooLongError"
        | "InvalidArgument" | "InvalidRequest" | "MalformedXML" | "InvalidPart"
        | "InvalidPartOrder" => ErrorKind::InvalidInput,
        _ => return None,
    })
}

fn from_body(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Error> {
    let text = std::str::from_utf8(body).ok()?;
    let parsed: ErrorBody = quick_xml::de::from_str(text).ok()?;
    let code = parsed.code?;
    let mut err = Error::from_status(status).with_code(&code);
    if let Some(kind) = kind_of(&code) {
        err = err.with_kind(kind);
    }
    // A server's words, shown as one short line without any credential they quote.
    if let Some(message) = parsed.message.and_then(|m| body_summary(m.as_bytes())) {
        err = err.with_message(message);
    }
    if let Some(id) = parsed
        .request_id
        .or_else(|| header(headers, "x-amz-request-id"))
    {
        err = err.with_request_id(id);
    }
    if let Some(region) = parsed.region {
        let said = err.message().unwrap_or("wrong region").to_owned();
        err = err.with_message(format!("{said}; the bucket lives in region {region}"));
    }
    Some(err)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name)?.to_str().ok().map(str::to_owned)
}

impl ErrorParser for S3Errors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let mut err = from_body(status, headers, body)
            .unwrap_or_else(|| default_error(status, headers, body));
        let named = err.message().is_some_and(|m| m.contains("lives in region"));
        let redirect = status == StatusCode::MOVED_PERMANENTLY || status == StatusCode::BAD_REQUEST;
        if !redirect {
            return err;
        }
        let region = header(headers, "x-amz-bucket-region").or_else(|| {
            let text = std::str::from_utf8(body).ok()?;
            quick_xml::de::from_str::<ErrorBody>(text).ok()?.region
        });
        let Some(region) = region.filter(|r| !r.is_empty()) else {
            return err;
        };
        if !named {
            let said = err
                .message()
                .unwrap_or("the bucket is in another region")
                .to_owned();
            err = err.with_message(format!("{said}; the bucket lives in region {region}"));
        }
        // The driver signs again for that region (see `regions`).
        err.with_source(BucketRegion(region))
    }

    fn error_in_success(
        &self,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<Error> {
        // CompleteMultipartUpload and CopyObject may answer 200 and report a failure in the body.
        let start = body
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(0);
        let head = &body[start..body.len().min(start + 256)];
        let is_error = head.starts_with(b"<Error>") || head.windows(7).any(|w| w == b"<Error>");
        if !is_error || head.windows(14).any(|w| w == b"<CopyObjectRes") {
            return None;
        }
        let err = from_body(status, headers, body)?;
        // The status said success; the kind comes from the code alone (InternalError is retried).
        let kind = err
            .code()
            .and_then(kind_of)
            .unwrap_or(ErrorKind::ServiceUnavailable);
        Some(err.with_kind(kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_xml(code: &str) -> Vec<u8> {
        format!("<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>says {code}</Message><RequestId>R1</RequestId></Error>").into_bytes()
    }

    #[test]
    fn maps_codes_to_kinds() {
        let cases = [
            (404, "NoSuchBucket", ErrorKind::NotFound),
            (404, "NoSuchKey", ErrorKind::NotFound),
            (409, "BucketAlreadyOwnedByYou", ErrorKind::AlreadyExists),
            (409, "BucketNotEmpty", ErrorKind::NotEmpty),
            (403, "AccessDenied", ErrorKind::PermissionDenied),
            (403, "SignatureDoesNotMatch", ErrorKind::Unauthenticated),
            (403, "InvalidAccessKeyId", ErrorKind::Unauthenticated),
            (503, "SlowDown", ErrorKind::RateLimited),
            (412, "PreconditionFailed", ErrorKind::PreconditionFailed),
        ];
        for (status, code, kind) in cases {
            let err = S3Errors.parse_error(
                StatusCode::from_u16(status).unwrap(),
                &HeaderMap::new(),
                &error_xml(code),
            );
            assert_eq!(err.kind(), kind, "{code}");
            assert_eq!(err.code(), Some(code));
            assert_eq!(err.request_id(), Some("R1"));
        }
    }

    #[test]
    fn a_redirect_names_the_bucket_region() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-bucket-region", "eu-west-1".parse().unwrap());
        let err = S3Errors.parse_error(
            StatusCode::MOVED_PERMANENTLY,
            &headers,
            &error_xml("PermanentRedirect"),
        );
        assert!(err.to_string().contains("region eu-west-1"), "{err}");
    }

    #[test]
    fn finds_an_error_inside_a_200() {
        let err = S3Errors
            .error_in_success(
                StatusCode::OK,
                &HeaderMap::new(),
                &error_xml("InternalError"),
            )
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
        let fine =
            b"<CompleteMultipartUploadResult><ETag>\"x\"</ETag></CompleteMultipartUploadResult>";
        assert!(S3Errors
            .error_in_success(StatusCode::OK, &HeaderMap::new(), fine)
            .is_none());
    }
}
