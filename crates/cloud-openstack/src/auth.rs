//! Tokens and the storage URL they go with: from Keystone v3 (`POST /v3/auth/tokens`, the token in
//! `X-Subject-Token`, the object-store endpoint from the catalog by interface and region) or from
//! tempauth (`X-Auth-Token` and `X-Storage-Url`). One session is cached and shared by every clone,
//! replaced before it expires and forgotten when Swift refuses it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cloud_core::headers::text;
use cloud_core::request::{header_value, request};
use cloud_core::{
    Authorize, Body, Clock, Error, ErrorKind, HttpService, Operation, Request, Result, Secret,
    TemporaryToken, TokenCache,
};
use http::Method;
use serde::Deserialize;

use crate::credentials::Credentials;

/// A token and the account URL it is good for.
#[derive(Clone)]
pub(crate) struct Session {
    pub(crate) token: Secret,
    pub(crate) storage_url: String,
}

/// Which catalog endpoint to use.
#[derive(Clone, Debug)]
pub(crate) struct EndpointChoice {
    pub(crate) region: Option<String>,
    pub(crate) interface: String,
    /// A storage URL that overrides the catalog's.
    pub(crate) storage_url: Option<String>,
}

#[derive(Deserialize)]
struct TokenBody {
    token: Token,
}

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    catalog: Vec<Service>,
}

#[derive(Deserialize)]
struct Service {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    endpoints: Vec<Endpoint>,
}

#[derive(Deserialize)]
struct Endpoint {
    interface: String,
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    region: Option<String>,
    url: String,
}

/// The object-store endpoint of `catalog` for `choice`, or an error listing what there is.
fn object_store(catalog: &[Service], choice: &EndpointChoice) -> Result<String> {
    let endpoints: Vec<&Endpoint> = catalog
        .iter()
        .filter(|s| s.kind == "object-store")
        .flat_map(|s| &s.endpoints)
        .collect();
    let matches = |e: &&&Endpoint| {
        e.interface == choice.interface
            && choice
                .region
                .as_deref()
                .is_none_or(|r| e.region_id.as_deref() == Some(r) || e.region.as_deref() == Some(r))
    };
    if let Some(found) = endpoints.iter().find(matches) {
        return Ok(found.url.clone());
    }
    let offered: Vec<String> = endpoints
        .iter()
        .map(|e| {
            format!(
                "{} in {}",
                e.interface,
                e.region_id
                    .as_deref()
                    .or(e.region.as_deref())
                    .unwrap_or("no region")
            )
        })
        .collect();
    Err(Error::new(
        ErrorKind::NotFound,
        format!(
            "the Keystone catalog has no object-store endpoint for interface {} in {} (it offers: {})",
            choice.interface,
            choice.region.as_deref().unwrap_or("any region"),
            if offered.is_empty() { "none".to_owned() } else { offered.join(", ") }
        ),
    ))
}

/// `https://host:5000/v3/auth/tokens` from an auth URL given with or without `/v3`.
fn tokens_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    let base = base.strip_suffix("/v3").unwrap_or(base);
    format!("{base}/v3/auth/tokens")
}

fn keystone_body(credentials: &Credentials) -> Option<serde_json::Value> {
    Some(match credentials {
        Credentials::Password {
            username,
            password,
            user_domain,
            project,
            project_domain,
            ..
        } => serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": username, "domain": {"name": user_domain}, "password": password.expose()
            }}},
            "scope": {"project": {"name": project, "domain": {"name": project_domain}}}
        }}),
        Credentials::ApplicationCredential { id, secret, .. } => serde_json::json!({"auth": {
            "identity": {"methods": ["application_credential"],
                "application_credential": {"id": id, "secret": secret.expose()}}
        }}),
        _ => return None,
    })
}

/// Authenticates requests to Swift, and knows the account's storage URL.
pub(crate) struct SwiftAuth {
    credentials: Credentials,
    choice: EndpointChoice,
    http: HttpService,
    clock: Arc<dyn Clock>,
    cache: TokenCache<Session>,
}

impl SwiftAuth {
    /// `http` reaches the auth service, without authorization of its own.
    pub(crate) fn new(
        credentials: Credentials,
        choice: EndpointChoice,
        http: HttpService,
        clock: Arc<dyn Clock>,
    ) -> SwiftAuth {
        SwiftAuth {
            credentials,
            choice,
            http,
            cache: TokenCache::new(Duration::from_secs(300), clock.clone()),
            clock,
        }
    }

    /// The current session, authenticating when there is none or it is about to expire.
    pub(crate) async fn session(&self) -> Result<Session> {
        self.cache.get_or_refresh(|| self.authenticate()).await
    }

    fn lifetime_until(&self, expires_at: &str) -> Duration {
        humantime::parse_rfc3339_weak(expires_at.trim_end_matches('Z'))
            .ok()
            .and_then(|at| at.duration_since(self.clock.system_time()).ok())
            .unwrap_or(Duration::from_secs(3600))
    }

