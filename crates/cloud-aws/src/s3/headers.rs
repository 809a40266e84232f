//! What S3 says in headers: object metadata, sizes, ranges and checksums, read strictly (an answer
//! without a size, or with a range that is not the one asked for, is an error, never a zero or a
//! guess), and the headers of writes.

use base64::Engine;
pub(crate) use cloud_core::headers::text;
use cloud_core::headers::{borrowed, value_text};
use cloud_core::{Error, Result};
use cloud_storage::{object_meta_from_headers, Checksum, ObjectMeta, PutOptions};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::requests::header;

// Parsed once, not on every lookup.
pub(crate) const CHECKSUM_CRC32C: HeaderName = HeaderName::from_static("x-amz-checksum-crc32c");
/// Asks S3 to send an object's checksums with it.
pub(crate) const CHECKSUM_MODE: HeaderName = HeaderName::from_static("x-amz-checksum-mode");
const CHECKSUM_TYPE: HeaderName = HeaderName::from_static("x-amz-checksum-type");

/// The CRC-32C of a whole object, from `x-amz-checksum-crc32c` (not the composite checksum of a
/// multipart object, which covers its parts, not the object).
pub(crate) fn crc32c_header(headers: &HeaderMap) -> Option<Checksum> {
    whole_crc32c(
        borrowed(headers, &CHECKSUM_CRC32C),
        headers.get(&CHECKSUM_TYPE),
    )
}

/// [`crc32c_header`] from the two headers it reads.
fn whole_crc32c(value: Option<&str>, checksum_type: Option<&HeaderValue>) -> Option<Checksum> {
    let value = value?;
    if checksum_type.is_some_and(|t| t != "FULL_OBJECT") || value.contains('-') {
        return None;
    }
    let mut bytes = [0u8; 4];
    let decoded = base64::engine::general_purpose::STANDARD
        .decode_slice(value, &mut bytes)
        .ok()?;
    (decoded == 4).then(|| Checksum::Crc32c(u32::from_be_bytes(bytes)))
}

