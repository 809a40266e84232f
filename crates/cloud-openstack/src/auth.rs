//! Tokens and the service endpoints they go with: from Keystone v3 (`POST /v3/auth/tokens`, the
//! token in `X-Subject-Token`), Keystone v2.0 (`POST /v2.0/tokens`, still run by some clouds and by
//! mimic), each with the endpoints chosen from the catalog by service type, interface and region; or
//! from tempauth (`X-Auth-Token` and `X-Storage-Url`, object storage only). One session is cached and
//! shared by every clone, replaced before it expires and forgotten when a service refuses it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cloud_core::headers::text;
use cloud_core::request::{header_value, request};
use cloud_core::{
    Authorize, Body, Clock, Error, ErrorKind, HttpService, Operation, Request, Response, Result,
    Secret, TemporaryToken, TokenCache,
};
use http::Method;
use serde::Deserialize;

use crate::credentials::Credentials;

/// A token and the endpoints it is good for, one for each [`Wanted`] service in the order asked
/// (`None` for an optional service the catalog lacks).
#[derive(Clone)]
pub(crate) struct Session {
    /// Shared, as is everything here: a session is cloned out of the cache for every request.
    pub(crate) token: Arc<Secret>,
    /// The token as the `X-Auth-Token` value, made once (and marked sensitive).
    header: http::HeaderValue,
    pub(crate) urls: Arc<[Option<String>]>,
}

impl Session {
    /// The endpoint of the `index`th wanted service.
    pub(crate) fn url(&self, index: usize) -> Option<&str> {
        self.urls.get(index).and_then(Option::as_deref)
    }
}

/// A service whose endpoint a driver needs.
#[derive(Clone, Debug)]
pub(crate) struct Wanted {
    /// Its catalog types, the preferred first (`volumev3`, then `block-storage`, …).
    pub(crate) types: &'static [&'static str],
    /// Its catalog name, when several services share a type (a Rackspace-style catalog).
    pub(crate) name: Option<String>,
    /// An endpoint that overrides the catalog's.
    pub(crate) url: Option<String>,
    /// Whether authenticating fails without it.
    pub(crate) required: bool,
}

impl Wanted {
    /// A required service of `types`.
    pub(crate) fn required(types: &'static [&'static str]) -> Wanted {
        Wanted {
            types,
            name: None,
            url: None,
            required: true,
        }
    }

    /// A service used when the catalog has it.
    pub(crate) fn optional(types: &'static [&'static str]) -> Wanted {
        Wanted {
            required: false,
            ..Wanted::required(types)
        }
    }

    /// With `url` instead of the catalog's endpoint.
    pub(crate) fn at(mut self, url: Option<String>) -> Wanted {
        self.url = url;
        self
    }

    /// The service of this catalog name.
    pub(crate) fn named(mut self, name: Option<String>) -> Wanted {
        self.name = name;
        self
    }
}

/// Which catalog endpoints to use.
#[derive(Clone, Debug)]
pub(crate) struct EndpointChoice {
    pub(crate) region: Option<String>,
    pub(crate) interface: String,
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

/// A catalog entry, as Keystone v3 writes it (v2.0's are turned into this shape).
#[derive(Deserialize)]
struct Service {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
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

/// Keystone v2.0's answer to `POST /v2.0/tokens`.
#[derive(Deserialize)]
struct AccessBody {
    access: Access,
}

#[derive(Deserialize)]
struct Access {
    token: AccessToken,
    #[serde(default, rename = "serviceCatalog")]
    catalog: Vec<ServiceV2>,
}

#[derive(Deserialize)]
struct AccessToken {
    id: String,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Deserialize)]
struct ServiceV2 {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    endpoints: Vec<EndpointV2>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EndpointV2 {
    #[serde(default)]
    region: Option<String>,
    #[serde(default, rename = "publicURL")]
    public_url: Option<String>,
    #[serde(default, rename = "internalURL")]
    internal_url: Option<String>,
    #[serde(default, rename = "adminURL")]
    admin_url: Option<String>,
}

impl From<ServiceV2> for Service {
    fn from(service: ServiceV2) -> Service {
        let endpoints = service
            .endpoints
            .into_iter()
            .flat_map(|e| {
                let region = e.region;
                [
                    ("public", e.public_url),
                    ("internal", e.internal_url),
                    ("admin", e.admin_url),
                ]
                .into_iter()
                .filter_map(move |(interface, url)| {
                    Some(Endpoint {
                        interface: interface.to_owned(),
                        region_id: None,
                        region: region.clone(),
                        url: url?,
                    })
                })
            })
            .collect();
        Service {
            kind: service.kind,
            name: service.name,
            endpoints,
        }
    }
}

/// Reads Keystone's token answers (v3 and v2.0) and picks endpoints from their catalogs, as a fuzz
/// target.
#[cfg(feature = "fuzzing")]
pub(crate) fn read_token_answers(body: &[u8]) {
    let choice = EndpointChoice {
        region: Some("RegionOne".to_owned()),
        interface: "public".to_owned(),
    };
    let wanted = Wanted::required(&["object-store", "compute"]);
    if let Ok(parsed) = serde_json::from_slice::<TokenBody>(body) {
        let _ = endpoint(&parsed.token.catalog, &wanted, &choice);
    }
    if let Ok(parsed) = serde_json::from_slice::<AccessBody>(body) {
        let catalog: Vec<Service> = parsed
            .access
            .catalog
            .into_iter()
            .map(Service::from)
            .collect();
        let _ = endpoint(&catalog, &wanted, &choice);
    }
}

/// The endpoint of `catalog` for `wanted` and `choice`: of the first of its types the catalog has
/// (of its name, if given), or an error listing what there is.
fn endpoint(catalog: &[Service], wanted: &Wanted, choice: &EndpointChoice) -> Result<String> {
    let kind = wanted
        .types
        .iter()
        .find(|t| catalog.iter().any(|s| s.kind == **t))
        .copied()
        .unwrap_or(wanted.types[0]);
    let endpoints: Vec<&Endpoint> = catalog
        .iter()
        .filter(|s| s.kind == kind)
        .filter(|s| wanted.name.is_none() || s.name == wanted.name)
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
        return Ok(found.url.trim_end_matches('/').to_owned());
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
            "the Keystone catalog has no {kind} endpoint{} for interface {} in {} (it offers: {})",
            wanted
                .name
                .as_deref()
                .map(|n| format!(" named {n}"))
                .unwrap_or_default(),
            choice.interface,
            choice.region.as_deref().unwrap_or("any region"),
            if offered.is_empty() {
                "none".to_owned()
            } else {
                offered.join(", ")
            }
        ),
    ))
}

