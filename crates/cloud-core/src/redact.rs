//! Taking credentials out of text that is about to be shown: URLs with a user name and password in
//! them, and bodies a server sent back (an S3 `SignatureDoesNotMatch` answer echoes the canonical
//! request, security token included; a token endpoint's error may echo the client secret).
//!
//! ```
//! use cloud_core::redact;
//!
//! assert_eq!(redact::url("http://admin:hunter2@127.0.0.1:9000/b"), "http://***@127.0.0.1:9000/b");
//! let body = "<Error><Code>SignatureDoesNotMatch</Code>\
//!             <CanonicalRequest>GET\n/\nx-amz-security-token:IQoJb3JpZ2lu</CanonicalRequest></Error>";
//! assert_eq!(
//!     redact::text(body),
//!     "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>***</CanonicalRequest></Error>"
//! );
//! assert_eq!(redact::text(r#"{"error":"bad","client_secret": "s3cr3t"}"#), r#"{"error":"bad","client_secret": "***"}"#);
//! ```

use std::borrow::Cow;
use std::fmt;

const REDACTED: &str = "***";

/// XML elements whose whole content is, or quotes, a credential.
const SECRET_ELEMENTS: &[&str] = &[
    "CanonicalRequest",
    "CanonicalRequestBytes",
    "StringToSign",
    "StringToSignBytes",
    "SignatureProvided",
    "SecretAccessKey",
    "SessionToken",
    "Token",
    "AuthorizationHeader",
    "keyMaterial",
];

/// Words that mark a `name: value`, `name=value` or JSON `"name": "value"` pair as a credential.
const SECRET_WORDS: &[&str] = &[
    "token",
    "assertion",
    // A GCS resumable session URI lets anyone who has it write the object.
    "upload_id",
    "secret",
    "password",
    "signature",
    "credential",
    "authorization",
    "cookie",
    "sig",
    "private",
    "key",
];

/// Names that contain a secret word but carry none.
const HARMLESS_NAMES: &[&str] = &["key", "keyname", "key_name", "keymarker", "token_type"];

/// `url` with any user name and password replaced by `***`.
pub fn url(url: &str) -> Cow<'_, str> {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(url);
    };
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}{REDACTED}{}", &url[..start], &rest[at..])),
        None => Cow::Borrowed(url),
    }
}

/// A URL that shows itself (in `Debug` and `Display`) without its user name and password.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedactedUrl(String);

impl RedactedUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> RedactedUrl {
        RedactedUrl(url.into())
    }

    /// The URL as given, credentials included; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&url(&self.0), f)
    }
}

impl fmt::Display for RedactedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&url(&self.0))
    }
}

impl From<String> for RedactedUrl {
    fn from(url: String) -> RedactedUrl {
        RedactedUrl(url)
    }
}

impl From<&str> for RedactedUrl {
    fn from(url: &str) -> RedactedUrl {
        RedactedUrl(url.to_owned())
    }
}

/// Whether a field, header or parameter called `name` carries a credential.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if HARMLESS_NAMES.contains(&lower.as_str()) {
        return false;
    }
    SECRET_WORDS.iter().any(|word| lower.contains(word))
}

/// `text` (a response body, say) with credentials replaced by `***`: the content of XML elements that
/// quote them, the values of JSON string fields and of `name: value` / `name=value` pairs whose names
/// speak of a token, secret, password, signature, credential or key, and user names and passwords in
/// URLs.
pub fn text(text: &str) -> String {
    let mut out = secret_elements(text);
    out = json_fields(&out);
    out = pairs(&out);
    urls(&out)
}

fn secret_elements(text: &str) -> String {
    let mut out = text.to_owned();
    for name in SECRET_ELEMENTS {
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let mut from = 0;
        while let Some(start) = out[from..].find(&open).map(|i| from + i + open.len()) {
            let end = out[start..].find(&close).map_or(out.len(), |i| start + i);
            out.replace_range(start..end, REDACTED);
            from = start + REDACTED.len();
        }
    }
    out
}

/// The values of `"name": "value"` where the name is a secret one.
fn json_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..=quote]);
        rest = &rest[quote + 1..];
        let Some(end) = rest.find('"') else { break };
        let name = &rest[..end];
        out.push_str(&rest[..=end]);
        rest = &rest[end + 1..];
        let after_colon = rest.trim_start().strip_prefix(':').map(str::trim_start);
        let Some(value) = after_colon.and_then(|v| v.strip_prefix('"')) else {
            continue;
        };
        // The value is consumed either way, so its quotes are not taken for a name's.
        let gap = rest.len() - value.len();
        out.push_str(&rest[..gap]);
        let close = string_end(value);
        if is_secret_name(name) {
            out.push_str(REDACTED);
        } else {
            out.push_str(&value[..close]);
        }
        rest = &value[close..];
        if let Some(closing) = rest.strip_prefix('"') {
            out.push('"');
            rest = closing;
        }
    }
    out.push_str(rest);
    out
}

