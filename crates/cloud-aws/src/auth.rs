//! Signing with AWS Signature Version 4 (through the `aws-sigv4` crate), on every attempt, with fixed
//! credentials or those a provider hands out, cached and refreshed ahead of expiry.

use std::fmt;
// Some of these serve only S3 (presigning, its settings) or the tests.
#[cfg_attr(not(feature = "s3"), allow(unused_imports))]
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
#[cfg_attr(not(feature = "s3"), allow(unused_imports))]
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use cloud_core::{
    Authorize, Clock, Error, ErrorKind, Provide, Request, Result, TemporaryToken, TokenCache,
};
use std::sync::Arc;

use crate::credentials::Credentials;
use crate::signer::HeaderSigner;

/// Replace provided credentials this long before they expire (the SDKs' margin), so no request is
/// signed with credentials that lapse in flight.
pub(crate) const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Where the credentials come from: given, or provided (a chain, a role) and refreshed.
#[derive(Clone, Debug)]
pub(crate) enum CredentialSource {
    Fixed(Credentials),
    Provided(Arc<dyn Provide<Credentials>>),
}

/// What signs with one set of credentials, built once per set.
struct Signing {
    /// Signs every request (fast, cached signing key).
    headers: HeaderSigner,
    /// Presigns URLs, and checks `headers` in tests.
    identity: Identity,
    access_key_id: String,
}

impl Signing {
    fn new(credentials: &Credentials, region: &str, service: &'static str) -> Result<Signing> {
        let aws = aws_credential_types::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key().expose(),
            credentials.session_token().map(|t| t.expose().to_owned()),
            None,
            "cloud",
        );
        Ok(Signing {
            headers: HeaderSigner::new(credentials, region, service)?,
            identity: aws.into(),
            access_key_id: credentials.access_key_id().to_owned(),
        })
    }
}

enum Keys {
    Fixed(Arc<Signing>),
    Provided {
        provider: Arc<dyn Provide<Credentials>>,
        cache: TokenCache<Arc<Signing>>,
        /// Whether the last credentials fetched expire: long-term keys (from the environment, say)
        /// gain nothing from a renewal, so their requests are not copied in case of one.
        expiring: std::sync::atomic::AtomicBool,
    },
}

/// Signs requests for one AWS service in one region.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub(crate) struct SigV4 {
    keys: Keys,
    region: String,
    service: &'static str,
    settings: SigningSettings,
}

