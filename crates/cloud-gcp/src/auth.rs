//! Access tokens for Google APIs: a service account's RS256-signed JWT exchanged at its token URI
//! (RFC 7523), a user's refresh token, an external account's token exchanged at Google's STS, a
//! service account's token asked for by another identity, or the metadata server; all cached and
//! shared through [`BearerAuth`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cloud_core::oauth::{form, parse_token, request_token, BearerAuth};
use cloud_core::Provide;
use cloud_core::{
    Authorize, Body, Clock, Error, ErrorKind, HttpService, NoAuth, Operation, Result, Secret,
    TemporaryToken,
};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::PrivatePkcs8KeyDer;

use crate::credentials::{Credentials, ServiceAccountKey};
use crate::external::ExternalTokens;
use crate::impersonated::{ImpersonatedTokens, CLOUD_PLATFORM_SCOPE};

/// Read and write objects and buckets.
pub const STORAGE_SCOPE: &str = "https://www.googleapis.com/auth/devstorage.full_control";

/// How long a signed assertion is valid: Google accepts at most an hour.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// A service account's RSA key, ready to sign (JWTs, and V4 signed URLs).
pub(crate) struct Signer {
    key: RsaKeyPair,
    rng: SystemRandom,
    pub(crate) email: String,
    key_id: String,
}

impl Signer {
    pub(crate) fn new(account: &ServiceAccountKey) -> Result<Signer> {
        let der = PrivatePkcs8KeyDer::from_pem_slice(account.private_key.expose().as_bytes())
            .map_err(|_| {
                Error::invalid_input("the service account's private_key is not a PKCS#8 key in PEM")
            })?;
        let key = RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).map_err(|_| {
            Error::invalid_input("the service account's private_key is not an RSA key ring can use")
        })?;
        Ok(Signer {
            key,
            rng: SystemRandom::new(),
            email: account.client_email.clone(),
            key_id: account.private_key_id.clone(),
        })
    }

    /// The RSASSA-PKCS1-v1_5 SHA-256 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>> {
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut signature)
            .map_err(|_| {
                Error::new(
                    ErrorKind::Unexpected,
                    "signing with the service account key failed",
                )
            })?;
        Ok(signature)
    }

    /// A JWT asserting this account to `audience` for `scope`, issued at `now` (seconds since 1970).
    pub(crate) fn assertion(&self, audience: &str, scope: &str, now: u64) -> Result<String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.key_id});
        let claims = serde_json::json!({
            "iss": self.email,
            "scope": scope,
            "aud": audience,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME.as_secs(),
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self.sign(signed.as_bytes())?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A service account: a fresh signed assertion for each token.
#[derive(Debug)]
struct ServiceAccountTokens {
    http: HttpService,
    signer: Arc<Signer>,
    token_uri: String,
    scope: &'static str,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl Provide<Secret> for ServiceAccountTokens {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let now = self
            .clock
            .system_time()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let assertion = Secret::new(self.signer.assertion(&self.token_uri, self.scope, now)?);
        let body = form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion.expose()),
        ]);
        request_token(&self.http, &self.token_uri, body, &*self.clock).await
    }
}

/// A user's refresh token.
#[derive(Debug)]
struct RefreshTokens {
    http: HttpService,
    client_id: String,
    client_secret: Secret,
    refresh_token: Secret,
    token_uri: String,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl Provide<Secret> for RefreshTokens {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let body = form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("client_secret", self.client_secret.expose()),
            ("refresh_token", self.refresh_token.expose()),
        ]);
        request_token(&self.http, &self.token_uri, body, &*self.clock).await
    }
}

/// The metadata server's token for the VM's default service account.
#[derive(Debug)]
struct MetadataTokens {
    http: HttpService,
    endpoint: String,
    clock: Arc<dyn Clock>,
}

