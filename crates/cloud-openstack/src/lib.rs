//! OpenStack for the `cloud` crates: Swift object storage (feature `swift`) and Nova compute with
//! Glance images and Cinder volumes (feature `nova`), with Keystone v3 (password or application
//! credential), Keystone v2.0 and tempauth; tested against a Swift cluster on loopback, against mimic
//! for Nova, and against Keystone's, Nova's and Cinder's documented answers.
//!
//! ```
//! use cloud_openstack::{Credentials, SwiftBuilder};
//! use cloud_storage::StorageDriver;
//!
//! # fn main() -> cloud_core::Result<()> {
//! // From an OpenStack RC file's variables …
//! # std::env::set_var("OS_AUTH_URL", "https://keystone.example.com:5000/v3");
//! # std::env::set_var("OS_USERNAME", "demo");
//! # std::env::set_var("OS_PASSWORD", "secret");
//! # std::env::set_var("OS_PROJECT_NAME", "demo");
//! let swift = SwiftBuilder::from_env().build()?;
//! assert_eq!(swift.provider(), "swift");
//!
//! // … or a test cluster's tempauth.
//! let swift = SwiftBuilder::new()
//!     .credentials(Credentials::tempauth("http://127.0.0.1:8080/auth/v1.0", "test:tester", "testing"))
//!     .build()?;
//! # let _ = swift;
//!
//! // Nova, from the same variables (compute, image and volume endpoints come from the catalog).
//! # #[cfg(feature = "nova")]
//! # {
//! use cloud_compute::ComputeDriver;
//! let nova = cloud_openstack::NovaBuilder::from_env().region("RegionOne").build()?;
//! assert_eq!(nova.provider(), "openstack");
//! # }
//! # Ok(())
//! # }
//! ```
//!
//! Environment variables read by [`SwiftBuilder::from_env`]: `OS_AUTH_URL`, `OS_USERNAME`,
//! `OS_PASSWORD`, `OS_PROJECT_NAME` (or `OS_TENANT_NAME`), `OS_USER_DOMAIN_NAME`,
//! `OS_PROJECT_DOMAIN_NAME`, `OS_APPLICATION_CREDENTIAL_ID`, `OS_APPLICATION_CREDENTIAL_SECRET`,
//! `OS_AUTH_TYPE` (`v1password` for tempauth), `OS_REGION_NAME`, `OS_INTERFACE` (`public` by
//! default), `OS_STORAGE_URL` with `OS_AUTH_TOKEN` (a token obtained elsewhere) and
//! `OS_TEMP_URL_KEY`; or `OS_CLOUD`, which picks a cloud of `clouds.yaml` ([`CloudConfig`], with
//! `OS_CLIENT_CONFIG_FILE` and `OS_CLIENT_SECURE_FILE`). `NovaBuilder::from_env` reads the same
//! credentials, region and interface, with `OS_COMPUTE_API_URL`, `OS_COMPUTE_SERVICE_NAME` and
//! `OS_AVAILABILITY_ZONE`. An auth URL ending in `/v2.0` speaks Keystone v2.0.

#[cfg(any(feature = "swift", feature = "nova"))]
mod auth;
mod clouds;
mod connect;
mod credentials;
#[cfg(any(feature = "swift", feature = "nova"))]
mod error;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(feature = "nova")]
mod nova;
#[cfg(feature = "swift")]
mod swift;

pub use clouds::CloudConfig;
pub use credentials::Credentials;
#[cfg(feature = "nova")]
pub use nova::{ImageApi, Nova, NovaBuilder};
#[cfg(feature = "swift")]
pub use swift::{Swift, SwiftBuilder};
