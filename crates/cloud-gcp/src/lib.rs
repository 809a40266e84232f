//! Google Cloud for the `cloud` crates: Cloud Storage (feature `gcs`), tested against
//! gcp-storage-emulator and, for tokens, a token endpoint that checks the JWT's signature.
//!
//! ```
//! use cloud_gcp::GcsBuilder;
//! use cloud_storage::StorageDriver;
//!
//! # fn main() -> cloud_core::Result<()> {
//! // From the environment (here: an emulator, which needs no credentials) …
//! # std::env::set_var("STORAGE_EMULATOR_HOST", "http://127.0.0.1:9023");
//! let gcs = GcsBuilder::from_env().build()?;
//! assert_eq!(gcs.provider(), "gcs");
//!
//! // … or from a service account's key file.
//! # let key = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/service-account.json");
//! let gcs = GcsBuilder::new()
//!     .credentials(cloud_gcp::Credentials::from_file(key)?)
//!     .build()?;
//! # let _ = gcs;
//! # Ok(())
//! # }
//! ```
//!
//! Environment variables read by [`GcsBuilder::from_env`]: `STORAGE_EMULATOR_HOST` (an emulator,
//! without authorization), `GOOGLE_APPLICATION_CREDENTIALS` (a service account's JSON key, an
//! `authorized_user` file, an `external_account` file for workload identity federation, or an
//! `impersonated_service_account` file), `CLOUDSDK_CONFIG` (where gcloud keeps
//! `application_default_credentials.json`, `~/.config/gcloud` by default), `GCE_METADATA_HOST` (the
//! metadata server, when no file is found), `GOOGLE_CLOUD_PROJECT` (or `GCLOUD_PROJECT`; the project
//! buckets are listed and created in) and `GCS_ENDPOINT` (another endpoint).

mod auth;
mod credentials;
mod external;
#[cfg(feature = "gcs")]
mod gcs;
mod impersonated;

/// Entry points for fuzzing every parser of what GCS sends (the `fuzzing` feature, for
/// `cargo xtask fuzz`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// Every target of this crate.
    pub fn targets() -> Vec<cloud_core::fuzzing::Target> {
        crate::gcs::fuzzing::targets()
    }
}

pub use auth::STORAGE_SCOPE;
pub use credentials::{Credentials, ServiceAccountKey, TOKEN_URI};
pub use external::{ExternalAccount, SubjectToken, STS_TOKEN_URL};
#[cfg(feature = "gcs")]
pub use gcs::{Gcs, GcsBuilder};
pub use impersonated::Impersonated;
