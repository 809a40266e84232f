//! Entry points for fuzzing what servers send (the `fuzzing` feature): each [`Target`] names a parser,
//! gives seeds shaped like real answers, and runs the parser on any bytes. A target must never panic;
//! where a parser promises more (a range inside its total), the target checks that too.
//!
//! The harness that mutates the seeds is `cargo xtask fuzz`; each provider crate offers its own
//! targets the same way.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::pipeline::ErrorParser;
use crate::ManualClock;

/// One parser to fuzz.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// What it parses, as `provider: what`.
    pub name: &'static str,
    /// Inputs shaped like real answers, to mutate.
    pub seeds: &'static [&'static str],
    /// Runs the parser on one input; panics only on a finding.
    pub run: fn(&[u8]),
}

/// Headers from `name: value` lines (lines that are not a valid header are skipped).
pub fn headers(input: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in input.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(name), Ok(value)) =
            (HeaderName::from_bytes(name), HeaderValue::from_bytes(value))
        {
            headers.append(name, value);
        }
    }
    headers
}

/// The input as text, as a parser of text documents receives it.
pub fn text(input: &[u8]) -> String {
    String::from_utf8_lossy(input).into_owned()
}

/// A status from the input's length, so every error parser sees the statuses that matter.
pub fn status(input: &[u8]) -> StatusCode {
    const STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 409, 412, 429, 500, 503];
    StatusCode::from_u16(STATUSES[input.len() % STATUSES.len()]).unwrap_or(StatusCode::OK)
}

/// Runs an error parser on `input` as a body (and as headers), and renders the error as a user
/// would see it.
pub fn error_parser(parser: &dyn ErrorParser, input: &[u8]) {
    let status = status(input);
    let headers = headers(input);
    let err = parser.parse_error(status, &headers, input);
    let _ = (err.to_string(), format!("{err:?}"), err.retry_after());
    let _ = parser.error_in_success(StatusCode::OK, &headers, input);
}

/// The time tests fuzz against: fixed, so a case repeats exactly.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_765_000_000)
}

/// Core's own targets: headers, dates, error bodies, token answers, XML roots, the debug log.
pub fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "core: Content-Range",
            seeds: &["content-range: bytes 0-9/100", "content-range: bytes 5-5/6", "content-range: bytes */100"],
            run: |input| {
                if let Some((range, total)) = crate::headers::content_range(&headers(input)) {
                    assert!(range.start < range.end && range.end <= total, "{range:?} of {total}");
                }
            },
        },
        Target {
            name: "core: Retry-After",
            seeds: &["retry-after: 120", "retry-after: Wed, 21 Oct 2015 07:28:00 GMT", "retry-after: 0"],
            run: |input| {
                let _ = crate::pipeline::transport::retry_after(&headers(input), now());
            },
        },
        Target {
            name: "core: HTTP dates and lengths",
            seeds: &[
                "last-modified: Wed, 21 Oct 2015 07:28:00 GMT\ncontent-length: 12",
                "last-modified: Sunday, 06-Nov-94 08:49:37 GMT\ncontent-length: 0",
            ],
            run: |input| {
                let headers = headers(input);
                let _ = crate::headers::http_date(&headers, "last-modified");
                let _ = crate::headers::content_length(&headers);
            },
        },
        Target {
            name: "core: resumed reads",
            seeds: &["etag: \"abc\"\ncontent-range: bytes 10-19/20", "content-range: bytes 0-0/1"],
            run: |input| {
                let _ = crate::headers::check_resumed(&headers(input), "\"abc\"", 10);
            },
        },
        Target {
            name: "core: rate-limit headers",
            seeds: &[
                "ratelimit-remaining: 0\nratelimit-reset: 1765000042",
                "x-ratelimit-remaining: 0\nx-ratelimit-reset: 7",
            ],
            run: |input| {
                let _ = crate::pipeline::throttle::exhausted_until(&headers(input), now());
            },
        },
        Target {
            name: "core: RFC 3339 timestamps",
            seeds: &["2026-12-07T11:42:20Z", "2026-12-07T11:42:20.123456-05:00", "2026-12-07T11:42:20+00:00"],
            run: |input| {
                let _ = crate::time::rfc3339(&String::from_utf8_lossy(input));
            },
        },
        Target {
            name: "core: error bodies",
            seeds: &[
                "<html><body><h1>503 Service Unavailable</h1>No server is available.</body></html>",
                "{\"message\": \"nope\"}",
                "x-request-id: r-1\nretry-after: 3\n\nbusy",
            ],
            run: |input| error_parser(&crate::GenericErrors, input),
        },
        Target {
            name: "core: OAuth token answers",
            seeds: &[
                r#"{"access_token":"ya29.a0","expires_in":3599,"token_type":"Bearer"}"#,
                r#"{"access_token":"eyJ0","expires_on":"1765003600","token_type":"Bearer"}"#,
                r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
            ],
            run: |input| {
                let clock = ManualClock::new();
                let _ = crate::oauth::parse_token(input, &clock);
                error_parser(&crate::oauth::OAuthErrors, input);
            },
        },
        Target {
            name: "core: XML roots",
            seeds: &[
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name></ListBucketResult>",
                "<!-- a comment --><ListBucketResult/>",
            ],
            run: |input| {
                let _ = crate::xml::expect_root("S3", "ListBucketResult", &String::from_utf8_lossy(input));
            },
        },
        Target {
            name: "core: XML, the plain scanner against quick-xml's reader",
            seeds: &[
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Contents><Name>a&amp;b &lt;c&gt; &quot;d&quot;</Name><LastModified>2026-11-25T20:00:00.000Z</LastModified><ETag>\"0123\"</ETag><Size>5</Size><Empty/></Contents><IsTruncated>false</IsTruncated></ListBucketResult>",
                "<root>\n  <ab a='1' b = \"2\">t&apos;xt</ab>\n  <abc>odd</abc><cd/>\n</root>\n",
                "<r><ab><![CDATA[a<b]]>&#233;<!-- c --></ab></r>",
            ],
            run: |input| {
                let xml = String::from_utf8_lossy(input);
                // Documents the scanner leaves to quick-xml have nothing to compare.
                let _ = crate::xml::read::plain_agrees(&xml);
            },
        },
        Target {
            name: "core: bodies in the debug log",
            seeds: &[
                "<Error><Code>SignatureDoesNotMatch</Code><CanonicalRequest>GET\n/\nx-amz-security-token:FQoG</CanonicalRequest></Error>",
                r#"{"access_token":"secret","refresh_token":"secret2"}"#,
            ],
            run: |input| {
                let _ = crate::debug_log::body_for_log(input);
            },
        },
    ]
}
