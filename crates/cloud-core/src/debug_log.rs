//! The HTTP debug log: each request as a runnable `curl` command, each response as status and headers,
//! with every credential replaced by `***`.
//!
//! It is on when `CLOUD_DEBUG=1` is set (lines go to standard error) and whenever a `tracing` subscriber
//! enables the target `cloud::http` at `DEBUG` level. Redaction covers credential headers
//! (`Authorization`, `X-Amz-Security-Token`, `X-Auth-Token`, `x-ms-*` keys, anything marked
//! [sensitive](http::HeaderValue::set_sensitive), and any header whose name speaks of a token, key,
//! secret, signature, credential, password or cookie) and signature query parameters
//! (`X-Amz-Signature`, `X-Amz-Credential`, `sig`, `Signature`, …).
//!
//! ```
//! use cloud_core::debug_log::curl_command;
//!
//! let request = http::Request::put("https://bucket.s3.amazonaws.com/key?X-Amz-Signature=abc123&x-id=PutObject")
//!     .header("authorization", "AWS4-HMAC-SHA256 Credential=AKID/…, Signature=deadbeef")
//!     .header("content-type", "text/plain")
//!     .body(cloud_core::Body::from("hello"))
//!     .unwrap();
//! let line = curl_command(&request);
//! assert_eq!(
//!     line,
//!     "curl -X PUT 'https://bucket.s3.amazonaws.com/key?X-Amz-Signature=***&x-id=PutObject' \
//!      -H 'authorization: ***' -H 'content-type: text/plain' --data-binary @- # 5-byte body"
//! );
//! ```

use std::fmt::{self, Write as _};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, Uri};

use crate::body::Body;

/// The target of the `tracing` events this module emits.
pub const TARGET: &str = "cloud::http";

const REDACTED: &str = "***";

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-amz-security-token",
    "x-auth-token",
    "x-subject-token",
    "x-storage-token",
    "cookie",
    "set-cookie",
];

const SECRET_QUERY_PARAMS: &[&str] = &[
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "x-goog-signature",
    "x-goog-credential",
    "signature",
    "sig",
    "awsaccesskeyid",
    "access_token",
    "token",
    "key",
    "temp_url_sig",
    "password",
    "client_secret",
];

/// Whether a header carries a credential and must never be logged.
pub fn is_secret_header(name: &HeaderName, value: &HeaderValue) -> bool {
    if value.is_sensitive() {
        return true;
    }
    let name = name.as_str();
    SECRET_HEADERS.contains(&name) || crate::redact::is_secret_name(name)
}

/// Whether a query parameter carries a credential.
pub fn is_secret_query_param(name: &str) -> bool {
    SECRET_QUERY_PARAMS
        .iter()
        .any(|p| p.eq_ignore_ascii_case(name))
}

/// The URI with any user name and password, and the values of credential query parameters, replaced
/// by `***`.
pub fn redact_uri(uri: &Uri) -> String {
    let text = crate::redact::url(&uri.to_string()).into_owned();
    let Some((base, query)) = text.split_once('?') else {
        return text;
    };
    let mut out = String::with_capacity(text.len());
    out.push_str(base);
    out.push('?');
    for (i, pair) in query.split('&').enumerate() {
        if i > 0 {
            out.push('&');
        }
        match pair.split_once('=') {
            Some((name, _)) if is_secret_query_param(&percent_decoded(name)) => {
                out.push_str(name);
                out.push('=');
                out.push_str(REDACTED);
            }
            _ => out.push_str(pair),
        }
    }
    out
}

