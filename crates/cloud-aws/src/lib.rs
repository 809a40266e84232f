//! Amazon Web Services for the `cloud` crates: S3 and every S3-compatible service (feature `s3`), and EC2
//! compute (feature `ec2`).
//!
//! ```
//! use cloud_aws::{Credentials, S3Builder};
//! use cloud_storage::StorageDriver;
//!
//! # fn main() -> cloud_core::Result<()> {
//! // From the environment (AWS_ACCESS_KEY_ID, AWS_REGION, AWS_ENDPOINT_URL, AWS_PROFILE, …) …
//! # std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
//! # std::env::set_var("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
//! let s3 = S3Builder::from_env().build()?;
//! assert_eq!(s3.provider(), "s3");
//!
//! // … or explicitly, for an S3-compatible service.
//! let spaces = S3Builder::spaces("ams3").credentials(Credentials::new("key", "secret")).build()?;
//! assert_eq!(spaces.provider(), "spaces");
//! # Ok(())
//! # }
//! ```

mod auth;
mod credentials;
#[cfg(feature = "ec2")]
mod ec2;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod query_errors;
#[cfg(feature = "s3")]
mod s3;
mod signer;

pub use credentials::{
    caller_identity, instance_region, CallerIdentity, Credentials, DefaultChain,
};
#[cfg(feature = "ec2")]
pub use ec2::{Ec2, Ec2Builder};
#[cfg(feature = "s3")]
pub use s3::{S3Builder, S3};
