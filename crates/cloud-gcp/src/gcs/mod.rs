//! Google Cloud Storage over its JSON API.
//!
//! [`Gcs`] implements [`StorageDriver`](cloud_storage::StorageDriver): requests carry OAuth tokens
//! refreshed before they expire (or nothing, for the emulator); small objects go up in one request
//! that GCS checks against the CRC-32C and MD5 it carries, large ones and streams through a resumable
//! session that picks up after a broken connection and is cancelled on failure; whole reads are held
//! to the object's CRC-32C, and downloads resume from the same generation, never mixing versions.

mod config;
mod download;
mod error;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod headers;
mod model;
mod multipart;
mod presign;
mod requests;
mod storage;

pub use config::GcsBuilder;
pub use storage::Gcs;
