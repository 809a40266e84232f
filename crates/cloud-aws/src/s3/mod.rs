//! S3 and S3-compatible object storage.
//!
//! [`S3`] implements [`StorageDriver`](cloud_storage::StorageDriver): requests are signed with SigV4 on
//! every attempt, objects above a threshold (and streams of unknown length) go up in concurrent parts
//! through the shared multipart engine and are aborted on failure, single PUTs carry a CRC-32C checksum
//! that S3 verifies, and downloads resume after a broken connection without ever mixing versions.
//! Endpoints that are IP addresses or `localhost` use path-style addressing; [`S3Builder`] has presets
//! for MinIO, R2, Spaces, B2, Wasabi and Ceph.

mod config;
mod download;
mod error;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod headers;
mod listing;
mod model;
mod multipart;
mod regions;
mod requests;
mod storage;

pub use config::S3Builder;
pub use storage::S3;
