//! SigV4 header signing for S3, on the hot path of every request.
//!
//! `aws-sigv4` signs correctly but derives the signing key (four HMACs) and builds its canonical request
//! through many allocations on every call: 6.5 µs a request on the benchmark machine, more than half the
//! cost of a whole loopback request. S3 requests here are simple (paths and queries already encoded,
//! `UNSIGNED-PAYLOAD`), so this signer hashes the canonical request as it writes it and keeps what
//! changes only once a second (the timestamp, and the HMAC already fed the string to sign's start) or
//! once a day (the scope, and the HMAC keyed with the day's signing key). Its output is checked byte for byte against `aws-sigv4`, which still makes
//! presigned URLs.

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use cloud_core::{Error, Request, Result, Secret};
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};
use smallvec::SmallVec;

use crate::credentials::Credentials;

type HmacSha256 = Hmac<Sha256>;

/// Headers never signed: set or changed after signing, or by proxies.
const UNSIGNED: &[&str] = &[
    "authorization",
    "user-agent",
    "content-length",
    "expect",
    "transfer-encoding",
    "connection",
];

pub(crate) const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Signs S3 requests in headers with a cached signing key.
pub(crate) struct HeaderSigner {
    access_key_id: String,
    secret: Secret,
    session_token: Option<HeaderValue>,
    region: String,
    service: &'static str,
    /// S3 takes `UNSIGNED-PAYLOAD` (declared in a header); other services sign the body's SHA-256.
    unsigned_payload: bool,
    /// What the last second signed for shares with this one.
    stamp: RwLock<Option<Arc<Stamp>>>,
}

/// What every request signed within one second shares.
struct Stamp {
    /// Unix seconds.
    second: u64,
    /// `20261125T203000Z`.
    datetime: String,
    /// The same, as the `x-amz-date` header's value (cloned by reference count).
    header: HeaderValue,
    /// `20261125/us-east-1/s3/aws4_request`.
    scope: String,
    /// HMAC-SHA256 keyed with the day's signing key.
    mac: HmacSha256,
    /// The same, fed the string to sign up to the canonical request's hash (algorithm, time, scope),
    /// which every request of this second shares.
    to_sign: HmacSha256,
}

const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");
const X_AMZ_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-amz-content-sha256");
const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// The parts of the `Authorization` value around the credential scope, signed headers and signature.
const CREDENTIAL: &str = "AWS4-HMAC-SHA256 Credential=";
const SIGNED_HEADERS: &str = ", SignedHeaders=";
const SIGNATURE: &str = ", Signature=";

/// The SHA-256 of nothing, the payload hash of every request without a body.
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac =
        <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `20261125T203000Z` for `time`, in UTC.
fn amz_date(time: SystemTime) -> String {
    let rfc3339 = humantime::format_rfc3339_seconds(time).to_string();
    rfc3339.replace(['-', ':'], "")
}

/// Lower-case hex of a digest, without an allocation.
fn hex32(bytes: &[u8]) -> [u8; 64] {
    let mut out = [0u8; 64];
    hex::encode_to_slice(bytes, &mut out).expect("32 bytes are 64 hex digits");
    out
}

fn hex_str(hex: &[u8; 64]) -> &str {
    std::str::from_utf8(hex).expect("hex digits are ASCII")
}

