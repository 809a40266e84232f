//! Bearer tokens from OAuth 2.0 token endpoints (Google, Azure AD, metadata servers), fetched by a
//! [`Provide<Secret>`](crate::Provide) source and shared through one [`TokenCache`] by every clone of
//! a driver.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use cloud_core::oauth::BearerAuth;
//! use cloud_core::{async_trait, Authorize, Provide, Result, Secret, SystemClock, TemporaryToken};
//!
//! #[derive(Debug)]
//! struct Fixed;
//!
//! #[async_trait]
//! impl Provide<Secret> for Fixed {
//!     async fn provide(&self) -> Result<TemporaryToken<Secret>> {
//!         Ok(TemporaryToken::expiring_in(Secret::new("ya29.token"), Duration::from_secs(3600), &SystemClock))
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let auth = BearerAuth::new(Arc::new(Fixed), Arc::new(SystemClock));
//! let mut request = http::Request::new(cloud_core::Body::empty());
//! auth.authorize(&mut request).await?;
//! assert_eq!(request.headers()["authorization"], "Bearer ya29.token");
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde::Deserialize;

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline::{
    body_summary, default_error, Authorize, BearerToken, ErrorParser, Operation, Request,
};
use crate::request::encode_value;
use crate::secret::Secret;
use crate::token::{Provide, TemporaryToken, TokenCache};
use crate::{Body, HttpService};

/// How long before expiry a token is replaced: long enough that no request is signed with a token
/// about to lapse in flight.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Authorizes every attempt with `Authorization: Bearer …` from a shared, refreshing cache.
///
/// However many tasks find the token stale at once, one fetch runs and all of them use its result.
pub struct BearerAuth {
    source: Arc<dyn Provide<Secret>>,
    cache: TokenCache<Arc<Bearer>>,
}

/// A token and its `Authorization` value, made once per token rather than per request.
struct Bearer {
    token: Secret,
    header: BearerToken,
}

impl BearerAuth {
    /// Tokens from `source`, replaced [`REFRESH_MARGIN`] before they expire on `clock`.
    pub fn new(source: Arc<dyn Provide<Secret>>, clock: Arc<dyn Clock>) -> BearerAuth {
        BearerAuth {
            source,
            cache: TokenCache::new(REFRESH_MARGIN, clock),
        }
    }

    /// The current token, fetched if there is none or it is about to expire.
    pub async fn token(&self) -> Result<Secret> {
        Ok(self.bearer().await?.token.clone())
    }

    async fn bearer(&self) -> Result<Arc<Bearer>> {
        self.cache
            .get_or_refresh(|| async {
                let fetched = self.source.provide().await?;
                let header = BearerToken::new(&fetched.token)?;
                Ok(TemporaryToken {
                    token: Arc::new(Bearer {
                        token: fetched.token,
                        header,
                    }),
                    expires_at: fetched.expires_at,
                })
            })
            .await
    }
}

impl fmt::Debug for BearerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerAuth")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Authorize for BearerAuth {
    async fn authorize(&self, request: &mut Request) -> Result<()> {
        let bearer = self.bearer().await?;
        bearer.header.authorize(request).await
    }

    fn authorize_now(&self, request: &mut Request) -> Option<Result<()>> {
        self.cache.fresh_now()?.header.authorize_now(request)
    }

    fn renewable(&self) -> bool {
        true
    }

    fn refused(&self, sent: &HeaderMap) {
        let Some(sent) = sent
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return;
        };
        self.cache
            .invalidate_if(|bearer| bearer.token.expose() == sent);
    }
}

/// The standard answer of a token endpoint (RFC 6749 §5.1). Azure's managed identity sends
/// `expires_in` as a string, and App Service sends only `expires_on` (Unix seconds), so all are read.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
    #[serde(default)]
    expires_on: Option<serde_json::Value>,
}

