//! Conditional reads (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`), decided
//! as HTTP does.

use cloud_core::{Error, ErrorKind, Result};
use cloud_storage::{GetOptions, ObjectMeta};

/// Fails with [`ErrorKind::PreconditionFailed`] or [`ErrorKind::NotModified`] when the read's conditions
/// do not hold for `meta`.
pub(crate) fn check(options: &GetOptions, meta: &ObjectMeta) -> Result<()> {
    let etag = meta.etag.as_deref().map(unquote);
    if let Some(expected) = &options.if_match {
        if expected != "*" && etag != Some(unquote(expected)) {
            return Err(failed(ErrorKind::PreconditionFailed, "If-Match", &meta.key));
        }
    }
    if let Some(unwanted) = &options.if_none_match {
        if unwanted == "*" || etag == Some(unquote(unwanted)) {
            return Err(failed(ErrorKind::NotModified, "If-None-Match", &meta.key));
        }
    }
    if let (Some(since), Some(modified)) = (options.if_unmodified_since, meta.last_modified) {
        if modified > since {
            return Err(failed(
                ErrorKind::PreconditionFailed,
                "If-Unmodified-Since",
                &meta.key,
            ));
        }
    }
    if let (Some(since), Some(modified)) = (options.if_modified_since, meta.last_modified) {
        if modified <= since {
            return Err(failed(
                ErrorKind::NotModified,
                "If-Modified-Since",
                &meta.key,
            ));
        }
    }
    Ok(())
}

fn unquote(etag: &str) -> &str {
    let etag = etag.strip_prefix("W/").unwrap_or(etag);
    etag.trim_matches('"')
}

fn failed(kind: ErrorKind, condition: &str, key: &str) -> Error {
    Error::new(kind, format!("{condition} does not hold for {key}"))
}

/// An entity tag from a checksum and size: the same content always gets the same tag.
pub(crate) fn etag_for(crc: u32, size: u64) -> String {
    format!("\"{crc:08x}-{size:x}\"")
}
