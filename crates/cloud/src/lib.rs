//! One async API for object storage and compute across clouds, with drivers that are safe to
//! share: every driver is `Clone + Send + Sync + 'static`, and all clones share one connection pool.
//!
//! - [`storage`]: containers and objects on any provider, chosen at compile time or from a URL at run
//!   time (`local://`, `memory://`, and each cloud provider as its feature is enabled).
//! - [`compute`]: nodes, sizes, images, locations, key pairs, volumes and snapshots on any provider, and
//!   waiting for many nodes at the cost of one list call per look.
//! - [`blocking`] (feature `blocking`): the same for code without an async runtime, callable from any
//!   number of threads at once.
//! - [`core`]: the HTTP client, errors, pagination and polling the providers share.
//!
//! ```
//! use cloud::storage::{self, StorageExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> cloud::Result<()> {
//! let (store, url) = storage::from_url("memory://demo")?;
//! let container = url.container().unwrap();
//! store.create_container(container).await?;
//! store.put_bytes(container, "hello.txt", "hello, world").await?;
//! assert_eq!(store.get_bytes(container, "hello.txt").await?, "hello, world");
//! # Ok(())
//! # }
//! ```

pub use cloud_core as core;
pub use cloud_core::{Error, ErrorKind, Result};

/// The AWS provider crate, for what has no place in the common API (credential providers, STS).
#[cfg(feature = "aws")]
pub use cloud_aws as aws;

#[cfg(all(feature = "blocking", feature = "storage"))]
pub mod blocking;
#[cfg(feature = "compute")]
pub mod compute;
#[cfg(feature = "storage")]
pub mod storage;