impl HeaderSigner {
    pub(crate) fn new(
        credentials: &Credentials,
        region: &str,
        service: &'static str,
    ) -> Result<HeaderSigner> {
        let session_token = match credentials.session_token() {
            Some(token) => {
                let mut value = HeaderValue::from_str(token.expose()).map_err(|_| {
                    Error::invalid_input("the AWS session token is not a valid header value")
                })?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Ok(HeaderSigner {
            access_key_id: credentials.access_key_id().to_owned(),
            secret: credentials.secret_access_key().clone(),
            session_token,
            region: region.to_owned(),
            service,
            unsigned_payload: service == "s3",
            stamp: RwLock::new(None),
        })
    }

    fn signing_key(&self, date: &str) -> [u8; 32] {
        let secret = format!("AWS4{}", self.secret.expose());
        [
            self.region.as_bytes(),
            self.service.as_bytes(),
            b"aws4_request",
        ]
        .iter()
        .fold(hmac(secret.as_bytes(), date.as_bytes()), |key, part| {
            hmac(&key, part)
        })
    }

    /// The stamp for `now`: the cached one within the same second, else one made afresh (keeping the
    /// day's keyed HMAC when the day has not changed).
    fn stamp(&self, now: SystemTime) -> Arc<Stamp> {
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let cached = self.stamp.read().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(stamp) = &cached {
            if stamp.second == second {
                return cached.expect("just matched");
            }
        }
        let datetime = amz_date(now);
        let date = &datetime[..8];
        let (scope, mac) = match cached {
            Some(stamp) if stamp.datetime[..8] == *date => (stamp.scope.clone(), stamp.mac.clone()),
            _ => (
                format!("{date}/{}/{}/aws4_request", self.region, self.service),
                <HmacSha256 as KeyInit>::new_from_slice(&self.signing_key(date))
                    .expect("HMAC takes keys of any length"),
            ),
        };
        let mut to_sign = mac.clone();
        for part in ["AWS4-HMAC-SHA256\n", &datetime, "\n", &scope, "\n"] {
            to_sign.update(part.as_bytes());
        }
        let stamp = Arc::new(Stamp {
            second,
            header: HeaderValue::from_str(&datetime).expect("digits and letters"),
            datetime,
            scope,
            mac,
            to_sign,
        });
        *self.stamp.write().unwrap_or_else(|e| e.into_inner()) = Some(stamp.clone());
        stamp
    }

    /// Adds `x-amz-date`, `x-amz-content-sha256`, the session token if any, and `authorization`.
    pub(crate) fn sign(&self, request: &mut Request, now: SystemTime) -> Result<()> {
        let stamp = self.stamp(now);
        let body_hash;
        let payload_hash = if self.unsigned_payload {
            UNSIGNED_PAYLOAD
        } else {
            let chunks = request.body().as_chunks().ok_or_else(|| {
                Error::invalid_input("a streamed body cannot be signed for this service")
            })?;
            if chunks.iter().all(|chunk| chunk.is_empty()) {
                EMPTY_SHA256
            } else {
                let mut hasher = Sha256::new();
                chunks.iter().for_each(|chunk| hasher.update(chunk));
                body_hash = hex32(&hasher.finalize());
                hex_str(&body_hash)
            }
        };
        let headers = request.headers_mut();
        headers.insert(X_AMZ_DATE, stamp.header.clone());
        if self.unsigned_payload {
            headers.insert(
                X_AMZ_CONTENT_SHA256,
                HeaderValue::from_static(UNSIGNED_PAYLOAD),
            );
        }
        if let Some(token) = &self.session_token {
            headers.insert(X_AMZ_SECURITY_TOKEN, token.clone());
        }

        let uri = request.uri();
        let host = signed_host(uri)?;
        // On the stack for the usual dozen headers.
        let mut names: SmallVec<[(&str, &[u8]); 16]> = SmallVec::new();
        names.push(("host", host.as_bytes()));
        for (name, value) in request.headers() {
            if !UNSIGNED.contains(&name.as_str()) && name != http::header::HOST {
                names.push((name.as_str(), value.as_bytes()));
            }
        }
        names.sort_unstable_by(|a, b| a.0.cmp(b.0));

        // The Authorization value is built first, to its exact length (so that it becomes a header
        // value without a copy), and its signed-headers list is hashed from there.
        let signed_len = names.iter().map(|(name, _)| name.len() + 1).sum::<usize>() - 1;
        let mut authorization = String::with_capacity(
            CREDENTIAL.len()
                + self.access_key_id.len()
                + 1
                + stamp.scope.len()
                + SIGNED_HEADERS.len()
                + signed_len
                + SIGNATURE.len()
                + 64,
        );
        for part in [
            CREDENTIAL,
            &self.access_key_id,
            "/",
            &stamp.scope,
            SIGNED_HEADERS,
        ] {
            authorization.push_str(part);
        }
        let signed_start = authorization.len();
        for (i, (name, _)) in names.iter().enumerate() {
            if i > 0 {
                authorization.push(';');
            }
            authorization.push_str(name);
        }

        // The canonical request, hashed as it is written: measured, that beats writing it to a
        // buffer on the stack first (whose every push checks where its bytes live).
        let mut canonical = Canonical(Sha256::new());
        canonical.extend_from_slice(request.method().as_str().as_bytes());
        canonical.push(b'\n');
        canonical.extend_from_slice(if uri.path().is_empty() {
            b"/"
        } else {
            uri.path().as_bytes()
        });
        canonical.push(b'\n');
        canonical_query(uri.query().unwrap_or_default(), &mut canonical);
        canonical.push(b'\n');
        for (name, value) in &names {
            let value = std::str::from_utf8(value).map_err(|_| {
                Error::invalid_input(format!(
                    "the {name} header is not text and cannot be signed"
                ))
            })?;
            canonical.extend_from_slice(name.as_bytes());
            canonical.push(b':');
            canonical.extend_from_slice(collapse(value).as_bytes());
            canonical.push(b'\n');
        }
        canonical.push(b'\n');
        canonical.extend_from_slice(&authorization.as_bytes()[signed_start..]);
        canonical.push(b'\n');
        canonical.extend_from_slice(payload_hash.as_bytes());

        let canonical_hash = hex32(&canonical.0.finalize());
        // The string to sign is the stamp's prefix, already fed to its HMAC, and the hash.
        let mut mac = stamp.to_sign.clone();
        mac.update(&canonical_hash);
        let signature = hex32(&mac.finalize().into_bytes());
        authorization.push_str(SIGNATURE);
        authorization.push_str(hex_str(&signature));
        debug_assert_eq!(authorization.len(), authorization.capacity());
        // The list borrows the request, which is changed next.
        drop(names);
        // Handed over, not copied.
        let mut value = HeaderValue::from_maybe_shared(bytes::Bytes::from(authorization))
            .map_err(|_| Error::invalid_input("the access key id is not a valid header value"))?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// A canonical request as it is written: hashed as it goes.
struct Canonical(Sha256);

impl Canonical {
    fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn push(&mut self, byte: u8) {
        self.0.update([byte]);
    }
}

/// The `host` that is signed: the authority as sent, less any user info (which never reaches the
/// server) and less a default port. Read from the authority's text: `Uri::port_u16` parses the port
/// anew on every call.
fn signed_host(uri: &http::Uri) -> Result<&str> {
    let authority = uri
        .authority()
        .map(|a| a.as_str())
        .filter(|a| !a.is_empty())
        .ok_or_else(|| Error::invalid_input("a request to sign needs a host"))?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    Ok(match host_port.rsplit_once(':') {
        // An IPv6 host ends with `]`, never with a port's digits.
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            match (uri.scheme_str(), port.parse::<u16>()) {
                (Some("http"), Ok(80)) | (Some("https"), Ok(443)) => host,
                _ => host_port,
            }
        }
        _ => host_port,
    })
}

/// Header values with surrounding spaces removed and inner runs of spaces collapsed, as SigV4 wants.
fn collapse(value: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = value.trim();
    if !trimmed.contains("  ") {
        return trimmed.into();
    }
    trimmed
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .into()
}

/// The query's pairs sorted by name, then value. They are already encoded with the unreserved set SigV4
/// uses; a pair without `=` gets one.
fn canonical_query(query: &str, out: &mut Canonical) {
    if query.is_empty() {
        return;
    }
    let mut pairs: SmallVec<[(&str, &str); 8]> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .collect();
    pairs.sort_unstable();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
    }
}

impl std::fmt::Debug for HeaderSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderSigner")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{CredentialSource, SigV4};
    use cloud_core::{Body, Clock, SystemClock};
    use futures_util::FutureExt;
    use std::sync::Arc;
    use std::time::Duration;

    fn fixed(credentials: &Credentials) -> CredentialSource {
        CredentialSource::Fixed(credentials.clone())
    }

    fn clock() -> Arc<dyn Clock> {
        Arc::new(SystemClock)
    }

    fn request(method: &str, url: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    }

    /// The same requests signed by this signer and by `aws-sigv4` carry the same headers.
    #[test]
    fn signs_exactly_as_aws_sigv4_does() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_640_000);
        let plain = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let temporary = plain
            .clone()
            .with_session_token("FwoGZXIvYXdzEJr//////////wEaDOpRUM0L+token");
        let names: Vec<String> = (0..20).map(|i| format!("x-amz-meta-m{i:02}")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
        let cases = [
            request("GET", "http://127.0.0.1:9000/", &[]),
            request("PUT", "http://127.0.0.1:9000/bucket/a%20b/c%2Bd.txt", &[("content-type", "text/plain"), ("x-amz-meta-owner", "  ada   lovelace ")]),
            request("GET", "https://bucket.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=100", &[]),
            request("POST", "https://s3.amazonaws.com/b/k?uploads=", &[("content-type", "image/png")]),
            request("PUT", "https://s3.amazonaws.com:443/b/k?uploadId=x%2By&partNumber=3", &[("x-amz-checksum-crc32c", "AAAAAA==")]),
            request("GET", "http://localhost:80/b/%C3%BC~x", &[("range", "bytes=0-99"), ("if-match", "\"etag\"")]),
            request("HEAD", "http://[::1]:9000/b/k", &[]),
            request("HEAD", "http://[::1]/b/k", &[]),
            request("HEAD", "https://[2001:db8::1]:443/b/k", &[]),
            // More headers than the signer keeps on its stack, and more query pairs.
            request("PUT", "https://s3.amazonaws.com/b/k?z=1&y=2&x=3&w=4&v=5&u=6&t=7&s=8&r=9&q=10", &many),
        ];
        for credentials in [&plain, &temporary] {
            for region in ["us-east-1", "eu-west-1"] {
                let ours = HeaderSigner::new(credentials, region, "s3").unwrap();
                let reference = SigV4::s3(&fixed(credentials), region, clock()).unwrap();
                for case in &cases {
                    let mut mine = cloud_core::request::try_clone(case).unwrap();
                    let mut theirs = cloud_core::request::try_clone(case).unwrap();
                    ours.sign(&mut mine, now).unwrap();
                    reference
                        .sign_with_aws_sigv4(&mut theirs, now)
                        .now_or_never()
                        .expect("fixed credentials are at hand")
                        .unwrap();
                    assert_eq!(
                        mine.headers(),
                        theirs.headers(),
                        "{} {}",
                        case.method(),
                        case.uri()
                    );
                }
            }
        }
    }

