//! Object metadata from the headers of a HEAD or GET, as HTTP providers send it: the standard content
//! headers, user metadata under a provider's prefix, and whatever else a provider reads, found in
//! one pass over the headers (a lookup per header of interest cost more than the pass).

use cloud_core::http::{HeaderMap, HeaderValue};

use crate::types::ObjectMeta;

/// The metadata of `key`, of `size` bytes, from `headers`: `ETag`, `Last-Modified`, `Content-Type`,
/// `Content-Encoding`, `Cache-Control` and `Content-Disposition` (the first value of each, when it
/// is visible ASCII), and user metadata from the headers named `{meta_prefix}{name}`. Every other
/// header is handed to `other`, by name, for what the provider reads itself.
///
/// ```
/// use cloud_storage::object_meta_from_headers;
///
/// let mut headers = cloud_core::http::HeaderMap::new();
/// headers.insert("etag", "\"abc\"".parse().unwrap());
/// headers.insert("x-amz-meta-owner", "me".parse().unwrap());
/// headers.insert("x-amz-version-id", "v1".parse().unwrap());
/// let mut version = None;
/// let meta = object_meta_from_headers("k", 5, &headers, "x-amz-meta-", |name, value| {
///     if name == "x-amz-version-id" {
///         version = value.to_str().ok().map(str::to_owned);
///     }
/// });
/// assert_eq!(meta.etag.as_deref(), Some("\"abc\""));
/// assert_eq!(meta.metadata["owner"], "me");
/// assert_eq!(version.as_deref(), Some("v1"));
/// ```
pub fn object_meta_from_headers<'h>(
    key: &str,
    size: u64,
    headers: &'h HeaderMap,
    meta_prefix: &str,
    mut other: impl FnMut(&str, &'h HeaderValue),
) -> ObjectMeta {
    let mut meta = ObjectMeta::new(key, size);
    // The first value of each, as a lookup would find it.
    let mut found: [Option<&HeaderValue>; 6] = [None; 6];
    for (name, value) in headers {
        let at = match name.as_str() {
            "etag" => 0,
            "last-modified" => 1,
            "content-type" => 2,
            "content-encoding" => 3,
            "cache-control" => 4,
            "content-disposition" => 5,
            name => {
                match name.strip_prefix(meta_prefix) {
                    Some(user) => {
                        if let Ok(value) = value.to_str() {
                            meta.metadata.insert(user.to_owned(), value.to_owned());
                        }
                    }
                    None => other(name, value),
                }
                continue;
            }
        };
        found[at].get_or_insert(value);
    }
    let text = |at: usize| found[at].and_then(|v| v.to_str().ok());
    meta.etag = text(0).map(str::to_owned);
    meta.last_modified = text(1).and_then(|t| httpdate::parse_http_date(t).ok());
    meta.content_type = text(2).map(str::to_owned);
    meta.content_encoding = text(3).map(str::to_owned);
    meta.cache_control = text(4).map(str::to_owned);
    meta.content_disposition = text(5).map(str::to_owned);
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_standard_headers_the_metadata_and_hands_over_the_rest() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("etag", "\"0x8DB\""),
            ("last-modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("content-type", "text/plain"),
            // The first of two values is the one read, as a lookup would find it.
            ("content-type", "text/html"),
            ("content-encoding", "gzip"),
            ("cache-control", "no-cache"),
            ("content-disposition", "attachment"),
            ("x-meta-owner", "me"),
            ("x-other", "1"),
        ] {
            headers.append(name, value.parse().unwrap());
        }
        let mut others = Vec::new();
        let meta = object_meta_from_headers("k", 5, &headers, "x-meta-", |name, value| {
            others.push((name.to_owned(), value.clone()))
        });
        assert_eq!((meta.key.as_str(), meta.size), ("k", 5));
        assert_eq!(meta.etag.as_deref(), Some("\"0x8DB\""));
        assert_eq!(
            meta.last_modified,
            Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_445_412_480))
        );
        assert_eq!(meta.content_type.as_deref(), Some("text/plain"));
        assert_eq!(meta.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(meta.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(meta.content_disposition.as_deref(), Some("attachment"));
        assert_eq!(meta.metadata["owner"], "me");
        assert_eq!(others, [("x-other".to_owned(), "1".parse().unwrap())]);
    }
}