/// Where a JSON string's closing quote is in `value` (the text after its opening quote).
fn string_end(value: &str) -> usize {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    value.len()
}

/// The values of `name: value` and `name=value` where the name is a secret one: canonical headers,
/// query strings and form bodies quoted in an error.
fn pairs(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let (b':' | b'=') = bytes[i] else {
            i += 1;
            continue;
        };
        // Past the last character that cannot be in a name, which may be wider than a byte.
        let name_start = text[..i]
            .char_indices()
            .rev()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
            .map_or(0, |(p, c)| p + c.len_utf8());
        let name = &text[name_start..i];
        // A JSON field's name ends with a quote, not here; "https:" is a scheme.
        if name.is_empty() || !is_secret_name(name) {
            i += 1;
            continue;
        }
        // `password: value` as well as `password=value`; never across a line break.
        let value_start =
            i + 1 + text[i + 1..].len() - text[i + 1..].trim_start_matches([' ', '\t']).len();
        let value_end = text[value_start..]
            .find(|c: char| c.is_whitespace() || matches!(c, '&' | '<' | '"' | ',' | ';'))
            .map_or(text.len(), |p| value_start + p);
        if value_end > value_start {
            out.push_str(&text[copied..value_start]);
            out.push_str(REDACTED);
            copied = value_end;
        }
        i = value_end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

/// User names and passwords in every URL in `text`.
fn urls(text: &str) -> String {
    if !text.contains("://") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + 3;
        let tail = &rest[authority_start..];
        let authority_end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '<' | '\''))
            .unwrap_or(tail.len());
        out.push_str(&rest[..authority_start]);
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                out.push_str(&tail[at..authority_end]);
            }
            None => out.push_str(&tail[..authority_end]),
        }
        rest = &tail[authority_end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_user_info_only() {
        assert_eq!(url("http://u:p@h:1/x?y=z"), "http://***@h:1/x?y=z");
        assert_eq!(url("https://h/a@b"), "https://h/a@b");
        assert_eq!(url("no url"), "no url");
        assert_eq!(
            format!("{:?}", RedactedUrl::new("http://u:p@h")),
            "\"http://***@h\""
        );
    }

    #[test]
    fn canonical_requests_and_query_strings_lose_their_credentials() {
        let body = "<Error><Code>SignatureDoesNotMatch</Code><AWSAccessKeyId>AKID</AWSAccessKeyId>\
            <StringToSign>AWS4-HMAC-SHA256\n2026</StringToSign><SignatureProvided>abc</SignatureProvided>\
            <CanonicalRequest>GET\n/b\nX-Amz-Security-Token=TOK1&amp;x=1\nx-amz-security-token:TOK2\n</CanonicalRequest></Error>";
        let shown = text(body);
        for leak in ["TOK1", "TOK2", "abc", "2026"] {
            assert!(!shown.contains(leak), "{leak}: {shown}");
        }
        assert!(shown.contains("SignatureDoesNotMatch") && shown.contains("AKID"));
        assert_eq!(text("password:  hunter2\nnext"), "password:  ***\nnext");
        assert_eq!(text("token:\nnext line"), "token:\nnext line");
        let free = "retry with x-amz-security-token:TOK3 and X-Amz-Signature=SIG1&prefix=a or see https://u:PASS@h/";
        let shown = text(free);
        assert_eq!(
            shown,
            "retry with x-amz-security-token:*** and X-Amz-Signature=***&prefix=a or see https://***@h/"
        );
    }

    #[test]
    fn json_secret_fields_are_hidden_and_others_kept() {
        let body = r#"{"error":"invalid_client","client_secret":"S1","refresh_token" : "S2","Key":"photo.jpg","n":"a\"b","access_token":"x\"y"}"#;
        let shown = text(body);
        assert_eq!(
            shown,
            r#"{"error":"invalid_client","client_secret":"***","refresh_token" : "***","Key":"photo.jpg","n":"a\"b","access_token":"***"}"#
        );
    }

    #[test]
    fn wide_characters_before_a_colon_are_not_cut() {
        // Found by `cargo xtask fuzz`: a name start computed a byte into a three-byte character.
        assert_eq!(text("x-request-\u{fffd}d: r-1"), "x-request-\u{fffd}d: r-1");
        assert_eq!(text("é token: T1"), "é token: ***");
        assert_eq!(text("ü=1 password=P1"), "ü=1 password=***");
    }

    #[test]
    fn plain_text_is_unchanged() {
        let plain = "The specified key does not exist. Key: a/b=c, bucket: photos";
        assert_eq!(text(plain), plain);
    }
}
