//! Configuring an EC2 driver.

use std::sync::Arc;

use cloud_core::endpoint::parse_endpoint;
use cloud_core::redact::RedactedUrl;
use cloud_core::{HttpClient, Provide, Result, ServiceConfig};

use super::compute::{Ec2, Ec2Inner};
use crate::auth::{CredentialSource, SigV4};
use crate::credentials::{Credentials, DefaultChain, ServiceEnv};
use crate::query_errors::QueryErrors;

/// Settings for an [`Ec2`] driver.
///
/// ```
/// use cloud_aws::{Credentials, Ec2Builder};
///
/// # fn main() -> cloud_core::Result<()> {
/// let ec2 = Ec2Builder::new()
///     .region("eu-west-1")
///     .credentials(Credentials::new("AKIDEXAMPLE", "secret"))
///     .build()?;
/// # let _ = ec2;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct Ec2Builder {
    credentials: Option<CredentialSource>,
    region: Option<String>,
    endpoint: Option<RedactedUrl>,
    client: Option<HttpClient>,
}

impl Ec2Builder {
    /// Nothing set: EC2 in `us-east-1`, credentials from the environment at [`build`](Ec2Builder::build).
    pub fn new() -> Ec2Builder {
        Ec2Builder::default()
    }

    /// Settings from the environment: `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_EC2` /
    /// `AWS_ENDPOINT_URL`, and the `AWS_PROFILE` profile's region and `endpoint_url`.
    pub fn from_env() -> Ec2Builder {
        let env = ServiceEnv::load("EC2");
        Ec2Builder {
            region: env.region,
            endpoint: env.endpoint,
            ..Ec2Builder::default()
        }
    }

    /// The credentials to sign with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(CredentialSource::Fixed(credentials));
        self
    }

    /// Credentials from `provider` (a role, a vault, a chain of your own), cached by the driver and
    /// asked again shortly before they expire. Without credentials or a provider the driver uses
    /// [`DefaultChain`](crate::DefaultChain).
    pub fn credentials_provider(mut self, provider: Arc<dyn Provide<Credentials>>) -> Self {
        self.credentials = Some(CredentialSource::Provided(provider));
        self
    }

    /// The region (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The endpoint (`http://127.0.0.1:5000` for moto).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(RedactedUrl::new(endpoint));
        self
    }

    /// The HTTP client to share (default: a new one).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Where no region is set (by [`region`](Ec2Builder::region) or the environment and profile that
    /// [`from_env`](Ec2Builder::from_env) reads), the EC2 instance's own, as the AWS SDKs look last; unchanged
    /// off EC2.
    pub async fn region_from_instance(mut self) -> Result<Self> {
        if self.region.is_none() {
            self.region = crate::credentials::instance_region_with(self.client.as_ref()).await?;
        }
        Ok(self)
    }

    /// Builds the driver.
    pub fn build(self) -> Result<Ec2> {
        let region = self.region.unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = match &self.endpoint {
            Some(endpoint) => parse_endpoint(endpoint.expose(), "EC2")?,
            None => parse_endpoint(&format!("https://ec2.{region}.amazonaws.com/"), "EC2")?,
        };
        let client = match self.client {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        let credentials = self.credentials.unwrap_or_else(|| {
            CredentialSource::Provided(Arc::new(DefaultChain::for_client(&client)))
        });
        // The credential scope names the service: moto picks EC2 from it.
        let signer = SigV4::query_service(&credentials, &region, "ec2", client.clock())?;
        let http = client.service(
            ServiceConfig::new("ec2")
                .authorizer(signer)
                .errors(QueryErrors),
        );
        Ok(Ec2::from_inner(Ec2Inner {
            http,
            endpoint,
            region,
        }))
    }
}
