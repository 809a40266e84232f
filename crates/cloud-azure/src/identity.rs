//! Microsoft Entra ID (formerly Azure AD) identities and the OAuth tokens they get for Azure Storage:
//! a service principal's client secret, a workload identity's federated token (AKS), managed
//! identities (virtual machines through IMDS; App Service, Functions and Container Apps through their
//! local identity endpoint), and the Azure CLI's login. Tokens are cached and shared by every clone
//! of a driver.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cloud_core::oauth::{form, parse_token, request_token};
use cloud_core::{
    Body, Clock, Error, ErrorKind, HttpService, Operation, Provide, Result, Secret, TemporaryToken,
};
use http::HeaderValue;

/// Where Entra ID hands out tokens unless `AZURE_AUTHORITY_HOST` says otherwise.
pub const AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// The instance metadata service of an Azure virtual machine.
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254";
/// The OAuth scope of Azure Storage (v2 token endpoint).
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";
/// The resource of Azure Storage (managed identity endpoints).
pub const STORAGE_RESOURCE: &str = "https://storage.azure.com/";

/// Who the driver is in Entra ID, and so how it gets its tokens.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Identity {
    /// A service principal with a client secret (`AZURE_CLIENT_SECRET`).
    ClientSecret {
        /// The directory (tenant) ID.
        tenant_id: String,
        /// The application (client) ID.
        client_id: String,
        /// The client secret.
        secret: Secret,
        /// The token authority, [`AUTHORITY_HOST`] by default.
        authority: String,
    },
    /// A workload identity: a federated token in a file (re-read for every token, since the
    /// platform rotates it), exchanged for an Entra ID token (`AZURE_FEDERATED_TOKEN_FILE`).
    Workload {
        /// The directory (tenant) ID.
        tenant_id: String,
        /// The application (client) ID.
        client_id: String,
        /// The file holding the federated token.
        token_file: PathBuf,
        /// The token authority, [`AUTHORITY_HOST`] by default.
        authority: String,
    },
    /// The managed identity of the machine or app the code runs on.
    Managed {
        /// A user-assigned identity's client ID; the system-assigned identity when `None`.
        client_id: Option<String>,
        /// The identity endpoint: IMDS, or App Service's `IDENTITY_ENDPOINT`.
        endpoint: String,
        /// App Service's `IDENTITY_HEADER`; `None` means the endpoint speaks IMDS's protocol.
        header: Option<Secret>,
    },
    /// The Azure CLI's login (`az login`): `az account get-access-token`, run when a token is needed.
    AzureCli {
        /// The tenant to ask a token in; the login's default when `None`.
        tenant_id: Option<String>,
    },
    /// The first of these that is available here, as Azure's `DefaultAzureCredential` tries them: a
    /// managed identity whose endpoint does not answer a connection within a second, or a CLI with
    /// no login, passes to the next. The one that gave a token is kept.
    FirstOf(Vec<Identity>),
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Identity {
    /// A service principal's client secret.
    pub fn client_secret(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        secret: impl Into<Secret>,
    ) -> Identity {
        Identity::ClientSecret {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            secret: secret.into(),
            authority: AUTHORITY_HOST.to_owned(),
        }
    }

    /// A workload identity whose federated token is in `token_file`.
    pub fn workload(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> Identity {
        Identity::Workload {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            token_file: token_file.into(),
            authority: AUTHORITY_HOST.to_owned(),
        }
    }

    /// The system-assigned managed identity, through IMDS.
    pub fn managed() -> Identity {
        Identity::Managed {
            client_id: None,
            endpoint: IMDS_ENDPOINT.to_owned(),
            header: None,
        }
    }

    /// The managed identity of an App Service, Functions or Container Apps app: its identity
    /// `endpoint` and `header` secret.
    pub fn app_service(endpoint: impl Into<String>, header: impl Into<Secret>) -> Identity {
        Identity::Managed {
            client_id: None,
            endpoint: endpoint.into(),
            header: Some(header.into()),
        }
    }

    /// The Azure CLI's login, in its default tenant.
    pub fn azure_cli() -> Identity {
        Identity::AzureCli { tenant_id: None }
    }

    /// A different token authority (sovereign clouds, or a test endpoint); for managed identities,
    /// a different identity endpoint. The CLI keeps its own.
    pub fn at(mut self, url: impl Into<String>) -> Identity {
        let url = url.into();
        match &mut self {
            Identity::ClientSecret { authority, .. } | Identity::Workload { authority, .. } => {
                *authority = url;
            }
            Identity::Managed { endpoint, .. } => *endpoint = url,
            Identity::AzureCli { .. } => {}
            Identity::FirstOf(all) => {
                *all = std::mem::take(all)
                    .into_iter()
                    .map(|i| i.at(url.clone()))
                    .collect();
            }
        }
        self
    }

    /// A user-assigned managed identity, chosen by its client ID (the CLI's login has its own).
    pub fn with_client_id(mut self, id: impl Into<String>) -> Identity {
        let id = id.into();
        match &mut self {
            Identity::ClientSecret { client_id, .. } | Identity::Workload { client_id, .. } => {
                *client_id = id;
            }
            Identity::Managed { client_id, .. } => *client_id = Some(id),
            Identity::AzureCli { .. } => {}
            Identity::FirstOf(all) => {
                *all = std::mem::take(all)
                    .into_iter()
                    .map(|i| i.with_client_id(id.clone()))
                    .collect();
            }
        }
        self
    }

    /// The identity the environment describes, as Azure's SDKs read it: a client secret
    /// (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), else a workload identity
    /// (`AZURE_FEDERATED_TOKEN_FILE` with the tenant and client IDs), else the managed identity
    /// (`IDENTITY_ENDPOINT` and `IDENTITY_HEADER` on App Service; elsewhere IMDS, and when no IMDS
    /// answers, the Azure CLI's login; `AZURE_CLIENT_ID` picks a user-assigned identity,
    /// `AZURE_TENANT_ID` the CLI's tenant). `AZURE_AUTHORITY_HOST` changes the authority.
    pub fn from_env() -> Identity {
        let authority = var("AZURE_AUTHORITY_HOST").unwrap_or_else(|| AUTHORITY_HOST.to_owned());
        let (tenant, client) = (var("AZURE_TENANT_ID"), var("AZURE_CLIENT_ID"));
        if let (Some(tenant), Some(client)) = (&tenant, &client) {
            if let Some(secret) = var("AZURE_CLIENT_SECRET") {
                return Identity::client_secret(tenant, client, secret).at(authority);
            }
            if let Some(file) = var("AZURE_FEDERATED_TOKEN_FILE") {
                return Identity::workload(tenant, client, file).at(authority);
            }
        }
        let managed = match (var("IDENTITY_ENDPOINT"), var("IDENTITY_HEADER")) {
            (Some(endpoint), Some(header)) => Identity::app_service(endpoint, header),
            _ => Identity::FirstOf(vec![
                Identity::managed(),
                Identity::AzureCli { tenant_id: tenant },
            ]),
        };
        match client {
            Some(client) => managed.with_client_id(client),
            None => managed,
        }
    }

    /// The token source for this identity, reaching token endpoints through `http`.
    pub(crate) fn source(
        &self,
        http: HttpService,
        clock: Arc<dyn Clock>,
    ) -> Arc<dyn Provide<Secret>> {
        Arc::new(EntraTokens {
            identity: self.clone(),
            http,
            clock,
            chosen: AtomicUsize::new(NONE_CHOSEN),
        })
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::ClientSecret {
                tenant_id,
                client_id,
                authority,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("secret", &"***")
                .field("authority", authority)
                .finish(),
            Identity::Workload {
                tenant_id,
                client_id,
                token_file,
                authority,
            } => f
                .debug_struct("Workload")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("token_file", token_file)
                .field("authority", authority)
                .finish(),
            Identity::Managed {
                client_id,
                endpoint,
                header,
            } => f
                .debug_struct("Managed")
                .field("client_id", client_id)
                .field("endpoint", endpoint)
                .field("header", &header.as_ref().map(|_| "***"))
                .finish(),
            Identity::AzureCli { tenant_id } => f
                .debug_struct("AzureCli")
                .field("tenant_id", tenant_id)
                .finish(),
            Identity::FirstOf(all) => f.debug_tuple("FirstOf").field(all).finish(),
        }
    }
}

/// Fetches tokens for one identity.
struct EntraTokens {
    identity: Identity,
    http: HttpService,
    clock: Arc<dyn Clock>,
    /// Which of a [`Identity::FirstOf`] gave a token, once one has.
    chosen: AtomicUsize,
}

const NONE_CHOSEN: usize = usize::MAX;
/// How long a chain waits for a managed identity endpoint to take a connection.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

impl fmt::Debug for EntraTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EntraTokens")
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

fn token_url(authority: &str, tenant_id: &str) -> String {
    format!(
        "{}/{}/oauth2/v2.0/token",
        authority.trim_end_matches('/'),
        cloud_core::request::encode_value(tenant_id)
    )
}

#[async_trait]
impl Provide<Secret> for EntraTokens {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let Identity::FirstOf(all) = &self.identity else {
            return self.one(&self.identity).await;
        };
        if let Some(chosen) = all.get(self.chosen.load(Ordering::Acquire)) {
            return self.one(chosen).await;
        }
        let mut reasons = Vec::new();
        for (i, identity) in all.iter().enumerate() {
            if let Identity::Managed {
                endpoint,
                header: None,
                ..
            } = identity
            {
                if !answers(endpoint).await {
                    reasons.push(format!(
                        "no managed identity endpoint answered at {endpoint}"
                    ));
                    continue;
                }
            }
            match self.one(identity).await {
                Ok(token) => {
                    self.chosen.store(i, Ordering::Release);
                    return Ok(token);
                }
                Err(err) => {
                    reasons.push(err.message().map_or_else(|| err.to_string(), str::to_owned))
                }
            }
        }
        Err(Error::new(
            ErrorKind::Unauthenticated,
            format!(
                "no Azure credentials: no storage key, SAS token or service principal in the \
                 environment; {}",
                reasons.join("; ")
            ),
        ))
    }
}

