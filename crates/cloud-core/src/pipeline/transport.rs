//! The innermost step: one attempt over the pooled hyper client.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, PROXY_AUTHORIZATION, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt;

use super::timeout::{within, Bound};
use super::{Call, Reply};
use crate::body::ResponseBody;
use crate::client::connector::ProxyConfig;
use crate::client::pool::{Connections, Lent};
use crate::clock::Clock;
use crate::debug_log::{self, DebugLog};
use crate::error::{Error, ErrorKind, Result};

/// How much of an error response's body is read to find the provider's error code and message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Turns a provider's error responses into [`Error`]s.
///
/// The pipeline calls [`parse_error`](ErrorParser::parse_error) for every response whose status is not
/// 2xx, with up to 64 KiB of its body, and [`error_in_success`](ErrorParser::error_in_success) for buffered
/// 2xx responses, for APIs that report some failures inside a 200 (S3's `CompleteMultipartUpload`).
/// Map throttling codes to [`ErrorKind::RateLimited`] so they are retried whatever their status.
pub trait ErrorParser: Send + Sync + std::fmt::Debug + 'static {
    /// The error for a non-2xx response. The default is [`default_error`].
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        default_error(status, headers, body)
    }

    /// An error hidden in a 2xx response's body, if any.
    fn error_in_success(
        &self,
        _status: StatusCode,
        _headers: &HeaderMap,
        _body: &[u8],
    ) -> Option<Error> {
        None
    }
}

/// Errors from status codes alone, with the body's text as the message.
#[derive(Clone, Copy, Debug, Default)]
pub struct GenericErrors;

impl ErrorParser for GenericErrors {}

/// The error for a status: the kind from [`ErrorKind::from_status`], the start of the body as the message,
/// and the request id from the usual headers.
pub fn default_error(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
    let mut err = Error::from_status(status);
    if let Some(summary) = body_summary(body) {
        err = err.with_message(summary);
    }
    if let Some(id) = request_id(headers) {
        err = err.with_request_id(id);
    }
    err
}

/// The longest summary of an error body, in characters.
const SUMMARY_CHARS: usize = 200;

/// An error body as one short line: an HTML page by its title, other text with its whitespace
/// collapsed, credentials it echoes removed, and cut to 200 characters.
pub fn body_summary(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    // The first 512 bytes, or fewer: a cut inside a character moves back to its start.
    let mut head_end = text.len().min(512);
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let head = text[..head_end].to_ascii_lowercase();
    let line = if head.starts_with("<!doctype html") || head.starts_with("<html") {
        let title = html_title(text)
            .map(|t| format!(": {t}"))
            .unwrap_or_default();
        format!("the server answered with an HTML page{title}")
    } else {
        crate::redact::text(text)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    Some(match line.char_indices().nth(SUMMARY_CHARS) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    })
}

/// The text of an HTML page's `<title>`, whitespace collapsed.
fn html_title(page: &str) -> Option<String> {
    let lower = page.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = page[start..end]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then(|| crate::redact::text(&title))
}

/// The provider's request id, from whichever of the common headers carries it.
fn request_id(headers: &HeaderMap) -> Option<&str> {
    [
        "x-amz-request-id",
        "x-ms-request-id",
        "x-request-id",
        "x-openstack-request-id",
        "x-trans-id",
        "x-guploader-uploadid",
    ]
    .iter()
    .find_map(|name| headers.get(*name))
    .and_then(|v| v.to_str().ok())
}

/// `Retry-After` in seconds or as an HTTP date, relative to `now`.
pub(crate) fn retry_after(headers: &HeaderMap, now: std::time::SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// What every transport of one client shares.
pub(crate) struct TransportShared {
    pub(crate) connections: Connections,
    pub(crate) proxies: ProxyConfig,
    pub(crate) debug: DebugLog,
    pub(crate) user_agent: HeaderValue,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) first_byte_timeout: Option<Duration>,
    pub(crate) read_idle_timeout: Option<Duration>,
    pub(crate) attempt_timeout: Option<Duration>,
}

/// The largest request body whose response headers the first-byte timeout waits for.
const FIRST_BYTE_BODY_LIMIT: u64 = 1 << 20;

/// Sends one attempt.
#[derive(Clone)]
pub(crate) struct Transport {
    shared: Arc<TransportShared>,
    errors: Arc<dyn ErrorParser>,
}

