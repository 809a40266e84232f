//! Signing with AWS Signature Version 4 (through the `aws-sigv4` crate), on every attempt.

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
use cloud_core::{Authorize, Error, ErrorKind, Request, Result};

use crate::credentials::Credentials;
use crate::signer::HeaderSigner;

/// Signs requests for one AWS service in one region.
#[cfg_attr(not(feature = "s3"), allow(dead_code))]
pub(crate) struct SigV4 {
    /// Signs every request (fast, cached signing key).
    headers: HeaderSigner,
    /// Presigns URLs, and checks `headers` in tests.
    identity: Identity,
    access_key_id: String,
    region: String,
    service: &'static str,
    settings: SigningSettings,
}

impl SigV4 {
    /// A signer for S3: paths are encoded once and not normalised, and the payload is declared
    /// `UNSIGNED-PAYLOAD` (integrity comes from a CRC-32C checksum header instead of hashing every body
    /// with SHA-256).
    #[cfg(any(feature = "s3", test))]
    pub(crate) fn s3(credentials: &Credentials, region: &str) -> Result<SigV4> {
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
        SigV4::new(credentials, region, "s3", settings)
    }

    /// A signer for a Query API service (EC2): the body's SHA-256 is signed, and no payload header is
    /// sent.
    #[cfg(any(feature = "ec2", test))]
    pub(crate) fn query_service(
        credentials: &Credentials,
        region: &str,
        service: &'static str,
    ) -> Result<SigV4> {
        let mut settings = SigningSettings::default();
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        SigV4::new(credentials, region, service, settings)
    }

    fn new(
        credentials: &Credentials,
        region: &str,
        service: &'static str,
        settings: SigningSettings,
    ) -> Result<SigV4> {
        let aws = aws_credential_types::Credentials::new(
            credentials.access_key_id(),
            credentials.secret_access_key().expose(),
            credentials.session_token().map(|t| t.expose().to_owned()),
            None,
            "cloud",
        );
        Ok(SigV4 {
            headers: HeaderSigner::new(credentials, region, service)?,
            identity: aws.into(),
            access_key_id: credentials.access_key_id().to_owned(),
            region: region.to_owned(),
            service,
            settings,
        })
    }

    /// Signs `request` as of `now`, adding the `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256` and
    /// (with temporary credentials) `X-Amz-Security-Token` headers; credentials are marked sensitive.
    pub(crate) fn sign(&self, request: &mut Request, now: SystemTime) -> Result<()> {
        self.headers.sign(request, now)
    }

    /// Signs as [`sign`](SigV4::sign) does, through `aws-sigv4`: the reference the fast signer is held to.
    #[cfg(test)]
    pub(crate) fn sign_with_aws_sigv4(&self, request: &mut Request, now: SystemTime) -> Result<()> {
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
            let params = self.params(now, self.settings.clone())?;
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
    pub(crate) fn presign(
        &self,
        method: &http::Method,
        uri: &http::Uri,
        expires_in: Duration,
        now: SystemTime,
    ) -> Result<String> {
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
        let params = self.params(now, settings)?;
        let (instructions, _) = sign(signable, &params).map_err(signing_error)?.into_parts();
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(uri.clone())
            .body(())
            .map_err(|e| Error::invalid_input("bad presign target").with_source(e))?;
        instructions.apply_to_request_http1x(&mut request);
        Ok(request.uri().to_string())
    }

    fn params(
        &self,
        now: SystemTime,
        settings: SigningSettings,
    ) -> Result<aws_sigv4::http_request::SigningParams<'_>> {
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
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
        self.sign(request, SystemTime::now())
    }
}

impl fmt::Debug for SigV4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigV4")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}
