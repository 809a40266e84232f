//! What the Blob service says in headers (metadata, checksums) and the headers of writes.

use base64::Engine;
use cloud_core::headers::value_text;
use cloud_core::{Error, Result};
use cloud_storage::{object_meta_from_headers, Checksum, ObjectMeta, PutOptions};
use http::HeaderMap;

use super::requests::header;

/// The MD5 of a whole blob from its base64 form (`Content-MD5`, `x-ms-blob-content-md5`).
pub(crate) fn md5_from_base64(value: &str) -> Option<Checksum> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    (bytes.len() == 16).then(|| Checksum::Md5(cloud_core::hex::encode(&bytes)))
}

/// Object metadata from the headers of a HEAD or GET. `whole` says whether the answer carries the
/// whole blob: then `Content-MD5` is the blob's; for a range it is the range's, and the blob's is in
/// `x-ms-blob-content-md5`.
pub(crate) fn object_meta(key: &str, headers: &HeaderMap, size: u64, whole: bool) -> ObjectMeta {
    let (mut meta, [content_md5, blob_md5, blob_type, access_tier, version_id, copy_status]) =
        object_meta_from_headers(
            key,
            size,
            headers,
            "x-ms-meta-",
            [
                "content-md5",
                "x-ms-blob-content-md5",
                "x-ms-blob-type",
                "x-ms-access-tier",
                "x-ms-version-id",
                "x-ms-copy-status",
            ],
        );
    let md5 = value_text(blob_md5).or_else(|| whole.then(|| value_text(content_md5)).flatten());
    meta.checksum = md5.and_then(md5_from_base64);
    for (value, field) in [
        (blob_type, "blob_type"),
        (access_tier, "access_tier"),
        (version_id, "version_id"),
        (copy_status, "copy_status"),
    ] {
        if let Some(value) = value_text(value) {
            meta.extra.insert(field.to_owned(), value.to_owned());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn object_meta_reads_the_blob_headers() {
        let all = headers(&[
            ("etag", "\"0x8DB\""),
            ("content-type", "text/plain"),
            ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
            ("x-ms-blob-type", "BlockBlob"),
            ("x-ms-access-tier", "Hot"),
            ("x-ms-version-id", "v1"),
            ("x-ms-copy-status", "success"),
            ("x-ms-meta-owner", "me"),
        ]);
        let meta = object_meta("k", &all, 5, true);
        assert_eq!(meta.etag.as_deref(), Some("\"0x8DB\""));
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            meta.checksum,
            Some(Checksum::Md5("5d41402abc4b2a76b9719d911017c592".into()))
        );
        assert_eq!(meta.extra["blob_type"], "BlockBlob");
        assert_eq!(meta.extra["access_tier"], "Hot");
        assert_eq!(meta.extra["version_id"], "v1");
        assert_eq!(meta.extra["copy_status"], "success");
        assert_eq!(meta.metadata["owner"], "me");
        // A range's Content-MD5 is the range's: only x-ms-blob-content-md5 is the blob's.
        assert_eq!(object_meta("k", &all, 5, false).checksum, None);
        let mut ranged = all.clone();
        ranged.insert(
            "x-ms-blob-content-md5",
            "XUFAKrxLKna5cZ2REBfFkg==".parse().unwrap(),
        );
        assert!(object_meta("k", &ranged, 5, false).checksum.is_some());
    }
}
