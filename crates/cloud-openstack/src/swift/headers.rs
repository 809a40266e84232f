//! What Swift says about an object in headers, and the headers of a write. An object's `ETag` is the
//! MD5 of its content, except for large objects (Static or Dynamic), whose ETag is computed from their
//! segments: those get no checksum.

use cloud_core::headers::value_text;
use cloud_core::{Error, Result};
use cloud_storage::{object_meta_from_headers, Checksum, ObjectMeta, PutOptions};
use http::HeaderMap;

use super::requests::header;

/// Object metadata from the headers of a HEAD or GET, for an object of `size` bytes.
pub(crate) fn object_meta(key: &str, headers: &HeaderMap, size: u64) -> ObjectMeta {
    let (mut meta, [static_large, manifest, timestamp]) = object_meta_from_headers(
        key,
        size,
        headers,
        "x-object-meta-",
        ["x-static-large-object", "x-object-manifest", "x-timestamp"],
    );
    // A large object (Static or Dynamic) is a manifest of segments.
    let large = manifest.is_some()
        || value_text(static_large).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if large {
        meta.extra
            .insert("large_object".to_owned(), "true".to_owned());
    } else {
        meta.checksum = meta
            .etag
            .as_deref()
            .map(|e| e.trim_matches('"'))
            .filter(|e| e.len() == 32 && e.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(|e| Checksum::Md5(e.to_ascii_lowercase()));
    }
    if let Some(stamp) = value_text(timestamp) {
        meta.extra.insert("timestamp".to_owned(), stamp.to_owned());
    }
    meta
}

/// The content headers and user metadata of a write.
pub(crate) fn put_headers(req: &mut cloud_core::Request, options: &PutOptions) -> Result<()> {
    let headers = req.headers_mut();
    for (name, value) in [
        ("content-type", &options.content_type),
        ("content-encoding", &options.content_encoding),
        ("cache-control", &options.cache_control),
        ("content-disposition", &options.content_disposition),
    ] {
        if let Some(value) = value {
            headers.insert(http::HeaderName::from_static(name), header(name, value)?);
        }
    }
    for (name, value) in &options.metadata {
        // Swift keeps header names as HTTP tokens; `_` does not survive its WSGI layer.
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !valid {
            return Err(Error::invalid_input(format!(
                "{name:?} cannot be a Swift metadata name (letters, digits and -)"
            )));
        }
        let header_name = format!("x-object-meta-{}", name.to_ascii_lowercase());
        let header_name = http::HeaderName::try_from(header_name.as_str())
            .map_err(|_| Error::invalid_input(format!("{name:?} cannot be a metadata name")))?;
        headers.insert(header_name, header(name, value)?);
    }
    Ok(())
}
