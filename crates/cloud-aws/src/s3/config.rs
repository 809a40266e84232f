//! Configuring an S3 driver: builder, environment, and presets for S3-compatible services.

use std::sync::Arc;

use cloud_core::redact::RedactedUrl;
use cloud_core::{HttpClient, Provide, Result, ServiceConfig};
use cloud_storage::multipart::MultipartConfig;

use super::error::S3Errors;
use super::regions::BucketRegions;
use super::requests::Addressing;
use super::storage::{S3Inner, S3};
use crate::auth::{CredentialSource, SigV4};
use crate::credentials::{env_var, Credentials, DefaultChain, ServiceEnv};

/// Settings for an [`S3`] driver.
///
/// ```
/// use cloud_aws::{Credentials, S3Builder};
///
/// # fn main() -> cloud_core::Result<()> {
/// // A MinIO server on this machine.
/// let s3 = S3Builder::minio("http://127.0.0.1:9000")
///     .credentials(Credentials::new("minioadmin", "minioadmin"))
///     .build()?;
/// # let _ = s3;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct S3Builder {
    credentials: Option<CredentialSource>,
    region: Option<String>,
    endpoint: Option<RedactedUrl>,
    path_style: Option<bool>,
    client: Option<HttpClient>,
    multipart_threshold: Option<u64>,
    multipart: Option<MultipartConfig>,
    provider: Option<&'static str>,
}

impl S3Builder {
    /// Nothing set: AWS S3 in `us-east-1`, credentials from the environment at [`build`](S3Builder::build).
    pub fn new() -> S3Builder {
        S3Builder::default()
    }

    /// Settings from the environment: `AWS_REGION` / `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3` /
    /// `AWS_ENDPOINT_URL`, `AWS_S3_FORCE_PATH_STYLE`, and the region and `endpoint_url` of the
    /// `AWS_PROFILE` profile; credentials as [`Credentials::from_env`] finds them.
    pub fn from_env() -> S3Builder {
        let env = ServiceEnv::load("S3");
        S3Builder {
            region: env.region,
            endpoint: env.endpoint,
            path_style: env_var("AWS_S3_FORCE_PATH_STYLE")
                .map(|v| v.eq_ignore_ascii_case("true") || v == "1"),
            ..S3Builder::default()
        }
    }

    /// MinIO at `endpoint` (path-style addressing).
    pub fn minio(endpoint: &str) -> S3Builder {
        S3Builder::compatible("minio", endpoint, "us-east-1").path_style(true)
    }

    /// Ceph's RADOS Gateway at `endpoint` (path-style addressing).
    pub fn ceph(endpoint: &str) -> S3Builder {
        S3Builder::compatible("ceph", endpoint, "us-east-1").path_style(true)
    }

    /// Cloudflare R2 for the account `account_id`.
    pub fn r2(account_id: &str) -> S3Builder {
        S3Builder::compatible(
            "r2",
            &format!("https://{account_id}.r2.cloudflarestorage.com"),
            "auto",
        )
    }

    /// DigitalOcean Spaces in `region` (`nyc3`, `ams3`, …).
    pub fn spaces(region: &str) -> S3Builder {
        S3Builder::compatible(
            "spaces",
            &format!("https://{region}.digitaloceanspaces.com"),
            region,
        )
    }

    /// Backblaze B2 in `region` (`us-west-004`, …).
    pub fn b2(region: &str) -> S3Builder {
        S3Builder::compatible(
            "b2",
            &format!("https://s3.{region}.backblazeb2.com"),
            region,
        )
    }

    /// Wasabi in `region` (`us-east-1`, `eu-central-1`, …).
    pub fn wasabi(region: &str) -> S3Builder {
        S3Builder::compatible(
            "wasabi",
            &format!("https://s3.{region}.wasabisys.com"),
            region,
        )
    }

    fn compatible(provider: &'static str, endpoint: &str, region: &str) -> S3Builder {
        S3Builder {
            provider: Some(provider),
            endpoint: Some(RedactedUrl::new(endpoint)),
            region: Some(region.to_owned()),
            ..S3Builder::default()
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

    /// The endpoint, for S3-compatible services or a local test server (`http://127.0.0.1:9000`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(RedactedUrl::new(endpoint));
        self
    }

    /// Path-style addressing (`endpoint/bucket/key`) instead of virtual-hosted (`bucket.endpoint/key`).
    /// Used anyway for endpoints that are IP addresses or `localhost`.
    pub fn path_style(mut self, path_style: bool) -> Self {
        self.path_style = Some(path_style);
        self
    }

    /// The HTTP client to share (default: a new one); drivers built on one client share its pool.
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Objects larger than `threshold` bytes, and streams of unknown length, are uploaded in parts with
    /// `config` (default: above 16 MiB, 8 MiB parts, 5 at once: at most 48 MiB held per upload).
    pub fn multipart(mut self, threshold: u64, config: MultipartConfig) -> Self {
        self.multipart_threshold = Some(threshold);
        self.multipart = Some(config);
        self
    }

    /// Where no region is set (by [`region`](S3Builder::region) or the environment and profile that
    /// [`from_env`](S3Builder::from_env) reads), the EC2 instance's own, as the AWS SDKs look last; unchanged
    /// off EC2.
    pub async fn region_from_instance(mut self) -> Result<Self> {
        if self.region.is_none() {
            self.region = crate::credentials::instance_region_with(self.client.as_ref()).await?;
        }
        Ok(self)
    }

    /// Builds the driver.
    pub fn build(self) -> Result<S3> {
        let region = self.region.unwrap_or_else(|| "us-east-1".to_owned());
        let endpoint = self.endpoint.as_ref().map_or_else(
            || format!("https://s3.{region}.amazonaws.com"),
            |e| e.expose().to_owned(),
        );
        let addressing = Addressing::new(&endpoint, self.path_style)?;
        let client = match self.client {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        let provider = self.provider.unwrap_or("s3");
        let credentials = self.credentials.unwrap_or_else(|| {
            CredentialSource::Provided(Arc::new(DefaultChain::for_client(&client)))
        });
        let signer = Arc::new(SigV4::s3(&credentials, &region, client.clock())?);
        let regions = BucketRegions::new(
            client.clone(),
            credentials.clone(),
            provider,
            self.endpoint.is_none(),
        );
        let http = client.service(
            ServiceConfig::new(provider)
                .shared_authorizer(signer.clone())
                .errors(S3Errors),
        );
        // 8 MiB parts, 5 at once: at most 48 MiB of payload in memory per upload.
        let multipart = self
            .multipart
            .unwrap_or_else(|| MultipartConfig::new().part_size(8 << 20).concurrency(5));
        Ok(S3::from_inner(S3Inner {
            provider,
            region,
            http,
            signer,
            addressing,
            multipart_threshold: self.multipart_threshold.unwrap_or(16 << 20),
            multipart,
            regions,
        }))
    }
}
