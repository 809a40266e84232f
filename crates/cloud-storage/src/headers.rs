//! Object metadata from the headers of a HEAD or GET, as HTTP providers send it: the standard content
//! headers, user metadata under a provider's prefix, and the headers a provider reads itself, found
//! in one pass over the headers (a lookup per header of interest cost more than the pass).

use cloud_core::http::{HeaderMap, HeaderValue};

use crate::types::ObjectMeta;

/// The metadata of `key`, of `size` bytes, from `headers`: `ETag`, `Last-Modified`, `Content-Type`,
/// `Content-Encoding`, `Cache-Control` and `Content-Disposition` (the first value of each, when it
/// is visible ASCII), and user metadata from the headers named `{meta_prefix}{name}`. With it, the
/// first value of each header named in `wanted`, in that order, for what the provider reads itself.
///
/// ```
/// use cloud_storage::object_meta_from_headers;
///
/// let mut headers = cloud_core::http::HeaderMap::new();
/// headers.insert("etag", "\"abc\"".parse().unwrap());
/// headers.insert("x-amz-meta-owner", "me".parse().unwrap());
/// headers.insert("x-amz-version-id", "v1".parse().unwrap());
/// let (meta, [version, class]) = object_meta_from_headers(
///     "k",
///     5,
///     &headers,
///     "x-amz-meta-",
///     ["x-amz-version-id", "x-amz-storage-class"],
/// );
/// assert_eq!(meta.etag.as_deref(), Some("\"abc\""));
/// assert_eq!(meta.metadata["owner"], "me");
/// assert_eq!(version.map(|v| v.to_str().unwrap()), Some("v1"));
/// assert!(class.is_none());
/// ```
pub fn object_meta_from_headers<'h, const N: usize>(
    key: &str,
    size: u64,
    headers: &'h HeaderMap,
    meta_prefix: &str,
    wanted: [&str; N],
) -> (ObjectMeta, [Option<&'h HeaderValue>; N]) {
    let mut meta = ObjectMeta::new(key, size);
    // The first value of each, as a lookup would find it.
    let mut found: [Option<&HeaderValue>; 6] = [None; 6];
    let mut other: [Option<&HeaderValue>; N] = [None; N];
    for (name, value) in headers {
        let slot = match name.as_str() {
            "etag" => &mut found[0],
            "last-modified" => &mut found[1],
            "content-type" => &mut found[2],
            "content-encoding" => &mut found[3],
            "cache-control" => &mut found[4],
            "content-disposition" => &mut found[5],
            name => {
                if let Some(user) = name.strip_prefix(meta_prefix) {
                    if let Ok(value) = value.to_str() {
                        meta.metadata.insert(user.to_owned(), value.to_owned());
                    }
                    continue;
                }
                match wanted.iter().position(|w| *w == name) {
                    Some(at) => &mut other[at],
                    None => continue,
                }
            }
        };
        slot.get_or_insert(value);
    }
    let text = |at: usize| found[at].and_then(|v| v.to_str().ok());
    meta.etag = text(0).map(str::to_owned);
    meta.last_modified = text(1).and_then(|t| httpdate::parse_http_date(t).ok());
    meta.content_type = text(2).map(str::to_owned);
    meta.content_encoding = text(3).map(str::to_owned);
    meta.cache_control = text(4).map(str::to_owned);
    meta.content_disposition = text(5).map(str::to_owned);
    (meta, other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_standard_headers_the_metadata_and_the_wanted_ones() {
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
        let (meta, [other, absent]) =
            object_meta_from_headers("k", 5, &headers, "x-meta-", ["x-other", "x-absent"]);
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
        assert_eq!(other.map(|v| v.to_str().unwrap()), Some("1"));
        assert!(absent.is_none());
    }
}
