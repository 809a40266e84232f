//! Building requests the way every REST provider needs them: a URL with each path segment and query
//! value encoded once, header values refused when they cannot be sent.

use http::{HeaderValue, Method, Uri};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::{Body, Error, Request, Result};

/// Everything but RFC 3986's unreserved characters: what signing schemes (SigV4, SharedKey, V4 signed
/// URLs) and servers agree a query value or path segment looks like when encoded.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The same, keeping `/` between the segments of an object key.
pub const KEY_PATH: &AsciiSet = &UNRESERVED.remove(b'/');

/// `key` encoded for a URL path, its `/` kept.
pub fn encode_path(key: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(key, KEY_PATH)
}

/// `value` encoded as one query value or path segment.
pub fn encode_value(value: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(value, UNRESERVED)
}

/// A query string from pairs, each name and value encoded; a pair with an empty value is `name=`.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut query = String::new();
    for (name, value) in pairs {
        if !query.is_empty() {
            query.push('&');
        }
        query.extend(encode_value(name));
        query.push('=');
        query.extend(encode_value(value));
    }
    query
}

/// The headers a provider usually sets itself: a PUT's content headers and checksum.
const PROVIDER_HEADERS: usize = 6;

/// The headers signing and sending add: the signature's three, `User-Agent`, `Host` and
/// `Content-Length`.
const ADDED_HEADERS: usize = 6;

/// An empty header map with room for `provider_headers` and what signing and sending add, so that it
/// is made once rather than grown (a grown map is allocated again and every entry moved).
pub(crate) fn header_map_for(provider_headers: usize) -> http::HeaderMap {
    http::HeaderMap::with_capacity(provider_headers + ADDED_HEADERS)
}

/// A request with `method` to `url` and `body`; a URL that does not parse is
/// [`InvalidInput`](crate::ErrorKind::InvalidInput).
///
/// A `String` is taken as the URI's own buffer, without a copy. That buffer is shared from the start,
/// so that copies of the request (for another attempt) share it rather than each allocating.
pub fn request(method: Method, url: impl Into<String>, body: Body) -> Result<Request> {
    let text = bytes::Bytes::from(url.into());
    let uri = Uri::from_maybe_shared(text.clone()).map_err(|e| {
        Error::invalid_input(format!(
            "{:?} is not a valid request URL",
            String::from_utf8_lossy(&text)
        ))
        .with_source(e)
    })?;
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = header_map_for(PROVIDER_HEADERS);
    Ok(request)
}

/// A copy of `request` to send again (another attempt, another region), when its body can be replayed:
/// `None` for a body that streams.
pub fn try_clone(request: &Request) -> Option<Request> {
    let body = request.body().try_clone()?;
    let mut copy = http::Request::new(body);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

/// A header value, refusing text that cannot be sent as it is (non-ASCII, line breaks) with
/// [`InvalidInput`](crate::ErrorKind::InvalidInput) naming the header.
pub fn header_value(name: &str, value: &str) -> Result<HeaderValue> {
    if !value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        return Err(Error::invalid_input(format!(
            "the value of {name} must be printable ASCII: {value:?}"
        )));
    }
    HeaderValue::from_str(value)
        .map_err(|e| Error::invalid_input(format!("bad value for {name}")).with_source(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_query_values_and_paths_fully() {
        assert_eq!(
            query(&[("prefix", "a b/c"), ("list-type", "2")]),
            "prefix=a%20b%2Fc&list-type=2"
        );
        assert_eq!(encode_path("ü/~x+y z").to_string(), "%C3%BC/~x%2By%20z");
    }

    #[test]
    fn refuses_header_values_that_cannot_be_sent() {
        assert!(header_value("x-meta", "line\r\nbreak").is_err());
        assert!(header_value("x-meta", "café").is_err());
        assert_eq!(header_value("x-meta", "a\tb").unwrap(), "a\tb");
    }
}
