//! What Cloud Storage says about an object, from its JSON resource or the headers of a download, and
//! the resource a write sends. The driver's ETag is the object's **generation**: it changes with every
//! write, and it is what GCS conditions (`ifGenerationMatch`) and pinned reads (`generation=`) take.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cloud_core::headers::text;
use cloud_core::{Error, Result};
use cloud_storage::{Checksum, ObjectMeta, PutOptions};
use http::HeaderMap;

use super::model::Object;

/// A CRC-32C from its base64 big-endian form.
pub(crate) fn crc32c_from_base64(value: &str) -> Option<u32> {
    let bytes: [u8; 4] = STANDARD.decode(value.trim()).ok()?.try_into().ok()?;
    Some(u32::from_be_bytes(bytes))
}

pub(crate) fn crc32c_to_base64(crc: u32) -> String {
    STANDARD.encode(crc.to_be_bytes())
}

/// An MD5 from base64 to hex.
pub(crate) fn md5_from_base64(value: &str) -> Option<String> {
    let bytes = STANDARD.decode(value.trim()).ok()?;
    (bytes.len() == 16).then(|| cloud_core::hex::encode(&bytes))
}

/// An MD5 from hex to base64.
pub(crate) fn md5_to_base64(hex: &str) -> String {
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
        .collect();
    STANDARD.encode(bytes)
}

/// The checksum kept as the object's: the CRC-32C every object has (composite objects have no MD5),
/// with the MD5 in `extra["md5"]` when there is one.
fn checksums(meta: &mut ObjectMeta, crc32c: Option<u32>, md5: Option<String>) {
    meta.checksum = crc32c.map(Checksum::Crc32c);
    if let Some(md5) = md5 {
        if meta.checksum.is_none() {
            meta.checksum = Some(Checksum::Md5(md5.clone()));
        }
        meta.extra.insert("md5".to_owned(), md5);
    }
}

/// An object's metadata from its JSON resource; one without a size or generation is not understood.
pub(crate) fn object_meta(object: Object) -> Result<ObjectMeta> {
    let (Some(size), Some(generation)) = (object.size, object.generation) else {
        return Err(Error::unexpected(format!(
            "the metadata of {} has no size or generation",
            object.name
        )));
    };
    let mut meta = ObjectMeta::new(object.name, size);
    meta.etag = Some(generation.to_string());
    meta.last_modified = object.updated;
    meta.content_type = object.content_type;
    meta.content_encoding = object.content_encoding;
    meta.cache_control = object.cache_control;
    meta.content_disposition = object.content_disposition;
    checksums(
        &mut meta,
        object.crc32c.as_deref().and_then(crc32c_from_base64),
        object.md5_hash.as_deref().and_then(md5_from_base64),
    );
    meta.metadata = object.metadata.unwrap_or_default();
    if let Some(class) = object.storage_class {
        meta.extra.insert("storage_class".to_owned(), class);
    }
    if let Some(etag) = object.etag {
        meta.extra.insert("etag".to_owned(), etag);
    }
    Ok(meta)
}

/// The object's hashes from `x-goog-hash` (`crc32c=…,md5=…`, in one header or several).
pub(crate) fn goog_hashes(headers: &HeaderMap) -> (Option<u32>, Option<String>) {
    let (mut crc, mut md5) = (None, None);
    for value in headers.get_all("x-goog-hash") {
        for part in value.to_str().unwrap_or_default().split(',') {
            match part.trim().split_once('=') {
                Some(("crc32c", v)) => crc = crc32c_from_base64(v),
                Some(("md5", v)) => md5 = md5_from_base64(v),
                _ => {}
            }
        }
    }
    (crc, md5)
}

