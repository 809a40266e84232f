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
//! `AZURE_STORAGE_USE_EMULATOR`.

mod auth;
#[cfg(feature = "blob")]
mod blob;
mod credentials;

pub use auth::API_VERSION;
#[cfg(feature = "blob")]
pub use blob::{AzureBlob, AzureBlobBuilder};
pub use credentials::{Credentials, DEV_ACCOUNT, DEV_KEY};