impl SigV4 {
    /// A signer for S3: paths are encoded once and not normalised, and the payload is declared
    /// `UNSIGNED-PAYLOAD` (integrity comes from a CRC-32C checksum header instead of hashing every body
    /// with SHA-256).
    #[cfg(any(feature = "s3", test))]
    pub(crate) fn s3(
        credentials: &CredentialSource,
        region: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<SigV4> {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        SigV4::new(credentials, region, "s3", settings, clock)
    }

    /// A signer for a Query API service (EC2): the body's SHA-256 is signed, and no payload header is
    /// sent.
    #[cfg(any(feature = "ec2", test))]
    pub(crate) fn query_service(
        credentials: &CredentialSource,
        region: &str,
        service: &'static str,
        clock: Arc<dyn Clock>,
    ) -> Result<SigV4> {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        SigV4::new(credentials, region, service, settings, clock)
    }

    fn new(
        credentials: &CredentialSource,
        region: &str,
        service: &'static str,
        settings: SigningSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<SigV4> {
        let keys = match credentials {
            CredentialSource::Fixed(credentials) => {
                Keys::Fixed(Arc::new(Signing::new(credentials, region, service)?))
            }
            CredentialSource::Provided(provider) => Keys::Provided {
                provider: provider.clone(),
                cache: TokenCache::new(REFRESH_MARGIN, clock),
                expiring: std::sync::atomic::AtomicBool::new(true),
            },
        };
        Ok(SigV4 {
            keys,
            region: region.to_owned(),
            service,
            settings,
        })
    }

    /// The signer of the current credentials: the fixed one, or the provider's, fetched when there is
    /// none or it is about to expire (one fetch however many tasks ask).
    async fn signing(&self) -> Result<Arc<Signing>> {
        match &self.keys {
            Keys::Fixed(signing) => Ok(signing.clone()),
            Keys::Provided {
                provider,
                cache,
                expiring,
            } => {
                cache
                    .get_or_refresh(|| async {
                        let provided = provider.provide().await?;
                        expiring.store(
                            provided.expires_at.is_some(),
                            std::sync::atomic::Ordering::Relaxed,
                        );
                        let signing = Signing::new(&provided.token, &self.region, self.service)?;
                        Ok(TemporaryToken {
                            token: Arc::new(signing),
                            expires_at: provided.expires_at,
                        })
                    })
                    .await
            }
        }
    }

    /// Signs `request` as of `now`, adding the `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256` and
    /// (with temporary credentials) `X-Amz-Security-Token` headers; credentials are marked sensitive.
    pub(crate) async fn sign(&self, request: &mut Request, now: SystemTime) -> Result<()> {
        self.signing().await?.headers.sign(request, now)
    }

    /// Signs as [`sign`](SigV4::sign) does, through `aws-sigv4`: the reference the fast signer is held to.
    #[cfg(test)]
    pub(crate) async fn sign_with_aws_sigv4(
        &self,
        request: &mut Request,
        now: SystemTime,
    ) -> Result<()> {
        let signing = self.signing().await?;
        let instructions = {
            let headers = request
                .headers()
                .iter()
                .map(|(name, value)| value.to_str().map(|v| (name.as_str(), v)))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|_| {
                    Error::invalid_input("a header value is not visible ASCII and cannot be signed")
                })?;
            let uri = request.uri().to_string();
            let body_bytes: Vec<u8> = request.body().as_chunks().unwrap_or_default().concat();
            let body = if self.service == "s3" {
                SignableBody::UnsignedPayload
            } else {
                SignableBody::Bytes(&body_bytes)
            };
            let signable =
                SignableRequest::new(request.method().as_str(), uri, headers.into_iter(), body)
                    .map_err(signing_error)?;
            let params = self.params(&signing.identity, now, self.settings.clone())?;
            sign(signable, &params)
                .map_err(signing_error)?
                .into_parts()
                .0
        };
        instructions.apply_to_request_http1x(request);
        Ok(())
    }

    #[cfg(feature = "s3")]
    /// A URL for `method` on `uri` that works without credentials for `expires_in`.
    pub(crate) async fn presign(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        expires_in: Duration,
        now: SystemTime,
    ) -> Result<String> {
        let signing = self.signing().await?;
        let mut settings = self.settings.clone();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        settings.expires_in = Some(expires_in);
        let host = uri.authority().map(|a| a.as_str()).unwrap_or_default();
        let signable = SignableRequest::new(
            method.as_str(),
            uri.to_string(),
            [("host", host)].into_iter(),
            SignableBody::UnsignedPayload,
        )
        .map_err(signing_error)?;
        let params = self.params(&signing.identity, now, settings)?;
        let (instructions, _) = sign(signable, &params).map_err(signing_error)?.into_parts();
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(uri.clone())
            .body(())
            .map_err(|e| Error::invalid_input("bad presign target").with_source(e))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request.uri().to_string())
    }

    fn params<'a>(
        &'a self,
        identity: &'a Identity,
        now: SystemTime,
        settings: SigningSettings,
    ) -> Result<aws_sigv4::http_request::SigningParams<'a>> {
        let params = v4::SigningParams::builder()
            .identity(identity)
            .region(&self.region)
            .name(self.service)
            .time(now)
            .settings(settings)
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::InvalidInput, "incomplete signing parameters").with_source(e)
            })?;
        Ok(params.into())
    }
}

fn signing_error(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::new(ErrorKind::InvalidInput, "the request could not be signed").with_source(err.into())
}

#[async_trait]
impl Authorize for SigV4 {
    async fn authorize(&self, request: &mut Request) -> Result<()> {
        self.sign(request, SystemTime::now()).await
    }

    fn authorize_now(&self, request: &mut Request) -> Option<Result<()>> {
        let signing = match &self.keys {
            Keys::Fixed(signing) => signing.clone(),
            Keys::Provided { cache, .. } => cache.fresh_now()?,
        };
        Some(signing.headers.sign(request, SystemTime::now()))
    }

    fn renewable(&self) -> bool {
        match &self.keys {
            Keys::Fixed(_) => false,
            Keys::Provided { expiring, .. } => expiring.load(std::sync::atomic::Ordering::Relaxed),
        }
    }

    fn refused(&self, sent: &http::HeaderMap) {
        // `Credential=AKID/20261207/…` names the key the refused request was signed with.
        let Keys::Provided { cache, .. } = &self.keys else {
            return;
        };
        let Some(sent) = sent
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("Credential=").nth(1))
            .and_then(|v| v.split('/').next())
        else {
            return;
        };
        cache.invalidate_if(|signing| signing.access_key_id == sent);
    }
}

impl fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = match &self.keys {
            Keys::Fixed(signing) => format!("fixed {}", signing.access_key_id),
            Keys::Provided { provider, .. } => format!("provided by {}", provider.source()),
        };
        f.debug_struct("SigV4")
            .field("credentials", &keys)
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}