/// Whether something takes a connection at `endpoint`'s host and port within [`PROBE_TIMEOUT`].
async fn answers(endpoint: &str) -> bool {
    let Ok(uri) = endpoint.parse::<http::Uri>() else {
        return false;
    };
    let Some(host) = uri.host() else {
        return false;
    };
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let connect = tokio::net::TcpStream::connect((host.trim_matches(['[', ']']), port));
    matches!(
        tokio::time::timeout(PROBE_TIMEOUT, connect).await,
        Ok(Ok(_))
    )
}

impl EntraTokens {
    /// A token for `identity`, one that is not a chain.
    async fn one(&self, identity: &Identity) -> Result<TemporaryToken<Secret>> {
        match identity {
            Identity::ClientSecret {
                tenant_id,
                client_id,
                secret,
                authority,
            } => {
                let body = form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    ("client_secret", secret.expose()),
                    ("scope", STORAGE_SCOPE),
                ]);
                let url = token_url(authority, tenant_id);
                request_token(&self.http, &url, body, &*self.clock).await
            }
            Identity::Workload {
                tenant_id,
                client_id,
                token_file,
                authority,
            } => {
                let assertion = tokio::fs::read_to_string(token_file).await.map_err(|e| {
                    Error::new(
                        ErrorKind::Unauthenticated,
                        format!(
                            "the workload identity's token file {} cannot be read",
                            token_file.display()
                        ),
                    )
                    .with_source(e)
                })?;
                let assertion = Secret::new(assertion.trim());
                let body = form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.expose()),
                    ("scope", STORAGE_SCOPE),
                ]);
                let url = token_url(authority, tenant_id);
                request_token(&self.http, &url, body, &*self.clock).await
            }
            Identity::Managed {
                client_id,
                endpoint,
                header,
            } => {
                self.managed(client_id.as_deref(), endpoint, header.as_ref())
                    .await
            }
            Identity::AzureCli { tenant_id } => {
                crate::cli::token(tenant_id.as_deref(), &*self.clock).await
            }
            Identity::FirstOf(_) => Err(Error::invalid_input(
                "an Identity::FirstOf inside another: list its identities in one",
            )),
        }
    }

    /// IMDS (`Metadata: true`, API 2018-02-01) or App Service (`X-IDENTITY-HEADER`, API 2019-08-01).
    async fn managed(
        &self,
        client_id: Option<&str>,
        endpoint: &str,
        header: Option<&Secret>,
    ) -> Result<TemporaryToken<Secret>> {
        let (url, version) = match header {
            None => (
                format!(
                    "{}/metadata/identity/oauth2/token",
                    endpoint.trim_end_matches('/')
                ),
                "2018-02-01",
            ),
            Some(_) => (endpoint.to_owned(), "2019-08-01"),
        };
        let mut pairs = vec![("api-version", version), ("resource", STORAGE_RESOURCE)];
        if let Some(id) = client_id {
            pairs.push(("client_id", id));
        }
        let url = format!("{url}?{}", cloud_core::request::query(&pairs));
        let mut req = cloud_core::request::request(http::Method::GET, url, Body::empty())?;
        match header {
            None => {
                req.headers_mut()
                    .insert("metadata", HeaderValue::from_static("true"));
            }
            Some(secret) => {
                let mut value = HeaderValue::from_str(secret.expose())
                    .map_err(|_| Error::invalid_input("IDENTITY_HEADER is not a header value"))?;
                value.set_sensitive(true);
                req.headers_mut().insert("x-identity-header", value);
            }
        }
        let response = self
            .http
            .send_buffered(Operation::new("GetManagedIdentityToken").idempotent(true), req)
            .await
            .map_err(|e| {
                if matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) {
                    Error::new(
                        ErrorKind::Unauthenticated,
                        format!(
                            "no Azure credentials: no storage key, SAS token or service principal in \
                             the environment, and no managed identity endpoint answered at {endpoint} \
                             (not on Azure?)"
                        ),
                    )
                    .with_source(e)
                } else {
                    e
                }
            })?;
        parse_token(&response.into_body().bytes().await?, &*self.clock)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!(
            "{:?} {:?}",
            Identity::client_secret("t", "c", "planted-secret"),
            Identity::app_service("http://127.0.0.1:1/msi", "planted-header")
        );
        assert!(!shown.contains("planted"), "{shown}");
    }

    #[test]
    fn token_urls_name_the_tenant() {
        assert_eq!(
            token_url(
                "https://login.microsoftonline.com/",
                "contoso.onmicrosoft.com"
            ),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
    }
}
