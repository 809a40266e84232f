//! What the Blob service says in headers (metadata, checksums) and the headers of writes.

use base64::Engine;
use cloud_core::headers::{http_date, text};
use cloud_core::{Error, Result};
use cloud_storage::{Checksum, ObjectMeta, PutOptions};
use http::HeaderMap;

use super::requests::header;

/// The MD5 of a whole blob from its base64 form (`Content-MD5`, `x-ms-blob-content-md5`).
pub(crate) fn md5_from_base64(value: &str) -> Option<Checksum> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    (bytes.len() == 16).then(|| Checksum::Md5(hex(&bytes)))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Object metadata from the headers of a HEAD or GET. `whole` says whether the answer carries the
/// whole blob: then `Content-MD5` is the blob's; for a range it is the range's, and the blob's is in
/// `x-ms-blob-content-md5`.
pub(crate) fn object_meta(key: &str, headers: &HeaderMap, size: u64, whole: bool) -> ObjectMeta {
    let mut meta = ObjectMeta::new(key, size);
    meta.etag = text(headers, "etag");
    meta.last_modified = http_date(headers, "last-modified");
    meta.content_type = text(headers, "content-type");
    meta.content_encoding = text(headers, "content-encoding");
    meta.cache_control = text(headers, "cache-control");
    meta.content_disposition = text(headers, "content-disposition");
    let md5 = text(headers, "x-ms-blob-content-md5")
        .or_else(|| whole.then(|| text(headers, "content-md5")).flatten());
    meta.checksum = md5.as_deref().and_then(md5_from_base64);
    for (name, value) in headers {
        if let (Some(user), Ok(value)) = (name.as_str().strip_prefix("x-ms-meta-"), value.to_str())
        {
            meta.metadata.insert(user.to_owned(), value.to_owned());
        }
    }
    for (name, field) in [
        ("x-ms-blob-type", "blob_type"),
        ("x-ms-access-tier", "access_tier"),
        ("x-ms-version-id", "version_id"),
        ("x-ms-copy-status", "copy_status"),
    ] {
        if let Some(value) = text(headers, name) {
            meta.extra.insert(field.to_owned(), value);
        }
    }
    meta
}

/// The blob's content headers (`x-ms-blob-…`, as Put Blob and Put Block List take them) and metadata.
pub(crate) fn put_headers(req: &mut cloud_core::Request, options: &PutOptions) -> Result<()> {
    let headers = req.headers_mut();
    for (name, value) in [
        ("x-ms-blob-content-type", &options.content_type),
        ("x-ms-blob-content-encoding", &options.content_encoding),
        ("x-ms-blob-cache-control", &options.cache_control),
        (
            "x-ms-blob-content-disposition",
            &options.content_disposition,
        ),
    ] {
        if let Some(value) = value {
            headers.insert(http::HeaderName::from_static(name), header(name, value)?);
        }
    }
    for (name, value) in &options.metadata {
        // Azure metadata names are C# identifiers; anything else is refused before sending.
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(Error::invalid_input(format!(
                "{name:?} cannot be an Azure metadata name (letters, digits and _, not first a digit)"
            )));
        }
        let header_name = format!("x-ms-meta-{}", name.to_ascii_lowercase());
        let header_name = http::HeaderName::try_from(header_name.as_str())
            .map_err(|_| Error::invalid_input(format!("{name:?} cannot be a metadata name")))?;
        headers.insert(header_name, header(name, value)?);
    }
    Ok(())
}
