//! Authorizing Blob requests: Shared Key signatures (computed afresh on every attempt), a SAS token
//! appended to the query, or an Entra ID bearer token from the shared cache; and service SAS URLs for
//! presigned reads and writes.

use std::fmt;
use std::time::{Duration, SystemTime};

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use base64::Engine;
use cloud_core::oauth::BearerAuth;
use cloud_core::{Authorize, Clock, Error, HttpService, Request, Result, Secret};
use hmac::{Hmac, KeyInit, Mac};
use http::header::{
    CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_TYPE, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    IF_UNMODIFIED_SINCE, RANGE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Uri};
use percent_encoding::percent_decode_str;
use sha2::Sha256;
use smallvec::SmallVec;

use crate::credentials::Credentials;

/// The REST API version every request names (`x-ms-version`); the formats below are this version's.
pub const API_VERSION: &str = "2023-11-03";

pub(crate) fn hmac(key: &[u8], data: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The HMAC-SHA256 of `data` under the account key already keyed into `keyed`.
fn tag(keyed: &Hmac<Sha256>, data: &str) -> impl AsRef<[u8]> {
    let mut mac = keyed.clone();
    mac.update(data.as_bytes());
    mac.finalize().into_bytes()
}

/// Signs with the account key, appends the SAS token, or sends a bearer token.
pub(crate) struct BlobAuth {
    account: String,
    /// HMAC-SHA256 keyed with the account key (Shared Key), or none (SAS), ready to clone: keying
    /// hashes two blocks, once, not once a request. The decoded key itself is wiped once this is
    /// made; never shown (see `Debug`).
    keyed: Option<Hmac<Sha256>>,
    sas: Option<Secret>,
    bearer: Option<BearerAuth>,
    /// `x-ms-date` for the current second: formatted once a second, not once a request.
    date: RwLock<Option<(u64, HeaderValue)>>,
}

impl BlobAuth {
    /// `tokens` reaches Entra ID's token endpoints (without authorization of its own).
    pub(crate) fn new(
        credentials: &Credentials,
        tokens: HttpService,
        clock: Arc<dyn Clock>,
    ) -> Result<BlobAuth> {
        let mut key = credentials.key_bytes()?;
        let sas = match credentials {
            Credentials::Sas { token, .. } => Some(token.clone()),
            _ => None,
        };
        let bearer = match credentials {
            Credentials::Entra { identity, .. } => Some(BearerAuth::new(
                identity.source(tokens, clock.clone()),
                clock,
            )),
            _ => None,
        };
        let keyed = key.as_deref().map(|key| {
            <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length")
        });
        if let Some(key) = &mut key {
            key.iter_mut().for_each(|b| *b = 0);
        }
        Ok(BlobAuth {
            account: credentials.account().to_owned(),
            keyed,
            sas,
            bearer,
            date: RwLock::new(None),
        })
    }

    /// Whether requests carry an Entra ID token (so presigned URLs need a user delegation key).
    pub(crate) fn is_bearer(&self) -> bool {
        self.bearer.is_some()
    }

    /// The storage account's name.
    pub(crate) fn account(&self) -> &str {
        &self.account
    }

    /// The SAS token, when requests carry one.
    pub(crate) fn sas_query(&self) -> Option<&str> {
        self.sas.as_ref().map(Secret::expose)
    }

    /// Adds `x-ms-date` and the Shared Key `Authorization` header for `now`.
    pub(crate) fn sign(
        &self,
        request: &mut Request,
        keyed: &Hmac<Sha256>,
        now: SystemTime,
    ) -> Result<()> {
        request.headers_mut().insert(X_MS_DATE, self.date(now));
        let length = request.body().content_length().unwrap_or(0);
        let to_sign = string_to_sign(
            request.method().as_str(),
            request.uri(),
            request.headers(),
            length,
            &self.account,
        );
        // Written once, to its length, and handed to the header without a copy.
        let mut value = String::with_capacity(SHARED_KEY.len() + self.account.len() + 1 + 44);
        value.push_str(SHARED_KEY);
        value.push_str(&self.account);
        value.push(':');
        base64::engine::general_purpose::STANDARD.encode_string(tag(keyed, &to_sign), &mut value);
        let mut value = HeaderValue::from_maybe_shared(bytes::Bytes::from(value)).map_err(|e| {
            Error::invalid_input("the account name is not a header value").with_source(e)
        })?;
        value.set_sensitive(true);
        request
            .headers_mut()
            .insert(http::header::AUTHORIZATION, value);
        Ok(())
    }

    /// `x-ms-date` for `now`, the cached value within the same second.
    fn date(&self, now: SystemTime) -> HeaderValue {
        let second = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Some((at, value)) = &*self.date.read().unwrap_or_else(|e| e.into_inner()) {
            if *at == second {
                return value.clone();
            }
        }
        let value = HeaderValue::from_str(&httpdate::fmt_http_date(now))
            .expect("an HTTP date is a header value");
        *self.date.write().unwrap_or_else(|e| e.into_inner()) = Some((second, value.clone()));
        value
    }

    /// A service SAS for one blob: `permissions` (`r`, `cw`, …) until `now + expires_in`.
    pub(crate) fn blob_sas(
        &self,
        container: &str,
        blob: &str,
        permissions: &str,
        expires_in: Duration,
        now: SystemTime,
    ) -> Result<String> {
        let Some(keyed) = &self.keyed else {
            return Err(Error::unsupported(
                "presigned Azure URLs need the account key (a SAS token cannot make another)",
            ));
        };
        let expiry = humantime::format_rfc3339_seconds(now + expires_in).to_string();
        let resource = format!("/blob/{}/{container}/{blob}", self.account);
        // sp, st, se, resource, si, sip, spr, sv, sr, snapshot time, ses, rscc, rscd, rsce, rscl, rsct.
        let to_sign = [
            permissions,
            "",
            &expiry,
            &resource,
            "",
            "",
            "",
            API_VERSION,
            "b",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]
        .join("\n");
        let signature = base64::engine::general_purpose::STANDARD.encode(tag(keyed, &to_sign));
        Ok(cloud_core::request::query(&[
            ("sv", API_VERSION),
            ("sr", "b"),
            ("sp", permissions),
            ("se", &expiry),
            ("sig", &signature),
        ]))
    }
}

/// Shared Key's string to sign: the verb, twelve standard headers (`Content-Length` empty when zero),
/// the `x-ms-` headers sorted, and the resource with its query parameters sorted and decoded.
pub(crate) fn string_to_sign(
    method: &str,
    uri: &Uri,
    headers: &HeaderMap,
    content_length: u64,
    account: &str,
) -> String {
    // Names as constants: looking a header up by a `&str` parses the name first.
    let get = |name: &HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let length = if content_length == 0 {
        String::new()
    } else {
        content_length.to_string()
    };
    let mut out = String::with_capacity(256);
    out.push_str(method);
    out.push('\n');
    for value in [
        get(&CONTENT_ENCODING),
        get(&CONTENT_LANGUAGE),
        &length,
        get(&CONTENT_MD5),
        get(&CONTENT_TYPE),
        "", // Date: x-ms-date is signed instead.
        get(&IF_MODIFIED_SINCE),
        get(&IF_MATCH),
        get(&IF_NONE_MATCH),
        get(&IF_UNMODIFIED_SINCE),
        get(&RANGE),
    ] {
        out.push_str(value);
        out.push('\n');
    }
    // On the stack for the usual handful.
    let mut ms: SmallVec<[(&str, Cow<'_, str>); 8]> = headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("x-ms-"))
        .map(|(name, value)| (name.as_str(), collapse(value.to_str().unwrap_or(""))))
        .collect();
    ms.sort();
    for (name, value) in ms {
        out.push_str(name);
        out.push(':');
        out.push_str(&value);
        out.push('\n');
    }
    out.push('/');
    out.push_str(account);
    out.push_str(uri.path());
    let mut params: SmallVec<[(Cow<'_, str>, Cow<'_, str>); 8]> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s| percent_decode_str(s).decode_utf8_lossy();
            let mut name = decode(name);
            if name.bytes().any(|b| b.is_ascii_uppercase()) {
                name = Cow::Owned(name.to_ascii_lowercase());
            }
            (name, decode(value))
        })
        .collect();
    params.sort();
    let mut last: Option<&str> = None;
    for (name, value) in &params {
        if last == Some(name.as_ref()) {
            out.push(',');
        } else {
            out.push('\n');
            out.push_str(name);
            out.push(':');
        }
        out.push_str(value);
        last = Some(name.as_ref());
    }
    out
}

/// A header value with its whitespace runs made one space and its ends trimmed, as Shared Key signs
/// it; borrowed when there is nothing to change.
fn collapse(value: &str) -> Cow<'_, str> {
    let plain = !value.starts_with(' ')
        && !value.ends_with(' ')
        && !value.contains("  ")
        && !value.contains('\t');
    if plain {
        return Cow::Borrowed(value);
    }
    Cow::Owned(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

const X_MS_DATE: HeaderName = HeaderName::from_static("x-ms-date");
const SHARED_KEY: &str = "SharedKey ";
const X_MS_VERSION: HeaderName = HeaderName::from_static("x-ms-version");
const CONTENT_MD5: HeaderName = HeaderName::from_static("content-md5");

impl BlobAuth {
    /// What every request carries: the API version.
    fn common(&self, request: &mut Request) {
        // `Content-Length` is not set here: hyper sends a body's length, and the transport the
        // `Content-Length: 0` of an empty write, which Azure wants and hyper leaves out.
        request
            .headers_mut()
            .insert(X_MS_VERSION, HeaderValue::from_static(API_VERSION));
    }

    /// Authorizes with what is at hand: the account key or the SAS token.
    fn with_key_or_sas(&self, request: &mut Request) -> Result<()> {
        self.common(request);
        if let Some(keyed) = &self.keyed {
            return self.sign(request, keyed, SystemTime::now());
        }
        if let Some(sas) = &self.sas {
            let uri = request.uri();
            let joined = match uri.query() {
                Some(q) if !q.is_empty() => format!("{}?{q}&{}", uri.path(), sas.expose()),
                _ => format!("{}?{}", uri.path(), sas.expose()),
            };
            let mut parts = uri.clone().into_parts();
            parts.path_and_query = Some(
                joined
                    .parse()
                    .map_err(|_| Error::invalid_input("the SAS token cannot be part of a URL"))?,
            );
            *request.uri_mut() = Uri::from_parts(parts).map_err(|e| {
                Error::invalid_input("the SAS token cannot be part of a URL").with_source(e)
            })?;
        }
        Ok(())
    }
}

#[async_trait]
impl Authorize for BlobAuth {
    async fn authorize(&self, request: &mut Request) -> Result<()> {
        match &self.bearer {
            Some(bearer) => {
                self.common(request);
                bearer.authorize(request).await
            }
            None => self.with_key_or_sas(request),
        }
    }

    fn authorize_now(&self, request: &mut Request) -> Option<Result<()>> {
        match &self.bearer {
            None => Some(self.with_key_or_sas(request)),
            // A bearer token is at hand while the cached one is fresh.
            Some(bearer) => {
                self.common(request);
                bearer.authorize_now(request)
            }
        }
    }

    fn renewable(&self) -> bool {
        self.bearer.is_some()
    }

    fn refused(&self, sent: &HeaderMap) {
        if let Some(bearer) = &self.bearer {
            bearer.refused(sent);
        }
    }
}

impl fmt::Debug for BlobAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobAuth")
            .field("account", &self.account)
            .field("shared_key", &self.keyed.is_some())
            .field("sas", &self.sas.is_some())
            .field("bearer", &self.bearer)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_string_to_sign_follows_the_documented_order() {
        let uri: Uri =
            "http://127.0.0.1:10000/devstoreaccount1/box/a%20b?comp=block&blockid=QUE%3D"
                .parse()
                .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-ms-version", HeaderValue::from_static(API_VERSION));
        headers.insert(
            "x-ms-date",
            HeaderValue::from_static("Sun, 06 Dec 2026 12:00:00 GMT"),
        );
        headers.insert("x-ms-meta-Note", HeaderValue::from_static("  two   words "));
        headers.insert("content-md5", HeaderValue::from_static("bWQ1"));
        let text = string_to_sign("PUT", &uri, &headers, 5, "devstoreaccount1");
        assert_eq!(
            text,
            "PUT\n\n\n5\nbWQ1\n\n\n\n\n\n\n\n\
             x-ms-date:Sun, 06 Dec 2026 12:00:00 GMT\nx-ms-meta-note:two words\nx-ms-version:2023-11-03\n\
             /devstoreaccount1/devstoreaccount1/box/a%20b\nblockid:QUE=\ncomp:block"
        );
    }
}
