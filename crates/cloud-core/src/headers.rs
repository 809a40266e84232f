//! Reading what a server says in headers, strictly: an answer without a readable size, or with a
//! range that cannot be, is an error or `None`, never a zero or a guess.

use std::ops::Range;

use http::header::AsHeaderName;
use http::header::CONTENT_LENGTH;
use http::{HeaderMap, HeaderValue};

use crate::{Error, Result};

/// A header's value as text, when it is there and visible ASCII.
pub fn text<K: AsHeaderName>(headers: &HeaderMap, name: K) -> Option<String> {
    borrowed(headers, name).map(str::to_owned)
}

/// A header's value as text, borrowed; `None` when absent or not visible ASCII. A name given as a
/// [`HeaderName`](http::HeaderName) constant is found without parsing it.
pub fn borrowed<K: AsHeaderName>(headers: &HeaderMap, name: K) -> Option<&str> {
    headers.get(name)?.to_str().ok()
}

/// A header value found earlier (while walking a header map) as text; `None` when absent or not
/// visible ASCII.
pub fn value_text(value: Option<&HeaderValue>) -> Option<&str> {
    value?.to_str().ok()
}

/// The body's size from `Content-Length`; an answer without a readable one is
/// [`Unexpected`](crate::ErrorKind::Unexpected).
pub fn content_length(headers: &HeaderMap) -> Result<u64> {
    declared_length(headers)
        .ok_or_else(|| Error::unexpected("the server answered without a valid Content-Length"))
}

/// The body's size from `Content-Length`, when the answer gives a readable one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    borrowed(headers, CONTENT_LENGTH)?.parse().ok()
}

/// `Content-Range: bytes START-END/TOTAL` as (`START..END+1`, `TOTAL`); `None` when it is missing or
/// impossible (start past end, end past total, numbers that overflow).
pub fn content_range(headers: &HeaderMap) -> Option<(Range<u64>, u64)> {
    let value = text(headers, "content-range")?;
    let (range, total) = value.strip_prefix("bytes ")?.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    let (start, end, total): (u64, u64, u64) =
        (start.parse().ok()?, end.parse().ok()?, total.parse().ok()?);
    (start <= end && end < total).then(|| (start..end + 1, total))
}

/// `time` as an HTTP date (`Sun, 06 Dec 2026 12:00:00 GMT`).
pub fn fmt_http_date(time: std::time::SystemTime) -> String {
    httpdate::fmt_http_date(time)
}

/// `Last-Modified` (or another HTTP-date header) as a time.
pub fn http_date<K: AsHeaderName>(headers: &HeaderMap, name: K) -> Option<std::time::SystemTime> {
    httpdate::parse_http_date(borrowed(headers, name)?).ok()
}

/// Checks the answer to a resumed read: it must be of the version `etag` names (not every server
/// honours `If-Match`) and start at byte `from`, or the bytes would be spliced from two versions or two
/// places.
pub fn check_resumed(headers: &HeaderMap, etag: &str, from: u64) -> Result<()> {
    let same_version = headers
        .get(http::header::ETAG)
        .is_none_or(|tag| tag.as_bytes() == etag.as_bytes());
    if !same_version {
        return Err(Error::new(
            crate::ErrorKind::PreconditionFailed,
            "the object changed while it was being read",
        ));
    }
    match content_range(headers) {
        Some((range, _)) if range.start == from => Ok(()),
        _ => Err(Error::unexpected(
            "the resumed body does not start where the first one stopped",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, value.parse().unwrap());
        headers
    }

    #[test]
    fn reads_content_range_and_refuses_the_impossible() {
        let range = |v| content_range(&with("content-range", v));
        assert_eq!(range("bytes 0-9/100"), Some((0..10, 100)));
        assert_eq!(range("bytes 9-0/100"), None);
        assert_eq!(range("bytes 0-100/100"), None);
        assert_eq!(
            range("bytes 0-18446744073709551615/18446744073709551615"),
            None
        );
        assert_eq!(range("bytes 0-99999999999999999999/1"), None);
    }

    #[test]
    fn a_missing_size_is_an_error() {
        assert!(content_length(&HeaderMap::new()).is_err());
        assert_eq!(content_length(&with("content-length", "12")).unwrap(), 12);
    }
}
