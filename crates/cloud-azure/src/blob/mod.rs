//! Azure Blob Storage (block blobs).
//!
//! [`AzureBlob`] implements [`StorageDriver`](cloud_storage::StorageDriver) over the Blob REST API
//! (`x-ms-version` pinned to [`API_VERSION`](crate::API_VERSION)): requests are signed with Shared Key
//! on every attempt (or carry a SAS token, or an Entra ID bearer token), blobs above a threshold (and streams of unknown length) go
//! up as blocks in parallel through the shared multipart engine and appear only when the block list
//! is committed, every write carries its `Content-MD5` and whole reads are held to the blob's MD5, and
//! downloads resume after a broken connection with `If-Match`, never mixing versions.

mod config;
mod delegation;
mod download;
mod error;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod headers;
mod listing;
mod model;
mod multipart;
mod requests;
mod storage;

pub use config::AzureBlobBuilder;
pub use storage::AzureBlob;