/// An object's metadata from the headers of a download of all or part of it, of `size` bytes. The
/// hashes are the whole object's, whatever part was sent.
pub(crate) fn media_meta(key: &str, headers: &HeaderMap, size: u64) -> ObjectMeta {
    let mut meta = ObjectMeta::new(key, size);
    meta.etag = text(headers, "x-goog-generation");
    meta.last_modified = cloud_core::headers::http_date(headers, "last-modified");
    meta.content_type = text(headers, "content-type");
    meta.content_encoding = text(headers, "content-encoding");
    meta.cache_control = text(headers, "cache-control");
    meta.content_disposition = text(headers, "content-disposition");
    let (crc, md5) = goog_hashes(headers);
    checksums(&mut meta, crc, md5);
    for (name, value) in headers {
        if let (Some(user), Ok(value)) =
            (name.as_str().strip_prefix("x-goog-meta-"), value.to_str())
        {
            meta.metadata.insert(user.to_owned(), value.to_owned());
        }
    }
    if let Some(class) = text(headers, "x-goog-storage-class") {
        meta.extra.insert("storage_class".to_owned(), class);
    }
    meta
}

/// The resource a write sends: name, content headers, user metadata, and the hashes GCS must check
/// the bytes against before it keeps them; as JSON text. Serialized from borrowed fields, without
/// building a `serde_json::Value` map on every upload.
pub(crate) fn resource(
    key: &str,
    options: &PutOptions,
    crc32c: Option<u32>,
    md5_hex: Option<&str>,
) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Resource<'a> {
        name: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        content_type: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        content_encoding: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cache_control: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        content_disposition: Option<&'a str>,
        #[serde(skip_serializing_if = "BTreeMap::is_empty")]
        metadata: &'a BTreeMap<String, String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        crc32c: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        md5_hash: Option<String>,
    }
    let resource = Resource {
        name: key,
        content_type: options.content_type.as_deref(),
        content_encoding: options.content_encoding.as_deref(),
        cache_control: options.cache_control.as_deref(),
        content_disposition: options.content_disposition.as_deref(),
        metadata: &options.metadata,
        crc32c: crc32c.map(crc32c_to_base64),
        md5_hash: md5_hex.map(md5_to_base64),
    };
    serde_json::to_string(&resource).expect("strings and a map of strings serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_names_only_what_is_set() {
        let plain: serde_json::Value =
            serde_json::from_str(&resource("a \"b\"", &PutOptions::new(), None, None)).unwrap();
        assert_eq!(plain, serde_json::json!({ "name": "a \"b\"" }));
        let mut options = PutOptions::new()
            .content_type("text/plain")
            .metadata("k", "v");
        options.cache_control = Some("no-cache".into());
        let md5 = "5d41402abc4b2a76b9719d911017c592";
        let full: serde_json::Value =
            serde_json::from_str(&resource("k", &options, Some(7), Some(md5))).unwrap();
        assert_eq!(
            full,
            serde_json::json!({
                "name": "k",
                "contentType": "text/plain",
                "cacheControl": "no-cache",
                "metadata": { "k": "v" },
                "crc32c": crc32c_to_base64(7),
                "md5Hash": "XUFAKrxLKna5cZ2REBfFkg==",
            })
        );
    }

    #[test]
    fn hashes_round_trip_and_timestamps_parse() {
        assert_eq!(
            crc32c_from_base64("yZRlqg=="),
            Some(cloud_storage::crc32c(b"hello world"))
        );
        assert_eq!(
            crc32c_to_base64(cloud_storage::crc32c(b"hello world")),
            "yZRlqg=="
        );
        let hex = md5_from_base64("XrY7u+Ae7tCTyyK7j1rNww==").unwrap();
        assert_eq!(hex, "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(md5_to_base64(&hex), "XrY7u+Ae7tCTyyK7j1rNww==");
        let object: crate::gcs::model::Object =
            serde_json::from_str(r#"{"name":"a","updated":"2026-12-06T18:49:02.303383Z"}"#)
                .unwrap();
        let updated = object.updated.expect("a time with microseconds");
        assert_eq!(
            updated
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_micros()
                % 1_000_000,
            303_383
        );
        let mut headers = HeaderMap::new();
        headers.append("x-goog-hash", "crc32c=yZRlqg==".parse().unwrap());
        headers.append(
            "x-goog-hash",
            "md5=XrY7u+Ae7tCTyyK7j1rNww==".parse().unwrap(),
        );
        assert_eq!(
            goog_hashes(&headers),
            (Some(cloud_storage::crc32c(b"hello world")), Some(hex))
        );
    }
}