#[async_trait]
impl Provide<Secret> for MetadataTokens {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let url = format!(
            "{}/computeMetadata/v1/instance/service-accounts/default/token",
            self.endpoint.trim_end_matches('/')
        );
        let mut req = cloud_core::request::request(http::Method::GET, url, Body::empty())?;
        req.headers_mut()
            .insert("metadata-flavor", http::HeaderValue::from_static("Google"));
        let response = self
            .http
            .send_buffered(Operation::new("GetMetadataToken"), req)
            .await
            .map_err(|e| {
                if matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout) {
                    Error::new(
                        ErrorKind::Unauthenticated,
                        "no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is unset, gcloud has no \
                         application default credentials, and no metadata server answered",
                    )
                    .with_source(e)
                } else {
                    e
                }
            })?;
        parse_token(&response.into_body().bytes().await?, &*self.clock)
    }
}

/// What authorizes requests, and the key that signs URLs when there is one.
pub(crate) struct Auth {
    pub(crate) authorizer: Arc<dyn Authorize>,
    pub(crate) signer: Option<Arc<Signer>>,
}

impl Auth {
    /// `tokens` is the service that reaches token endpoints (without authorization of its own).
    pub(crate) fn new(
        credentials: &Credentials,
        tokens: HttpService,
        clock: Arc<dyn Clock>,
    ) -> Result<Auth> {
        Ok(
            match token_source(credentials, tokens, &clock, STORAGE_SCOPE)? {
                None => Auth {
                    authorizer: Arc::new(NoAuth),
                    signer: None,
                },
                Some((source, signer)) => Auth {
                    authorizer: Arc::new(BearerAuth::new(source, clock)),
                    signer,
                },
            },
        )
    }
}

/// Where tokens come from, and the key that signs URLs when there is one.
type Source = (Arc<dyn Provide<Secret>>, Option<Arc<Signer>>);

/// Where `credentials` get their tokens (a service account's for `scope`); `None` for anonymous
/// credentials.
fn token_source(
    credentials: &Credentials,
    http: HttpService,
    clock: &Arc<dyn Clock>,
    scope: &'static str,
) -> Result<Option<Source>> {
    let clock = clock.clone();
    let source: Source = match credentials {
        Credentials::Anonymous => return Ok(None),
        Credentials::ServiceAccount(key) => {
            let signer = Arc::new(Signer::new(key)?);
            let source = ServiceAccountTokens {
                http,
                signer: signer.clone(),
                token_uri: key.token_uri.clone(),
                scope,
                clock,
            };
            (Arc::new(source), Some(signer))
        }
        Credentials::AuthorizedUser {
            client_id,
            client_secret,
            refresh_token,
            token_uri,
        } => {
            let source = RefreshTokens {
                http,
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                refresh_token: refresh_token.clone(),
                token_uri: token_uri.clone(),
                clock,
            };
            (Arc::new(source), None)
        }
        Credentials::ExternalAccount(account) => {
            let source = ExternalTokens {
                http,
                account: account.clone(),
                clock,
            };
            (Arc::new(source), None)
        }
        Credentials::Impersonated(impersonated) => {
            // The source calls generateAccessToken, which wants the cloud-platform scope. URLs are
            // not signed with the source's key: they would be the source's, not the account's.
            let Some((caller, _)) = token_source(
                &impersonated.source,
                http.clone(),
                &clock,
                CLOUD_PLATFORM_SCOPE,
            )?
            else {
                return Err(Error::invalid_input(
                    "impersonating a service account needs source credentials, not anonymous ones",
                ));
            };
            let source = ImpersonatedTokens {
                http,
                source: caller,
                url: impersonated.service_account_impersonation_url.clone(),
                delegates: impersonated.delegates.clone(),
                clock,
            };
            (Arc::new(source), None)
        }
        Credentials::Metadata { endpoint } => {
            let source = MetadataTokens {
                http,
                endpoint: endpoint.clone(),
                clock,
            };
            (Arc::new(source), None)
        }
    };
    Ok(Some(source))
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}
