//! The error answers of Keystone, Nova and Cinder to [`Error`]s. Each wraps the message in one object
//! named for the fault (`{"itemNotFound": {"code": 404, "message": "…"}}`, Keystone's
//! `{"error": {…}}`); the name becomes the error's code and picks its kind where the status alone
//! cannot (`conflictingRequest` for a key pair that exists, `overLimit` for a quota or a rate limit).
//! Glance answers in text; its status decides.

use cloud_core::{body_summary, default_error, Error, ErrorKind, ErrorParser};
use http::{HeaderMap, StatusCode};
use serde::Deserialize;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpenStackErrors;

#[derive(Deserialize)]
struct Fault {
    #[serde(default)]
    message: Option<String>,
}

/// The fault's name and message, when the body is `{"name": {"message": …}}`.
fn fault(body: &[u8]) -> Option<(String, Option<String>)> {
    let parsed: std::collections::BTreeMap<String, Fault> = serde_json::from_slice(body).ok()?;
    let mut faults = parsed.into_iter();
    let (name, fault) = faults.next()?;
    faults.next().is_none().then_some((name, fault.message))
}

fn kind_of(name: &str, status: StatusCode, message: &str) -> Option<ErrorKind> {
    Some(match name {
        "itemNotFound" => ErrorKind::NotFound,
        // Key pairs of one name, and servers in a state that refuses the action.
        "conflictingRequest" if message.contains("already exists") => ErrorKind::AlreadyExists,
        "conflictingRequest" => ErrorKind::Conflict,
        "overLimit" if status == StatusCode::TOO_MANY_REQUESTS => ErrorKind::RateLimited,
        // A quota (instances, cores, volumes) is not lifted by waiting: no retry.
        "overLimit" => ErrorKind::PermissionDenied,
        "badRequest" => ErrorKind::InvalidInput,
        "forbidden" => ErrorKind::PermissionDenied,
        "unauthorized" => ErrorKind::Unauthenticated,
        _ => return None,
    })
}

impl ErrorParser for OpenStackErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let mut err = match fault(body) {
            Some((name, message)) => {
                let message = message.unwrap_or_default();
                let mut err = Error::from_status(status).with_code(&name);
                if let Some(kind) = kind_of(&name, status, &message) {
                    err = err.with_kind(kind);
                }
                if let Some(text) = body_summary(message.as_bytes()) {
                    err = err.with_message(text);
                }
                err
            }
            None => default_error(status, headers, body),
        };
        let id = ["x-compute-request-id", "x-openstack-request-id"]
            .iter()
            .find_map(|name| cloud_core::headers::text(headers, *name));
        if let Some(id) = id {
            err = err.with_request_id(id);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &[u8]) -> Error {
        OpenStackErrors.parse_error(
            StatusCode::from_u16(status).unwrap(),
            &HeaderMap::new(),
            body,
        )
    }

    #[test]
    fn reads_the_documented_fault_bodies() {
        let err = parse(
            404,
            br#"{"itemNotFound": {"code": 404, "message": "Instance 9 could not be found."}}"#,
        );
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.code(), Some("itemNotFound"));
        assert!(err.to_string().contains("could not be found"), "{err}");
        let err = parse(
            409,
            br#"{"conflictingRequest": {"code": 409, "message": "Key pair 'k' already exists."}}"#,
        );
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        let err = parse(
            409,
            br#"{"conflictingRequest": {"code": 409, "message": "Cannot 'os-start' instance while it is in vm_state active"}}"#,
        );
        assert_eq!(err.kind(), ErrorKind::Conflict);
        let err = parse(
            403,
            br#"{"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}}"#,
        );
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        let err = parse(
            400,
            br#"{"badRequest": {"code": 400, "message": "Keypair data is invalid"}}"#,
        );
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        // Keystone's refusal: its message, not its JSON.
        let err = parse(
            401,
            br#"{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}"#,
        );
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(
            err.message(),
            Some("The request you have made requires authentication.")
        );
        // Glance's text answer: the status decides.
        let err = parse(404, b"404 Not Found\n\nNo image found with ID x\n\n   ");
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }
}
