//! Servers and what goes with them, over Nova (compute API v2.1), Glance v2 and Cinder v3.

mod catalog;
mod compute;
mod config;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod model;
mod volumes;

pub use compute::Nova;
pub use config::{ImageApi, NovaBuilder};
