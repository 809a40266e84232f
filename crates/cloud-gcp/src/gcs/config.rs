//! Configuring a Cloud Storage driver: builder, environment, emulator.

use std::sync::Arc;

use cloud_core::oauth::OAuthErrors;
use cloud_core::redact::RedactedUrl;
use cloud_core::{HttpClient, Result, ServiceConfig};

use super::error::GcsErrors;
use super::multipart::CHUNK_QUANTUM;
use super::requests::Addressing;
use super::storage::{Gcs, GcsInner};
use crate::auth::Auth;
use crate::credentials::Credentials;

/// The public endpoint of the JSON API.
const ENDPOINT: &str = "https://storage.googleapis.com";

/// Settings for a [`Gcs`] driver.
///
/// ```
/// use cloud_gcp::{Credentials, GcsBuilder};
///
/// # fn main() -> cloud_core::Result<()> {
/// // Google Cloud, with the credentials Google's own tools would find …
/// let gcs = GcsBuilder::new()
///     .credentials(Credentials::application_default()?)
///     .project("my-project")
///     .build()?;
/// // … or an emulator on this machine.
/// let emulator = GcsBuilder::emulator("http://127.0.0.1:9023").build()?;
/// # let _ = (gcs, emulator);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct GcsBuilder {
    credentials: Option<Credentials>,
    endpoint: Option<RedactedUrl>,
    project: Option<String>,
    client: Option<HttpClient>,
    single_request_limit: Option<u64>,
    chunk_size: Option<usize>,
    from_env: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `host:port` as emulators are named in `STORAGE_EMULATOR_HOST`, or a URL.
fn emulator_url(host: &str) -> String {
    if host.contains("://") {
        host.to_owned()
    } else {
        format!("http://{host}")
    }
}

impl GcsBuilder {
    /// Nothing set: Application Default Credentials are looked for at
    /// [`build`](GcsBuilder::build) unless [`credentials`](GcsBuilder::credentials) are given.
    pub fn new() -> GcsBuilder {
        GcsBuilder::default()
    }

    /// Settings from the environment, read at [`build`](GcsBuilder::build): `STORAGE_EMULATOR_HOST`
    /// for an emulator (no authorization), else Application Default Credentials
    /// (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's file, the metadata server); the project from
    /// `GOOGLE_CLOUD_PROJECT`, `GCLOUD_PROJECT` or the service account's key; `GCS_ENDPOINT` for
    /// another endpoint.
    pub fn from_env() -> GcsBuilder {
        GcsBuilder {
            from_env: true,
            ..GcsBuilder::default()
        }
    }

    /// An emulator at `host` (`http://127.0.0.1:9023`), without authorization, in the project
    /// `test-project`.
    pub fn emulator(host: &str) -> GcsBuilder {
        GcsBuilder::new()
            .credentials(Credentials::Anonymous)
            .endpoint(emulator_url(host))
            .project("test-project")
    }

    /// The credentials to authorize with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The endpoint (default `https://storage.googleapis.com`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(RedactedUrl::new(endpoint));
        self
    }

    /// The project buckets are listed and created in (default: the service account's).
    pub fn project(mut self, project: impl Into<String>) -> Self {
        self.project = Some(project.into());
        self
    }

    /// The HTTP client to share (default: a new one).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Objects up to `limit` bytes (default 8 MiB) go up in one request; larger ones, and streams
    /// that turn out longer, through a resumable session in chunks of `chunk_size` (default 8 MiB,
    /// rounded up to a multiple of 256 KiB). One chunk is held in memory per upload.
    pub fn uploads(mut self, limit: u64, chunk_size: usize) -> Self {
        self.single_request_limit = Some(limit);
        self.chunk_size = Some(chunk_size);
        self
    }

    fn apply_env(mut self) -> Result<GcsBuilder> {
        if let Some(host) = var("STORAGE_EMULATOR_HOST") {
            self.credentials.get_or_insert(Credentials::Anonymous);
            if self.endpoint.is_none() {
                self.endpoint = Some(RedactedUrl::new(emulator_url(&host)));
            }
            if self.project.is_none() {
                self.project = Some("test-project".to_owned());
            }
        }
        if self.project.is_none() {
            self.project = var("GOOGLE_CLOUD_PROJECT").or_else(|| var("GCLOUD_PROJECT"));
        }
        if self.endpoint.is_none() {
            self.endpoint = var("GCS_ENDPOINT").map(RedactedUrl::new);
        }
        Ok(self)
    }

    /// Builds the driver.
    pub fn build(self) -> Result<Gcs> {
        let mut builder = if self.from_env {
            self.apply_env()?
        } else {
            self
        };
        let credentials = match builder.credentials.take() {
            Some(credentials) => credentials,
            None => Credentials::application_default()?,
        };
        let project = builder
            .project
            .or_else(|| credentials.project().map(str::to_owned));
        let endpoint = builder
            .endpoint
            .as_ref()
            .map_or(ENDPOINT, |e| e.expose())
            .to_owned();
        let addressing = Addressing::new(&endpoint)?;
        let client = match builder.client {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        // Token endpoints answer in OAuth's words, and are reached without a token of their own.
        let tokens = client.service(ServiceConfig::new("gcp").errors(OAuthErrors));
        let auth = Auth::new(&credentials, tokens, client.clock())?;
        let http = client.service(
            ServiceConfig::new("gcs")
                .shared_authorizer(auth.authorizer)
                .errors(GcsErrors),
        );
        Ok(Gcs {
            inner: Arc::new(GcsInner {
                http,
                addressing,
                project,
                signer: auth.signer,
                single_request_limit: builder.single_request_limit.unwrap_or(8 << 20),
                chunk_size: builder
                    .chunk_size
                    .unwrap_or(8 << 20)
                    .div_ceil(CHUNK_QUANTUM)
                    .max(1)
                    * CHUNK_QUANTUM,
                chunk_attempts: 5,
            }),
        })
    }
}
