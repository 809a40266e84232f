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

pub use cloud_compute::*;

#[cfg(feature = "local")]
pub use cloud_local::{MemoryCompute, MemoryComputeBuilder, Timing};
