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
