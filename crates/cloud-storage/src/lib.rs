//! Object storage on any provider: the [`StorageDriver`] trait, its types, and helpers that work over
//! any driver.
//!
//! A program written against `Arc<dyn StorageDriver>` runs unchanged on every provider: memory and local
//! folders (`cloud-local`), S3 and its kin, GCS, Azure Blob, Swift. Drivers are cheap to clone and safe
//! to share across tasks and threads.
//!
//! - [`StorageDriver`]: containers and objects; listings are lazy streams; reads return metadata and a
//!   byte stream; writes take bytes or a stream of unknown length. [`StorageExt`] adds conveniences.
//! - [`upload_file`], [`download_file`] (atomic, verified, no partial file left behind), [`download_range`],
//!   [`guess_content_type`].
//! - [`multipart`]: the engine that uploads in parts, concurrently and in bounded memory, for providers
//!   that can.
//!
//! ```
//! use std::sync::Arc;
//! use futures_util::TryStreamExt;
//! use cloud_storage::{ListOptions, StorageDriver, StorageExt};
//!
//! /// Copies every object under `prefix` to `backup/`, whatever the provider.
//! async fn back_up(store: Arc<dyn StorageDriver>, container: &str, prefix: &str) -> cloud_core::Result<usize> {
//!     let keys: Vec<String> = store
//!         .list_objects(container, &ListOptions::new().prefix(prefix))
//!         .try_filter_map(|entry| async move { Ok(entry.into_object().map(|o| o.key)) })
//!         .try_collect()
//!         .await?;
//!     for key in &keys {
//!         store.copy_object(container, key, container, &format!("backup/{key}")).await?;
//!     }
//!     Ok(keys.len())
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // Any driver will do; the in-memory one needs no account.
//! let store: Arc<dyn StorageDriver> = Arc::new(cloud_local::MemoryStorage::new());
//! store.create_container("docs").await?;
//! store.put_bytes("docs", "2026/plan.md", "# plan").await?;
//! assert_eq!(back_up(store.clone(), "docs", "2026/").await?, 1);
//! assert_eq!(store.get_bytes("docs", "backup/2026/plan.md").await?, "# plan");
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

mod checksum;
mod content_type;
mod driver;
mod headers;
pub mod multipart;
mod parts;
pub mod resume;
mod transfer;
mod types;

pub use checksum::{crc32c, crc32c_append, verified, Checksum, Hasher};
pub use content_type::guess_content_type;
pub use driver::{
    check_length, list_after, ByteStream, GetResult, Payload, PendingUpload, PresignMethod,
    StorageDriver, StorageExt,
};
pub use headers::object_meta_from_headers;
pub use transfer::{
    download_file, download_file_with_progress, download_range, upload_file,
    upload_file_with_progress, Progress,
};
pub use types::{
    ByteRange, Capabilities, Container, GetOptions, ListEntry, ListOptions, ObjectMeta, PutOptions,
};
