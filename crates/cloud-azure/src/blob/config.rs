//! Configuring an Azure Blob driver: builder, environment, connection strings, Azurite.

use std::sync::Arc;

use cloud_core::oauth::OAuthErrors;
use cloud_core::redact::RedactedUrl;
use cloud_core::{Error, ErrorKind, HttpClient, Result, ServiceConfig};
use cloud_storage::multipart::MultipartConfig;

use super::error::BlobErrors;
use super::requests::Addressing;
use super::storage::{AzureBlob, BlobInner};
use crate::auth::BlobAuth;
use crate::credentials::{ConnectionString, Credentials, DEV_ACCOUNT};
use crate::identity::Identity;

/// Settings for an [`AzureBlob`] driver.
///
/// ```
/// use cloud_azure::{AzureBlobBuilder, Credentials};
///
/// # fn main() -> cloud_core::Result<()> {
/// // An account on Azure …
/// let azure = AzureBlobBuilder::new()
///     .credentials(Credentials::shared_key("myaccount", "a2V5IGJ5dGVz"))
///     .build()?;
/// // … or Azurite on this machine.
/// let azurite = AzureBlobBuilder::azurite("http://127.0.0.1:10000").build()?;
/// # let _ = (azure, azurite);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct AzureBlobBuilder {
    credentials: Option<Credentials>,
    endpoint: Option<RedactedUrl>,
    client: Option<HttpClient>,
    multipart_threshold: Option<u64>,
    multipart: Option<MultipartConfig>,
    from_env: bool,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl AzureBlobBuilder {
    /// Nothing set: credentials must be given (or read with [`from_env`](AzureBlobBuilder::from_env)).
    pub fn new() -> AzureBlobBuilder {
        AzureBlobBuilder::default()
    }

    /// Settings from the environment, read at [`build`](AzureBlobBuilder::build):
    /// `AZURE_STORAGE_CONNECTION_STRING` (including `UseDevelopmentStorage=true`), else
    /// `AZURE_STORAGE_ACCOUNT` (or `AZURE_STORAGE_ACCOUNT_NAME`) with `AZURE_STORAGE_KEY` (or
    /// `AZURE_STORAGE_ACCOUNT_KEY`) or `AZURE_STORAGE_SAS_TOKEN`; `AZURE_STORAGE_ENDPOINT` for another
    /// endpoint, and `AZURE_STORAGE_USE_EMULATOR=true` for Azurite on 127.0.0.1:10000.
    pub fn from_env() -> AzureBlobBuilder {
        AzureBlobBuilder {
            from_env: true,
            ..AzureBlobBuilder::default()
        }
    }

    /// Azurite at `host` (`http://127.0.0.1:10000`), with its well-known development account.
    pub fn azurite(host: &str) -> AzureBlobBuilder {
        AzureBlobBuilder::new()
            .credentials(Credentials::development())
            .endpoint(format!("{}/{DEV_ACCOUNT}", host.trim_end_matches('/')))
    }

    /// Settings from a connection string, as the portal shows it.
    pub fn connection_string(text: &str) -> Result<AzureBlobBuilder> {
        let parsed = ConnectionString::parse(text)?;
        let mut builder = AzureBlobBuilder::new().credentials(parsed.credentials);
        builder.endpoint = parsed.blob_endpoint.map(RedactedUrl::new);
        Ok(builder)
    }

    /// The credentials to authorize with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The Blob endpoint (default `https://ACCOUNT.blob.core.windows.net`); for Azurite, the host
    /// followed by the account (`http://127.0.0.1:10000/devstoreaccount1`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(RedactedUrl::new(endpoint));
        self
    }

    /// The HTTP client to share (default: a new one).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// Blobs larger than `threshold` bytes, and streams of unknown length, are uploaded as blocks with
    /// `config` (default: above 16 MiB, 8 MiB blocks, 5 at once: at most 48 MiB held per upload).
    pub fn multipart(mut self, threshold: u64, config: MultipartConfig) -> Self {
        self.multipart_threshold = Some(threshold);
        self.multipart = Some(config);
        self
    }

    fn apply_env(mut self) -> Result<AzureBlobBuilder> {
        if let Some(text) = var("AZURE_STORAGE_CONNECTION_STRING") {
            let parsed = ConnectionString::parse(&text)?;
            self.credentials.get_or_insert(parsed.credentials);
            if self.endpoint.is_none() {
                self.endpoint = parsed.blob_endpoint.map(RedactedUrl::new);
            }
        }
        if var("AZURE_STORAGE_USE_EMULATOR").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            self.credentials
                .get_or_insert_with(Credentials::development);
            if self.endpoint.is_none() {
                self.endpoint = Some(RedactedUrl::new(format!(
                    "http://127.0.0.1:10000/{DEV_ACCOUNT}"
                )));
            }
        }
        if self.credentials.is_none() {
            let account =
                var("AZURE_STORAGE_ACCOUNT").or_else(|| var("AZURE_STORAGE_ACCOUNT_NAME"));
            let key = var("AZURE_STORAGE_KEY").or_else(|| var("AZURE_STORAGE_ACCOUNT_KEY"));
            self.credentials = match (account, key, var("AZURE_STORAGE_SAS_TOKEN")) {
                (Some(account), Some(key), _) => Some(Credentials::shared_key(account, key)),
                (Some(account), None, Some(sas)) => Some(Credentials::sas(account, &sas)),
                // No key: the identity the environment describes (a service principal, a workload
                // identity, or the managed identity), as Azure's own SDKs do.
                (Some(account), None, None) => {
                    Some(Credentials::entra(account, Identity::from_env()))
                }
                _ => None,
            };
        }
        if self.endpoint.is_none() {
            self.endpoint = var("AZURE_STORAGE_ENDPOINT").map(RedactedUrl::new);
        }
        Ok(self)
    }

    /// Builds the driver.
    pub fn build(self) -> Result<AzureBlob> {
        let builder = if self.from_env {
            self.apply_env()?
        } else {
            self
        };
        let credentials = builder.credentials.ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthenticated,
                "no Azure Storage credentials: looked for AZURE_STORAGE_CONNECTION_STRING, \
                 AZURE_STORAGE_ACCOUNT (with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or an Entra ID \
                 identity), and AZURE_STORAGE_USE_EMULATOR (all unset)",
            )
        })?;
        let endpoint = builder.endpoint.as_ref().map_or_else(
            || format!("https://{}.blob.core.windows.net", credentials.account()),
            |e| e.expose().to_owned(),
        );
        let addressing = Addressing::new(&endpoint)?;
        let client = match builder.client {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        let tokens = client.service(ServiceConfig::new("azure").errors(OAuthErrors));
        let auth = Arc::new(BlobAuth::new(&credentials, tokens, client.clock())?);
        let http = client.service(
            ServiceConfig::new("azure")
                .shared_authorizer(auth.clone())
                .errors(BlobErrors),
        );
        // 8 MiB blocks, 5 at once; a blob holds at most 50,000 blocks.
        let multipart = builder.multipart.unwrap_or_else(|| {
            MultipartConfig::new()
                .part_size(8 << 20)
                .concurrency(5)
                .max_parts(50_000)
        });
        Ok(AzureBlob::from_inner(BlobInner {
            http,
            auth,
            addressing,
            multipart_threshold: builder.multipart_threshold.unwrap_or(16 << 20),
            multipart,
            delegation: Default::default(),
        }))
    }
}
