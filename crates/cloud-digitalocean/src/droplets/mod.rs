//! Droplets and what goes with them, over the DigitalOcean API v2.

mod actions;
mod catalog;
mod compute;
mod config;
mod error;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod model;
mod volumes;

pub use catalog::ImageKind;
pub use compute::Droplets;
pub use config::{DropletsBuilder, DEFAULT_ENDPOINT};