impl Transport {
    pub(crate) fn new(shared: Arc<TransportShared>, errors: Arc<dyn ErrorParser>) -> Transport {
        Transport { shared, errors }
    }

    /// The clock of the client this transport belongs to, which its retries and timers use.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// Sends one attempt.
    pub(crate) async fn send(&self, call: Call) -> Result<Reply> {
        let Transport { shared, errors } = self;
        let Call {
            mut request,
            context,
        } = call;
        let buffered = context.buffered;
        let headers = request.headers_mut();
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, shared.user_agent.clone());
        }
        // hyper sends no length for an empty body; servers such as Swift refuse a PUT or POST
        // without one (411).
        let writes = matches!(
            *request.method(),
            http::Method::PUT | http::Method::POST | http::Method::PATCH
        );
        if writes && request.body().content_length() == Some(0) {
            request
                .headers_mut()
                .entry(CONTENT_LENGTH)
                .or_insert(http::HeaderValue::from_static("0"));
        }
        if let Some(mut auth) = shared.proxies.http_proxy_auth(request.uri()) {
            auth.set_sensitive(true);
            request.headers_mut().insert(PROXY_AUTHORIZATION, auth);
        }
        let debug = shared.debug.enabled();
        if debug {
            shared.debug.emit(&debug_log::curl_command(&request));
        }
        let head = request.method() == http::Method::HEAD;
        let start = debug.then(Instant::now);
        let small = request
            .body()
            .content_length()
            .is_some_and(|len| len <= FIRST_BYTE_BODY_LIMIT);
        let now = tokio::time::Instant::now();
        let attempt_end = shared.attempt_timeout.map(|l| Bound::attempt(now, l));
        let first_byte = shared
            .first_byte_timeout
            .filter(|_| small)
            .map(|l| Bound::first_byte(now, l));
        let headers_bound = Bound::earlier(first_byte, attempt_end);
        let mut timer = std::pin::pin!(headers_bound.map(|b| tokio::time::sleep_until(b.at)));
        let sent = shared.connections.send(request);
        let (response, mut lent) = match within(sent, timer.as_mut().as_pin_mut()).await {
            Some(sent) => sent?,
            None => return Err(headers_bound.expect("only a set timer fires").error()),
        };
        // What remains of the attempt (an error's explanation, a buffered body) is bounded by its
        // own end alone.
        match (attempt_end, timer.as_mut().as_pin_mut()) {
            (Some(end), Some(timer)) => timer.reset(end.at),
            _ => timer.set(None),
        }
        if let Some(start) = start {
            shared
                .debug
                .emit(&debug_log::response_summary(&response, start.elapsed()));
        }
        let (parts, incoming) = response.into_parts();
        let len = crate::headers::declared_length(&parts.headers);
        let status = parts.status;

        if !status.is_success() {
            // Whatever part of the body arrives is enough to explain the error.
            // An explanation that does not come in time is done without: the status says enough.
            // (Boxed, as a buffered read is, to keep the success path's future small.)
            let read = within(
                Box::pin(read_limited(incoming, ERROR_BODY_LIMIT)),
                timer.as_mut().as_pin_mut(),
            )
            .await
            .and_then(|read| read.ok());
            let body = match read {
                Some((body, whole)) => {
                    // A connection whose answer was read to its end serves the next request.
                    if whole {
                        Lent::give_back(&mut lent);
                    }
                    body
                }
                None => Bytes::new(),
            };
            if debug && !body.is_empty() {
                shared.debug.emit(&debug_log::body_for_log(&body));
            }
            let mut err = errors.parse_error(status, &parts.headers, &body);
            if err.retry_after().is_none() {
                if let Some(wait) = retry_after(&parts.headers, shared.clock.system_time()) {
                    err = err.with_retry_after(wait);
                }
            }
            if err.request_id().is_none() {
                if let Some(id) = request_id(&parts.headers) {
                    err = err.with_request_id(id);
                }
            }
            return Err(err.answered_with(status));
        }

        // The answer to a HEAD (and a 204 or 304) has no body, whatever its Content-Length says
        // about the object: a 200 MiB object's HEAD is not a 200 MiB answer.
        let bodiless = head
            || status == http::StatusCode::NO_CONTENT
            || status == http::StatusCode::NOT_MODIFIED;
        let len = if bodiless { Some(0) } else { len };
        let mut streamed = ResponseBody::incoming(incoming, len, shared.read_idle_timeout);
        if let Some(lent) = lent {
            streamed.lend(lent);
        }
        let body = if buffered {
            let bytes = if bodiless {
                Bytes::new()
            } else {
                // Boxed: inline, the read would be the largest state of every call's future, which
                // is moved whole at each step of the pipeline.
                within(
                    Box::pin(read_buffered(streamed)),
                    timer.as_mut().as_pin_mut(),
                )
                .await
                .ok_or_else(|| attempt_end.expect("only a set timer fires").error())??
            };
            if let Some(err) = errors.error_in_success(status, &parts.headers, &bytes) {
                return Err(err.answered_with(status));
            }
            ResponseBody::from_bytes(bytes)
        } else {
            streamed
        };
        Ok(Box::new(http::Response::from_parts(parts, body)))
    }
}

