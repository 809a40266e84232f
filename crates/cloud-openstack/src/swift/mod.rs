//! OpenStack Swift object storage.
//!
//! [`Swift`] implements [`StorageDriver`](cloud_storage::StorageDriver) over Swift's API: requests
//! carry a token from Keystone v3 or tempauth (cached, replaced before it expires, renewed when
//! refused and the refused request sent once more); objects above a threshold, and streams of
//! unknown length, go up as Static Large Objects whose segments upload in parallel and are deleted if
//! the upload fails, or when a later write replaces the object; every write carries its MD5 as `ETag`, which Swift checks, and whole reads of
//! ordinary objects are held to it; downloads resume after a broken connection with `If-Match`.

mod config;
mod download;
mod error;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod headers;
mod model;
mod multipart;
mod presign;
mod replaced;
mod requests;
mod storage;

pub use config::SwiftBuilder;
pub use storage::Swift;