pub(crate) fn crc32c_value(crc: u32) -> String {
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// The MD5 that a single-request object's ETag is, when the server echoes no CRC-32C: AWS documents
/// the ETag as the MD5 of the bytes except for multipart objects (`…-N`) and objects encrypted with
/// SSE-KMS, DSSE-KMS or SSE-C (`customer_key`), whose ETags are not digests of the bytes.
fn etag_md5(etag: Option<&str>, encryption: Option<&str>, customer_key: bool) -> Option<Checksum> {
    let hex = etag?.trim().trim_matches('"');
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    if encryption.is_some_and(|e| e.starts_with("aws:kms")) || customer_key {
        return None;
    }
    Some(Checksum::Md5(hex.to_ascii_lowercase()))
}

/// Object metadata from the headers of a HEAD or GET.
pub(crate) fn object_meta(key: &str, headers: &HeaderMap, size: u64) -> ObjectMeta {
    let (mut meta, [crc32c, checksum_type, encryption, customer_key, version_id, storage_class]) =
        object_meta_from_headers(
            key,
            size,
            headers,
            "x-amz-meta-",
            [
                "x-amz-checksum-crc32c",
                "x-amz-checksum-type",
                "x-amz-server-side-encryption",
                "x-amz-server-side-encryption-customer-algorithm",
                "x-amz-version-id",
                "x-amz-storage-class",
            ],
        );
    let crc32c = value_text(crc32c);
    meta.checksum = whole_crc32c(crc32c, checksum_type).or_else(|| {
        etag_md5(
            meta.etag.as_deref(),
            value_text(encryption),
            customer_key.is_some(),
        )
    });
    // A multipart object's checksum covers its parts' checksums (`…-N`), not its bytes.
    if let Some(composite) = crc32c.filter(|v| v.contains('-')) {
        meta.extra
            .insert("checksum_crc32c_composite".to_owned(), composite.to_owned());
    }
    for (value, field) in [(version_id, "version_id"), (storage_class, "storage_class")] {
        if let Some(value) = value_text(value) {
            meta.extra.insert(field.to_owned(), value.to_owned());
        }
    }
    meta
}

/// Adds the content headers and user metadata of `options` to a write.
pub(crate) fn put_headers(req: &mut cloud_core::Request, options: &PutOptions) -> Result<()> {
    let headers = req.headers_mut();
    for (name, value) in [
        (CONTENT_TYPE.as_str(), &options.content_type),
        ("content-encoding", &options.content_encoding),
        ("cache-control", &options.cache_control),
        ("content-disposition", &options.content_disposition),
    ] {
        if let Some(value) = value {
            headers.insert(http::HeaderName::from_static(name), header(name, value)?);
        }
    }
    for (name, value) in &options.metadata {
        let header_name = format!("x-amz-meta-{}", name.to_ascii_lowercase());
        let header_name = http::HeaderName::try_from(header_name.as_str())
            .map_err(|_| Error::invalid_input(format!("{name:?} cannot be a metadata name")))?;
        headers.insert(header_name, header(name, value)?);
    }
    Ok(())
}

/// The CRC-32C header of an upload part or a whole object.
pub(crate) fn checksummed(req: &mut cloud_core::Request, crc: u32) {
    let mut text = [0u8; 8];
    base64::engine::general_purpose::STANDARD
        .encode_slice(crc.to_be_bytes(), &mut text)
        .expect("4 bytes are 8 base64 digits");
    let value = http::HeaderValue::from_bytes(&text).expect("base64 digits");
    req.headers_mut().insert(CHECKSUM_CRC32C, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The checksum object metadata takes from an ETag alone.
    fn md5_etag(headers: &HeaderMap) -> Option<Checksum> {
        object_meta("k", headers, 0).checksum
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn a_plain_etag_is_the_md5_unless_the_object_is_multipart_or_encrypted_with_a_key() {
        let etag = ("etag", "\"5D41402ABC4B2A76B9719D911017C592\"");
        assert_eq!(
            md5_etag(&headers(&[etag])),
            Some(Checksum::Md5("5d41402abc4b2a76b9719d911017c592".into()))
        );
        assert_eq!(
            md5_etag(&headers(&[
                etag,
                ("x-amz-server-side-encryption", "AES256")
            ])),
            Some(Checksum::Md5("5d41402abc4b2a76b9719d911017c592".into())),
            "SSE-S3 keeps the MD5"
        );
        for encrypted in [
            ("x-amz-server-side-encryption", "aws:kms"),
            ("x-amz-server-side-encryption", "aws:kms:dsse"),
            ("x-amz-server-side-encryption-customer-algorithm", "AES256"),
        ] {
            assert_eq!(
                md5_etag(&headers(&[etag, encrypted])),
                None,
                "{encrypted:?}"
            );
        }
        assert_eq!(
            md5_etag(&headers(&[(
                "etag",
                "\"9c2f0e4d8a1b3c5d7e9f0a1b2c3d4e5f-2\""
            )])),
            None
        );
        assert_eq!(md5_etag(&headers(&[("etag", "\"not-an-md5\"")])), None);
        let crc = ("x-amz-checksum-crc32c", "mnG7TA==");
        assert!(matches!(
            object_meta("k", &headers(&[etag, crc]), 5).checksum,
            Some(Checksum::Crc32c(_))
        ));
    }

    #[test]
    fn object_meta_reads_the_s3_headers() {
        let all = headers(&[
            ("etag", "\"5d41402abc4b2a76b9719d911017c592\""),
            ("content-type", "text/plain"),
            ("x-amz-checksum-crc32c", "mnG7TA==-3"),
            ("x-amz-version-id", "v1"),
            ("x-amz-storage-class", "GLACIER"),
            ("x-amz-meta-owner", "me"),
        ]);
        let meta = object_meta("k", &all, 5);
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        // A composite CRC is no checksum of the bytes: the ETag's MD5 is.
        assert_eq!(
            meta.checksum,
            Some(Checksum::Md5("5d41402abc4b2a76b9719d911017c592".into()))
        );
        assert_eq!(meta.extra["checksum_crc32c_composite"], "mnG7TA==-3");
        assert_eq!(meta.extra["version_id"], "v1");
        assert_eq!(meta.extra["storage_class"], "GLACIER");
        assert_eq!(meta.metadata["owner"], "me");
    }
}