/// `https://host:5000/v3/auth/tokens` from an auth URL given with or without `/v3`.
fn tokens_url(auth_url: &str) -> String {
    let base = auth_url.trim_end_matches('/');
    let base = base.strip_suffix("/v3").unwrap_or(base);
    format!("{base}/v3/auth/tokens")
}

/// Whether `auth_url` names Keystone's v2.0 API (`…/v2.0`), which takes its own request.
fn is_v2(auth_url: &str) -> bool {
    auth_url.trim_end_matches('/').ends_with("/v2.0")
}

/// Keystone v2.0's request body: a password scoped to a tenant (v2.0 knows no domains or
/// application credentials).
fn keystone_v2_body(credentials: &Credentials) -> Result<serde_json::Value> {
    match credentials {
        Credentials::Password {
            username,
            password,
            project,
            ..
        } => Ok(serde_json::json!({"auth": {
            "passwordCredentials": {"username": username, "password": password.expose()},
            "tenantName": project
        }})),
        _ => Err(Error::invalid_input(
            "Keystone v2.0 takes a user name and password only: use a v3 auth URL for application credentials",
        )),
    }
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

/// Authenticates requests to OpenStack services, and knows their endpoints.
pub(crate) struct OpenStackAuth {
    credentials: Credentials,
    choice: EndpointChoice,
    wanted: Vec<Wanted>,
    http: HttpService,
    clock: Arc<dyn Clock>,
    cache: TokenCache<Session>,
}

impl OpenStackAuth {
    /// `http` reaches the auth service, without authorization of its own; `wanted` are the services
    /// whose endpoints each session carries, in that order.
    pub(crate) fn new(
        credentials: Credentials,
        choice: EndpointChoice,
        wanted: Vec<Wanted>,
        http: HttpService,
        clock: Arc<dyn Clock>,
    ) -> OpenStackAuth {
        OpenStackAuth {
            credentials,
            choice,
            wanted,
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
        cloud_core::time::rfc3339(expires_at)
            .and_then(|at| at.duration_since(self.clock.system_time()).ok())
            .unwrap_or(Duration::from_secs(3600))
    }

    async fn authenticate(&self) -> Result<TemporaryToken<Session>> {
        let (token, catalog, storage_url, lifetime) = match &self.credentials {
            Credentials::Token { storage_url, token } => {
                let session = self.new_session(token.clone(), &[], Some(storage_url))?;
                return Ok(TemporaryToken::forever(session));
            }
            Credentials::TempAuth {
                auth_url,
                user,
                key,
            } => {
                let (token, url, lifetime) = self.tempauth(auth_url, user, key).await?;
                (token, Vec::new(), Some(url), lifetime)
            }
            Credentials::Password { auth_url, .. } if is_v2(auth_url) => {
                let (token, catalog, lifetime) = self.keystone_v2(auth_url).await?;
                (token, catalog, None, lifetime)
            }
            keystone => {
                let (token, catalog, lifetime) = self.keystone_v3(keystone).await?;
                (token, catalog, None, lifetime)
            }
        };
        let session = self.new_session(Secret::new(token), &catalog, storage_url.as_deref())?;
        Ok(TemporaryToken::expiring_in(session, lifetime, &*self.clock))
    }

    /// A session of `token` with each wanted service's endpoint: its override, else tempauth's
    /// storage URL for object storage, else the catalog's.
    fn new_session(
        &self,
        token: Secret,
        catalog: &[Service],
        storage_url: Option<&str>,
    ) -> Result<Session> {
        let urls = self
            .wanted
            .iter()
            .map(|wanted| {
                if let Some(url) = &wanted.url {
                    return Ok(Some(url.trim_end_matches('/').to_owned()));
                }
                if let (Some(url), true) = (storage_url, wanted.types.contains(&"object-store")) {
                    return Ok(Some(url.trim_end_matches('/').to_owned()));
                }
                if catalog.is_empty() && wanted.required {
                    return Err(Error::invalid_input(format!(
                        "these OpenStack credentials come with no service catalog, so the {} \
                         endpoint must be given",
                        wanted.types[0]
                    )));
                }
                match endpoint(catalog, wanted, &self.choice) {
                    Ok(url) => Ok(Some(url)),
                    Err(_) if !wanted.required => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let mut header = header_value("X-Auth-Token", token.expose())?;
        header.set_sensitive(true);
        Ok(Session {
            token: Arc::new(token),
            header,
            urls: urls.into(),
        })
    }

    async fn tempauth(
        &self,
        auth_url: &str,
        user: &str,
        key: &Secret,
    ) -> Result<(String, String, Duration)> {
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
        Ok((token, url, lifetime))
    }

    /// `POST url` with a JSON body; asking for another token is harmless, so it is repeated freely.
    async fn post_token(&self, url: &str, body: &serde_json::Value) -> Result<Response> {
        let req = cloud_core::json::request(Method::POST, url, body)?;
        let op = Operation::new("CreateToken").idempotent(true);
        self.http.send_buffered(op, req).await
    }

    async fn keystone_v3(
        &self,
        credentials: &Credentials,
    ) -> Result<(String, Vec<Service>, Duration)> {
        let (
            Some(body),
            Credentials::Password { auth_url, .. }
            | Credentials::ApplicationCredential { auth_url, .. },
        ) = (keystone_body(credentials), credentials)
        else {
            return Err(Error::unsupported("these OpenStack credentials"));
        };
        let response = self.post_token(&tokens_url(auth_url), &body).await?;
        let token = text(response.headers(), "x-subject-token")
            .ok_or_else(|| Error::unexpected("Keystone answered without X-Subject-Token"))?;
        let body = response.into_body().bytes().await?;
        let parsed: TokenBody = serde_json::from_slice(&body)
            .map_err(|_| Error::unexpected("Keystone answered without a token document"))?;
        let lifetime = parsed
            .token
            .expires_at
            .as_deref()
            .map_or(Duration::from_secs(3600), |at| self.lifetime_until(at));
        Ok((token, parsed.token.catalog, lifetime))
    }

    async fn keystone_v2(&self, auth_url: &str) -> Result<(String, Vec<Service>, Duration)> {
        let body = keystone_v2_body(&self.credentials)?;
        let url = format!("{}/tokens", auth_url.trim_end_matches('/'));
        let response = self.post_token(&url, &body).await?;
        let body = response.into_body().bytes().await?;
        let parsed: AccessBody = serde_json::from_slice(&body)
            .map_err(|_| Error::unexpected("Keystone v2.0 answered without an access document"))?;
        let lifetime = parsed
            .access
            .token
            .expires
            .as_deref()
            .map_or(Duration::from_secs(3600), |at| self.lifetime_until(at));
        let catalog = parsed
            .access
            .catalog
            .into_iter()
            .map(Service::from)
            .collect();
        Ok((parsed.access.token.id, catalog, lifetime))
    }
}

impl fmt::Debug for OpenStackAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenStackAuth")
            .field("credentials", &self.credentials)
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Authorize for OpenStackAuth {
    async fn authorize(&self, request: &mut Request) -> Result<()> {
        let session = self.session().await?;
        request.headers_mut().insert(X_AUTH_TOKEN, session.header);
        Ok(())
    }

    fn authorize_now(&self, request: &mut Request) -> Option<Result<()>> {
        let session = self.cache.fresh_now()?;
        request.headers_mut().insert(X_AUTH_TOKEN, session.header);
        Some(Ok(()))
    }

    fn renewable(&self) -> bool {
        // A token given as is cannot be fetched anew.
        !matches!(self.credentials, Credentials::Token { .. })
    }

    fn refused(&self, sent: &http::HeaderMap) {
        if let Some(sent) = sent.get(X_AUTH_TOKEN).and_then(|v| v.to_str().ok()) {
            self.cache
                .invalidate_if(|session| session.token.expose() == sent);
        }
    }
}

const X_AUTH_TOKEN: http::HeaderName = http::HeaderName::from_static("x-auth-token");

/// Seconds since 1970 at `time`.
pub(crate) fn unix(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;