/// The most a buffered call (a listing page, an API answer) reads of a response body.
const BUFFERED_BODY_LIMIT: usize = 64 << 20;

/// A buffered call's body, whole, refusing an answer past [`BUFFERED_BODY_LIMIT`] rather than holding it.
async fn read_buffered(body: ResponseBody) -> Result<Bytes> {
    let too_large = || {
        Error::unexpected(format!(
            "the server's answer is larger than the {} MiB a buffered call reads",
            BUFFERED_BODY_LIMIT >> 20
        ))
    };
    match body.content_length() {
        // hyper holds a body to its Content-Length, so a known length within the limit is the bound.
        Some(len) if len > BUFFERED_BODY_LIMIT as u64 => Err(too_large()),
        Some(_) => body.bytes().await,
        None => body
            .bytes_limited(BUFFERED_BODY_LIMIT)
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidInput => too_large(),
                _ => e,
            }),
    }
}

/// Up to `limit` bytes of `body`, and whether that was all of it.
async fn read_limited(
    mut body: hyper::body::Incoming,
    limit: usize,
) -> std::result::Result<(Bytes, bool), hyper::Error> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            let room = limit.saturating_sub(buf.len());
            buf.extend_from_slice(&data[..data.len().min(room)]);
            if buf.len() >= limit {
                return Ok((buf.into(), http_body::Body::is_end_stream(&body)));
            }
        }
    }
    Ok((buf.into(), true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn a_summary_does_not_cut_inside_a_character() {
        // Found by `cargo xtask fuzz`: the 512-byte head ended inside a three-byte character.
        let body = format!("{}\u{fffd}tail", "x".repeat(510));
        let summary = body_summary(body.as_bytes()).unwrap();
        assert!(
            summary.starts_with("xxx") && summary.ends_with('…'),
            "{summary}"
        );
        let page = format!("<html><title>{}</title></html>", "é".repeat(300));
        assert!(body_summary(page.as_bytes())
            .unwrap()
            .starts_with("the server answered with an HTML page"));
    }

    #[test]
    fn reads_retry_after_as_seconds_or_http_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(2)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
    }

    #[test]
    fn default_error_takes_message_and_request_id() {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-request-id", HeaderValue::from_static("ABC"));
        let err = default_error(StatusCode::FORBIDDEN, &headers, b"  no access  ");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(err.message(), Some("no access"));
        assert_eq!(err.request_id(), Some("ABC"));
    }

    #[test]
    fn error_bodies_become_one_short_line_without_credentials() {
        let page = b"<!DOCTYPE html>\n<html><head><title>503 Service\n Unavailable</title></head>\n<body><h1>Down</h1>\n<p>try later</p></body></html>";
        let err = default_error(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), page);
        assert_eq!(
            err.message(),
            Some("the server answered with an HTML page: 503 Service Unavailable")
        );
        let long = "word ".repeat(100);
        let summary = body_summary(long.as_bytes()).unwrap();
        assert_eq!(summary.chars().count(), SUMMARY_CHARS + 1);
        assert!(!summary.contains('\n'));
        let echoed = body_summary(b"bad request: password=hunter2\n").unwrap();
        assert_eq!(echoed, "bad request: password=***");
        assert_eq!(body_summary(b" \n "), None);
    }
}