    async fn authenticate(&self) -> Result<TemporaryToken<Session>> {
        let (token, storage_url, lifetime) = match &self.credentials {
            Credentials::Token { storage_url, token } => {
                return Ok(TemporaryToken::forever(Session {
                    token: token.clone(),
                    storage_url: self
                        .choice
                        .storage_url
                        .clone()
                        .unwrap_or_else(|| storage_url.clone()),
                }))
            }
            Credentials::TempAuth {
                auth_url,
                user,
                key,
            } => {
                let mut req = request(Method::GET, auth_url, Body::empty())?;
                let headers = req.headers_mut();
                headers.insert("x-auth-user", header_value("X-Auth-User", user)?);
                let mut key = header_value("X-Auth-Key", key.expose())?;
                key.set_sensitive(true);
                headers.insert("x-auth-key", key);
                let response = self
                    .http
                    .send_buffered(Operation::new("TempAuth"), req)
                    .await?;
                let headers = response.headers();
                let token = text(headers, "x-auth-token")
                    .ok_or_else(|| Error::unexpected("tempauth answered without X-Auth-Token"))?;
                let url = text(headers, "x-storage-url")
                    .ok_or_else(|| Error::unexpected("tempauth answered without X-Storage-Url"))?;
                let lifetime = text(headers, "x-auth-token-expires")
                    .and_then(|s| s.parse().ok())
                    .map_or(Duration::from_secs(3600), Duration::from_secs);
                (token, url, lifetime)
            }
            keystone => {
                let (
                    Some(body),
                    Credentials::Password { auth_url, .. }
                    | Credentials::ApplicationCredential { auth_url, .. },
                ) = (keystone_body(keystone), keystone)
                else {
                    return Err(Error::unsupported("these OpenStack credentials"));
                };
                let mut req = request(
                    Method::POST,
                    &tokens_url(auth_url),
                    Body::from(body.to_string()),
                )?;
                req.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    http::HeaderValue::from_static("application/json"),
                );
                // Asking for another token is harmless.
                let op = Operation::new("CreateToken").idempotent(true);
                let response = self.http.send_buffered(op, req).await?;
                let token = text(response.headers(), "x-subject-token").ok_or_else(|| {
                    Error::unexpected("Keystone answered without X-Subject-Token")
                })?;
                let body = response.into_body().bytes().await?;
                let parsed: TokenBody = serde_json::from_slice(&body)
                    .map_err(|_| Error::unexpected("Keystone answered without a token document"))?;
                let url = match &self.choice.storage_url {
                    Some(url) => url.clone(),
                    None => object_store(&parsed.token.catalog, &self.choice)?,
                };
                let lifetime = parsed
                    .token
                    .expires_at
                    .as_deref()
                    .map_or(Duration::from_secs(3600), |at| self.lifetime_until(at));
                (token, url, lifetime)
            }
        };
        let storage_url = self.choice.storage_url.clone().unwrap_or(storage_url);
        Ok(TemporaryToken::expiring_in(
            Session {
                token: Secret::new(token),
                storage_url: storage_url.trim_end_matches('/').to_owned(),
            },
            lifetime,
            &*self.clock,
        ))
    }
}

impl fmt::Debug for SwiftAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SwiftAuth")
            .field("credentials", &self.credentials)
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Authorize for SwiftAuth {
    async fn authorize(&self, request: &mut Request) -> Result<()> {
        let session = self.session().await?;
        let mut value = header_value("X-Auth-Token", session.token.expose())?;
        value.set_sensitive(true);
        request.headers_mut().insert("x-auth-token", value);
        Ok(())
    }

    fn renewable(&self) -> bool {
        // A token given as is cannot be fetched anew.
        !matches!(self.credentials, Credentials::Token { .. })
    }

    fn refused(&self, sent: &http::HeaderMap) {
        if let Some(sent) = sent.get("x-auth-token").and_then(|v| v.to_str().ok()) {
            self.cache
                .invalidate_if(|session| session.token.expose() == sent);
        }
    }
}

/// Seconds since 1970 at `time`.
pub(crate) fn unix(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_object_store_by_interface_and_region() {
        // The shape of Keystone's documented answer to POST /v3/auth/tokens.
        let body: TokenBody = serde_json::from_str(
            r#"{"token":{"methods":["password"],"expires_at":"2026-12-06T20:00:00.000000Z",
              "catalog":[
                {"type":"identity","endpoints":[{"interface":"public","region_id":"RegionOne","url":"https://k/v3"}]},
                {"type":"object-store","name":"swift","endpoints":[
                  {"interface":"internal","region_id":"RegionOne","region":"RegionOne","url":"http://10.0.0.1:8080/v1/AUTH_p"},
                  {"interface":"public","region_id":"RegionOne","region":"RegionOne","url":"https://swift.one/v1/AUTH_p"},
                  {"interface":"public","region_id":"RegionTwo","region":"RegionTwo","url":"https://swift.two/v1/AUTH_p"}]}]}}"#,
        )
        .unwrap();
        let choose = |region: Option<&str>, interface: &str| {
            object_store(
                &body.token.catalog,
                &EndpointChoice {
                    region: region.map(str::to_owned),
                    interface: interface.to_owned(),
                    storage_url: None,
                },
            )
        };
        assert_eq!(
            choose(Some("RegionTwo"), "public").unwrap(),
            "https://swift.two/v1/AUTH_p"
        );
        assert_eq!(
            choose(None, "internal").unwrap(),
            "http://10.0.0.1:8080/v1/AUTH_p"
        );
        let err = choose(Some("RegionThree"), "public").unwrap_err();
        assert!(err.to_string().contains("public in RegionOne"), "{err}");
        assert_eq!(
            tokens_url("https://k:5000/v3/"),
            "https://k:5000/v3/auth/tokens"
        );
        assert_eq!(
            tokens_url("https://k:5000"),
            "https://k:5000/v3/auth/tokens"
        );
    }
}