fn percent_decoded(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn header_value_for_log(name: &HeaderName, value: &HeaderValue) -> String {
    if is_secret_header(name, value) {
        REDACTED.to_owned()
    } else {
        String::from_utf8_lossy(value.as_bytes()).into_owned()
    }
}

/// Quotes `text` for a POSIX shell.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// The request as a `curl` command line, credentials redacted. The body is not printed (it may hold
/// credentials of its own, such as an OAuth token request); its size is given instead.
pub fn curl_command(request: &Request<Body>) -> String {
    let mut line = String::with_capacity(256);
    let _ = write!(
        line,
        "curl -X {} {}",
        request.method(),
        shell_quote(&redact_uri(request.uri()))
    );
    for (name, value) in request.headers() {
        let header = format!("{name}: {}", header_value_for_log(name, value));
        let _ = write!(line, " -H {}", shell_quote(&header));
    }
    match request.body().content_length() {
        Some(0) => {}
        Some(len) => {
            let _ = write!(line, " --data-binary @- # {len}-byte body");
        }
        None => line.push_str(" --data-binary @- # streamed body"),
    }
    line
}

/// A response body for the log: credentials the server echoed (a canonical request with its security
/// token, a client secret) replaced by `***`.
pub fn body_for_log(body: &[u8]) -> String {
    format!("< {}", crate::redact::text(&String::from_utf8_lossy(body)))
}

/// The response's status line and headers, credentials redacted.
pub fn response_summary<B>(response: &Response<B>, elapsed: Duration) -> String {
    let mut text = format!(
        "< {:?} {} ({:.1} ms)",
        response.version(),
        response.status(),
        elapsed.as_secs_f64() * 1000.0
    );
    write_headers(&mut text, response.headers());
    text
}

fn write_headers(text: &mut String, headers: &HeaderMap) {
    for (name, value) in headers {
        let _ = write!(text, "\n< {name}: {}", header_value_for_log(name, value));
    }
}

type Sink = Arc<dyn Fn(&str) + Send + Sync>;

/// Where debug lines go besides `tracing`.
#[derive(Clone, Default)]
pub struct DebugLog {
    sink: Option<Sink>,
}

impl DebugLog {
    /// Standard error when `CLOUD_DEBUG` is set to anything but `0` or empty; otherwise only `tracing`.
    pub fn from_env() -> DebugLog {
        match std::env::var("CLOUD_DEBUG") {
            Ok(v) if !v.is_empty() && v != "0" => DebugLog::stderr(),
            _ => DebugLog::default(),
        }
    }

    /// Every line to standard error.
    pub fn stderr() -> DebugLog {
        DebugLog::to_fn(|line| eprintln!("{line}"))
    }

    /// Every line to a function (for capturing the log, say in a test).
    pub fn to_fn(f: impl Fn(&str) + Send + Sync + 'static) -> DebugLog {
        DebugLog {
            sink: Some(Arc::new(f)),
        }
    }

    /// Whether anything would receive a line now.
    pub(crate) fn enabled(&self) -> bool {
        self.sink.is_some() || tracing::enabled!(target: TARGET, tracing::Level::DEBUG)
    }

    pub(crate) fn emit(&self, line: &str) {
        if let Some(sink) = &self.sink {
            sink(line);
        }
        tracing::debug!(target: TARGET, "{line}");
    }
}

impl fmt::Debug for DebugLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DebugLog")
            .field("sink", &self.sink.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_signature_query_parameters_case_insensitively() {
        let uri: Uri = "https://h/p?sig=s1&se=2030&X-Amz-Credential=AKID%2F2024&Signature=s2&x-amz-signature=s3&a=1"
            .parse()
            .unwrap();
        assert_eq!(
            redact_uri(&uri),
            "https://h/p?sig=***&se=2030&X-Amz-Credential=***&Signature=***&x-amz-signature=***&a=1"
        );
    }

    #[test]
    fn recognises_credential_headers() {
        let plain = HeaderValue::from_static("v");
        for name in [
            "authorization",
            "x-amz-security-token",
            "x-auth-token",
            "x-ms-encryption-key",
            "x-ms-copy-source-authorization",
            "x-amz-server-side-encryption-customer-key",
            "x-goog-encryption-key",
        ] {
            assert!(
                is_secret_header(&HeaderName::from_static(name), &plain),
                "{name}"
            );
        }
        for name in [
            "content-type",
            "x-amz-date",
            "x-ms-version",
            "x-amz-content-sha256",
        ] {
            assert!(
                !is_secret_header(&HeaderName::from_static(name), &plain),
                "{name}"
            );
        }
        let mut sensitive = HeaderValue::from_static("v");
        sensitive.set_sensitive(true);
        assert!(is_secret_header(
            &HeaderName::from_static("x-custom"),
            &sensitive
        ));
    }

    #[test]
    fn quotes_single_quotes_for_the_shell() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
