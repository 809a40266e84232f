//! DigitalOcean for the `cloud` crates: Droplets compute (feature `droplets`), with images, sizes,
//! regions, SSH keys, volumes and snapshots. Spaces (object storage) is S3-compatible and lives in
//! `cloud-aws` as `S3Builder::spaces`.
//!
//! ```
//! use cloud_compute::ComputeDriver;
//! use cloud_digitalocean::DropletsBuilder;
//!
//! # fn main() -> cloud_core::Result<()> {
//! // From the environment (DIGITALOCEAN_TOKEN, DIGITALOCEAN_API_URL, DIGITALOCEAN_REGION) …
//! # std::env::set_var("DIGITALOCEAN_TOKEN", "dop_v1_example");
//! let droplets = DropletsBuilder::from_env().build()?;
//! assert_eq!(droplets.provider(), "digitalocean");
//!
//! // … or explicitly.
//! let droplets = DropletsBuilder::new()
//!     .token("dop_v1_example")
//!     .region("ams3")
//!     .build()?;
//! # let _ = droplets;
//! # Ok(())
//! # }
//! ```
//!
//! Environment variables read by [`DropletsBuilder::from_env`]: `DIGITALOCEAN_TOKEN` (or
//! `DIGITALOCEAN_ACCESS_TOKEN`), `DIGITALOCEAN_API_URL` (another endpoint than
//! `https://api.digitalocean.com`, such as a mock server) and `DIGITALOCEAN_REGION` (where nodes and
//! volumes go when a request names no location).

mod credentials;
#[cfg(feature = "droplets")]
mod droplets;

/// Entry points for fuzzing every parser of what the API sends (the `fuzzing` feature, for
/// `cargo xtask fuzz`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// Every target of this crate.
    pub fn targets() -> Vec<cloud_core::fuzzing::Target> {
        crate::droplets::fuzzing::targets()
    }
}

pub use credentials::{token_from_env, TOKEN_VARIABLES};
#[cfg(feature = "droplets")]
pub use droplets::{Droplets, DropletsBuilder, ImageKind, DEFAULT_ENDPOINT};
