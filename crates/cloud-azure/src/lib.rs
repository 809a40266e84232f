//! Microsoft Azure for the `cloud` crates: Blob Storage (feature `blob`), tested against Azurite.
//!
//! ```
//! use cloud_azure::AzureBlobBuilder;
//! use cloud_storage::StorageDriver;
//!
//! # fn main() -> cloud_core::Result<()> {
//! // From the environment …
//! # std::env::set_var("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true");
//! let blob = AzureBlobBuilder::from_env().build()?;
//! assert_eq!(blob.provider(), "azure");
//!
//! // … or from a connection string as the portal shows it.
//! let blob = AzureBlobBuilder::connection_string(
//!     "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net",
//! )?
//! .build()?;
//! # let _ = blob;
//! # Ok(())
//! # }
//! ```
//!
//! Environment variables read by [`AzureBlobBuilder::from_env`]: `AZURE_STORAGE_CONNECTION_STRING`,
//! `AZURE_STORAGE_ACCOUNT` (or `AZURE_STORAGE_ACCOUNT_NAME`), `AZURE_STORAGE_KEY` (or
//! `AZURE_STORAGE_ACCOUNT_KEY`), `AZURE_STORAGE_SAS_TOKEN`, `AZURE_STORAGE_ENDPOINT` and
//! `AZURE_STORAGE_USE_EMULATOR`. With an account and no key or SAS token, the Entra ID identity
//! [`Identity::from_env`] describes: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`,
//! `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`, `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`,
//! else the managed identity through IMDS, else the Azure CLI's login (`az login`).

mod auth;
#[cfg(feature = "blob")]
mod blob;

/// Entry points for fuzzing every parser of what Azure Blob sends (the `fuzzing` feature, for
/// `cargo xtask fuzz`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// Every target of this crate.
    pub fn targets() -> Vec<cloud_core::fuzzing::Target> {
        crate::blob::fuzzing::targets()
    }
}
mod cli;
mod credentials;
mod identity;

pub use auth::API_VERSION;
#[cfg(feature = "blob")]
pub use blob::{AzureBlob, AzureBlobBuilder};
pub use credentials::{Credentials, DEV_ACCOUNT, DEV_KEY};
pub use identity::{Identity, AUTHORITY_HOST, IMDS_ENDPOINT, STORAGE_RESOURCE, STORAGE_SCOPE};
