//! Compute: the [`ComputeDriver`] API and its providers.
//!
//! Everything of [`cloud_compute`] is here, and with the `local` feature the simulated [`MemoryCompute`].
//!
//! ```
//! # #[cfg(feature = "local")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use cloud::compute::{ComputeDriver, CreateNode, MemoryCompute};
//!
//! let cloud = MemoryCompute::new();
//! let nodes = cloud.create_nodes(&CreateNode::new("web", "small", "ubuntu-24.04").count(3)).await?;
//! assert_eq!(nodes.len(), 3);
//! # Ok::<(), cloud::Error>(())
//! # }).unwrap();
//! ```

use std::sync::Arc;

pub use cloud_compute::*;
use cloud_core::{Error, Result};

#[cfg(feature = "aws")]
pub use cloud_aws::{Ec2, Ec2Builder};
#[cfg(feature = "digitalocean")]
pub use cloud_digitalocean::{Droplets, DropletsBuilder, ImageKind};
#[cfg(feature = "local")]
pub use cloud_local::{MemoryCompute, MemoryComputeBuilder, Timing};
#[cfg(feature = "openstack")]
pub use cloud_openstack::{ImageApi, Nova, NovaBuilder};

/// The compute driver called `name`: `memory` (a new simulated cloud, with the `local` feature), `ec2`
/// (configured from the `AWS_*` environment and profiles, with the `aws` feature), `digitalocean`
/// (from `DIGITALOCEAN_TOKEN` and the other variables of `DropletsBuilder::from_env`, with the
/// `digitalocean` feature) or `openstack` (Nova, from the `OS_*` variables or `OS_CLOUD` as
/// `NovaBuilder::from_env` reads them, with the `openstack` feature).
///
/// ```
/// # #[cfg(feature = "local")]
/// # {
/// let cloud = cloud::compute::from_name("memory")?;
/// assert_eq!(cloud.provider(), "memory");
/// # }
/// # Ok::<(), cloud::Error>(())
/// ```
pub fn from_name(name: &str) -> Result<Arc<dyn ComputeDriver>> {
    from_name_at(name, None)
}

/// [`from_name`], with requests sent to `endpoint` instead of the provider's own (a test server, a
/// proxy) where one is given.
pub fn from_name_at(name: &str, endpoint: Option<&str>) -> Result<Arc<dyn ComputeDriver>> {
    let _ = endpoint;
    match name {
        #[cfg(feature = "local")]
        "memory" => Ok(Arc::new(MemoryCompute::new())),
        #[cfg(feature = "aws")]
        "ec2" => {
            let mut builder = Ec2Builder::from_env();
            if let Some(endpoint) = endpoint {
                builder = builder.endpoint(endpoint);
            }
            Ok(Arc::new(builder.build()?))
        }
        #[cfg(feature = "digitalocean")]
        "digitalocean" => {
            let mut builder = DropletsBuilder::from_env();
            if let Some(endpoint) = endpoint {
                builder = builder.endpoint(endpoint);
            }
            Ok(Arc::new(builder.build()?))
        }
        #[cfg(feature = "openstack")]
        "openstack" | "nova" => {
            let mut builder = NovaBuilder::from_env();
            if let Some(endpoint) = endpoint {
                builder = builder.compute_url(endpoint);
            }
            Ok(Arc::new(builder.build()?))
        }
        other => Err(Error::unsupported(format!(
            "no compute provider {other:?} in this build"
        ))),
    }
}
