//! Compute on any provider: the [`ComputeDriver`] trait, its types, and waiting for nodes.
//!
//! A program written against `Arc<dyn ComputeDriver>` runs unchanged on every provider: the simulated
//! memory cloud of `cloud-local`, EC2, and more as they arrive. Drivers are cheap to clone and safe to
//! share across tasks.
//!
//! - [`ComputeDriver`]: nodes (list, create many at once, reboot, start, stop, destroy), sizes, images,
//!   locations, key pairs, volumes and snapshots.
//! - [`wait_until_running`]: one list call per look for every node still awaited, with backoff, a
//!   deadline and cancellation; [`watch_nodes`] streams their state changes.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use cloud_compute::{wait_until_running, ComputeDriver, CreateNode};
//! use cloud_core::PollOptions;
//!
//! /// Starts `count` web servers and waits until all of them run.
//! async fn start_web_servers(cloud: Arc<dyn ComputeDriver>, count: u32) -> cloud_core::Result<usize> {
//!     let request = CreateNode::new("web", "small", "ubuntu-24.04").count(count).tag("role", "web");
//!     let ids: Vec<String> = cloud.create_nodes(&request).await?.into_iter().map(|n| n.id).collect();
//!     let options = PollOptions::default().with_timeout(Some(Duration::from_secs(600)));
//!     Ok(wait_until_running(&*cloud, &ids, &options).await?.len())
//! }
//! ```

mod driver;
mod keys;
mod types;
mod wait;

pub use driver::{ComputeDriver, DESTROYS_AT_ONCE};
pub use keys::check_public_key;
pub use types::{
    Capabilities, CreateNode, CreateVolume, Image, KeyPair, Location, Node, NodeState, Size,
    Snapshot, SnapshotState, Volume, VolumeState,
};
pub use wait::{wait_until_running, watch_nodes, NodeChange};