    #[test]
    fn a_session_token_that_cannot_be_a_header_is_an_error_not_a_panic() {
        let credentials = Credentials::new("AKID", "secret").with_session_token("line\nbreak");
        let err = HeaderSigner::new(&credentials, "us-east-1", "s3").unwrap_err();
        assert_eq!(err.kind(), cloud_core::ErrorKind::InvalidInput);
        assert!(
            !err.to_string().contains("line"),
            "the token is not echoed: {err}"
        );
    }

    /// For Query API services the body's hash is signed, as `aws-sigv4` does it.
    #[test]
    fn signs_query_api_bodies_exactly_as_aws_sigv4_does() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_640_000);
        let credentials =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        let ours = HeaderSigner::new(&credentials, "eu-west-1", "ec2").unwrap();
        let reference =
            SigV4::query_service(&fixed(&credentials), "eu-west-1", "ec2", clock()).unwrap();
        for body in [
            "",
            "Action=DescribeInstances&Version=2016-11-15",
            "Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=1",
        ] {
            let build = || {
                http::Request::builder()
                    .method("POST")
                    .uri("https://ec2.eu-west-1.amazonaws.com/")
                    .header(
                        "content-type",
                        "application/x-www-form-urlencoded; charset=utf-8",
                    )
                    .body(Body::from(body.to_owned()))
                    .unwrap()
            };
            let (mut mine, mut theirs) = (build(), build());
            ours.sign(&mut mine, now).unwrap();
            reference
                .sign_with_aws_sigv4(&mut theirs, now)
                .now_or_never()
                .expect("fixed credentials are at hand")
                .unwrap();
            assert_eq!(mine.headers(), theirs.headers(), "{body}");
        }
    }

    #[test]
    fn keeps_the_timestamp_for_a_second_and_the_signing_key_for_a_day() {
        use std::time::{Duration, UNIX_EPOCH};
        let signer =
            HeaderSigner::new(&Credentials::new("AKID", "secret"), "us-east-1", "s3").unwrap();
        let at = UNIX_EPOCH + Duration::from_secs(1_764_102_600);
        let tag = |stamp: &Stamp| {
            let mut mac = stamp.mac.clone();
            mac.update(b"to sign");
            mac.finalize().into_bytes()
        };
        let first = signer.stamp(at);
        assert_eq!(first.datetime, "20251125T203000Z");
        assert_eq!(first.scope, "20251125/us-east-1/s3/aws4_request");
        assert_eq!(
            tag(&first).as_slice(),
            hmac(&signer.signing_key("20251125"), b"to sign")
        );
        let same_second = signer.stamp(at + Duration::from_millis(999));
        assert_eq!(same_second.datetime, first.datetime);
        let next_second = signer.stamp(at + Duration::from_secs(1));
        assert_eq!(next_second.datetime, "20251125T203001Z");
        assert_eq!(tag(&next_second), tag(&first), "the same day's key");
        let next_day = signer.stamp(at + Duration::from_secs(86_400));
        assert_eq!(next_day.scope, "20251126/us-east-1/s3/aws4_request");
        assert_ne!(tag(&next_day), tag(&first), "a new day's key");
    }
}