fn seconds(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a token endpoint's JSON answer into a token expiring when it says (an hour if it does not).
pub fn parse_token(body: &[u8], clock: &dyn Clock) -> Result<TemporaryToken<Secret>> {
    let answer: TokenAnswer = serde_json::from_slice(body).map_err(|_| {
        Error::unexpected("the token endpoint answered without an access_token in JSON")
    })?;
    let seconds = match (&answer.expires_in, &answer.expires_on) {
        (Some(lifetime), _) => seconds(lifetime).unwrap_or(0),
        (None, Some(at)) => {
            let now = clock
                .system_time()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            seconds(at).map_or(0, |at| at.saturating_sub(now))
        }
        (None, None) => 3600,
    };
    if answer.access_token.is_empty() || seconds == 0 {
        return Err(Error::unexpected(
            "the token endpoint answered with an empty token or no lifetime",
        ));
    }
    Ok(TemporaryToken::expiring_in(
        Secret::new(answer.access_token),
        Duration::from_secs(seconds),
        clock,
    ))
}

/// `name=value&…`, form-encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_value(k), encode_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts `form` to the token endpoint at `url` and reads the token it returns. Asking again is
/// harmless, so the request is retried like a read.
pub async fn request_token(
    http: &HttpService,
    url: &str,
    form_body: String,
    clock: &dyn Clock,
) -> Result<TemporaryToken<Secret>> {
    let mut req = crate::request::request(Method::POST, url, Body::from(form_body))?;
    req.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let response = http
        .send_buffered(Operation::new("GetToken").idempotent(true), req)
        .await?;
    let body = response.into_body().bytes().await?;
    parse_token(&body, clock)
}

/// Token endpoint errors (`{"error": "invalid_grant", "error_description": "…"}`): a refused grant or
/// client is [`ErrorKind::Unauthenticated`], whatever status carries it.
#[derive(Clone, Copy, Debug, Default)]
pub struct OAuthErrors;

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl ErrorParser for OAuthErrors {
    fn parse_error(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Error {
        let Ok(answer) = serde_json::from_slice::<ErrorAnswer>(body) else {
            return default_error(status, headers, body);
        };
        let mut err = Error::from_status(status).with_code(&answer.error);
        if matches!(
            answer.error.as_str(),
            "invalid_grant" | "invalid_client" | "unauthorized_client" | "invalid_scope"
        ) {
            err = err.with_kind(ErrorKind::Unauthenticated);
        }
        if let Some(text) = answer
            .error_description
            .as_deref()
            .and_then(|d| d.lines().next())
            .and_then(|d| body_summary(d.as_bytes()))
        {
            err = err.with_message(text);
        }
        err
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn reads_lifetimes_as_numbers_or_strings() {
        let clock = ManualClock::new();
        let token = parse_token(
            br#"{"access_token":"a","expires_in":3599,"token_type":"Bearer"}"#,
            &clock,
        )
        .unwrap();
        assert_eq!(
            token.expires_at,
            Some(clock.now() + Duration::from_secs(3599))
        );
        let token = parse_token(br#"{"access_token":"a","expires_in":"86399"}"#, &clock).unwrap();
        assert_eq!(
            token.expires_at,
            Some(clock.now() + Duration::from_secs(86399))
        );
        let at = clock
            .system_time()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 600;
        let token = parse_token(
            format!(r#"{{"access_token":"a","expires_on":"{at}"}}"#).as_bytes(),
            &clock,
        )
        .unwrap();
        assert_eq!(
            token.expires_at,
            Some(clock.now() + Duration::from_secs(600))
        );
        assert!(
            parse_token(br#"{"access_token":"a","expires_on":"1000"}"#, &clock).is_err(),
            "already expired"
        );
        assert!(parse_token(br#"{"token":"a"}"#, &clock).is_err());
        assert!(parse_token(br#"{"access_token":"","expires_in":10}"#, &clock).is_err());
    }

    #[test]
    fn refused_grants_are_unauthenticated_and_forms_are_encoded() {
        let err = OAuthErrors.parse_error(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
        );
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert_eq!(err.code(), Some("invalid_grant"));
        assert_eq!(
            form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("a", "b c")
            ]),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&a=b%20c"
        );
    }
}
