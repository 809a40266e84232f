//! Providers that need no cloud: a local folder and this process's memory.
//!
//! - [`LocalStorage`]: containers are folders under a root, objects are files (keys with `/` nest), their
//!   metadata is kept beside them; writes are atomic.
//! - [`MemoryStorage`]: everything in memory, behaving like a cloud (paged listings, multipart uploads,
//!   typed errors) with [`Faults`] to inject on request, for testing code that uses the `cloud` crates.
//! - [`MemoryCompute`] (feature `compute`): a simulated compute cloud whose nodes change state as time
//!   passes, with real OpenSSH key pairs, volumes and snapshots.
//!
//! ```
//! use cloud_local::LocalStorage;
//! use cloud_storage::{StorageDriver, StorageExt};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let root = tempfile::tempdir().unwrap();
//! let store = LocalStorage::new(root.path())?;
//! store.create_container("notes").await?;
//! store.put_bytes("notes", "2026/11/25.txt", "shipped").await?;
//! assert!(root.path().join("notes/2026/11/25.txt").is_file(), "objects are plain files");
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "storage")]
mod conditions;
#[cfg(any(feature = "storage", feature = "compute"))]
mod faults;
#[cfg(feature = "storage")]
mod listing;
#[cfg(feature = "storage")]
mod local_fs;
#[cfg(feature = "storage")]
mod local_storage;
#[cfg(feature = "storage")]
mod local_walk;
#[cfg(feature = "compute")]
mod memory_compute;
#[cfg(feature = "storage")]
mod memory_storage;
#[cfg(feature = "storage")]
mod names;

#[cfg(any(feature = "storage", feature = "compute"))]
pub use faults::Faults;
#[cfg(feature = "storage")]
pub use local_storage::LocalStorage;
#[cfg(feature = "compute")]
pub use memory_compute::{MemoryCompute, MemoryComputeBuilder, Timing};
#[cfg(feature = "storage")]
pub use memory_storage::{MemoryStorage, MemoryStorageBuilder};
