//! The multipart engine: uploads a stream in parts, concurrently, in bounded memory, for any provider
//! that uploads in parts.
//!
//! A provider implements [`MultipartUpload`] for one upload in progress; [`upload_in_parts`] does the rest:
//! it cuts the stream into parts of `part_size` bytes (slices of the stream's own buffers, not copies),
//! keeps at most `concurrency` parts in flight (so
//! memory stays within `(concurrency + 1) × part_size`), retries each failed part on its own, completes
//! the upload with the parts in order, and aborts it on any failure **or when its future is dropped**, so
//! no orphaned upload is left behind.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use bytes::Bytes;
//! use cloud_core::{async_trait, Result};
//! use cloud_storage::multipart::{upload_in_parts, MultipartConfig, MultipartUpload, Part, PartData};
//! use cloud_storage::{ObjectMeta, Payload};
//!
//! /// Collects parts in memory.
//! #[derive(Debug, Default)]
//! struct InMemory(Mutex<Vec<(u32, Bytes)>>);
//!
//! #[async_trait]
//! impl MultipartUpload for InMemory {
//!     async fn put_part(&self, number: u32, data: PartData) -> Result<Part> {
//!         let size = data.len() as u64;
//!         self.0.lock().unwrap().push((number, data.to_bytes()));
//!         Ok(Part::new(number, format!("part-{number}"), size))
//!     }
//!     async fn complete(&self, parts: Vec<Part>) -> Result<ObjectMeta> {
//!         Ok(ObjectMeta::new("key", parts.iter().map(|p| p.size).sum()))
//!     }
//!     async fn abort(&self) -> Result<()> {
//!         Ok(())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
//! let upload = Arc::new(InMemory::default());
//! let config = MultipartConfig::new().part_size(4).concurrency(2);
//! let payload = Payload::from("0123456789");
//! let meta = upload_in_parts(upload.clone(), payload.into_stream(), &config).await?;
//! assert_eq!(meta.size, 10);
//! assert_eq!(upload.0.lock().unwrap().len(), 3, "parts of 4, 4 and 2 bytes");
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use crate::parts::PartData;
use crate::parts::Pending;
use async_trait::async_trait;
use cloud_core::{Error, ErrorKind, Result};
use futures_util::stream::StreamExt;
use tokio::task::{JoinError, JoinSet};
use tracing::Instrument;

use crate::checksum::Checksum;
use crate::driver::{ByteStream, Payload};
use crate::types::ObjectMeta;

/// One uploaded part, as the provider acknowledged it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Part {
    /// The part's number, from 1.
    pub number: u32,
    /// The provider's tag for the part, needed to complete the upload.
    pub etag: String,
    /// The part's size in bytes.
    pub size: u64,
    /// The checksum sent with the part, where the provider wants it repeated when completing.
    pub checksum: Option<Checksum>,
}

impl Part {
    /// Part `number` with the provider's `etag`, of `size` bytes.
    pub fn new(number: u32, etag: impl Into<String>, size: u64) -> Part {
        Part {
            number,
            etag: etag.into(),
            size,
            checksum: None,
        }
    }

    /// The same part, with the checksum it was sent with.
    pub fn with_checksum(mut self, checksum: Checksum) -> Part {
        self.checksum = Some(checksum);
        self
    }
}

/// One multipart upload in progress, as a provider implements it.
#[async_trait]
pub trait MultipartUpload: Send + Sync + fmt::Debug {
    /// Uploads part `number` (from 1). Called concurrently for different parts.
    async fn put_part(&self, number: u32, data: PartData) -> Result<Part>;

    /// Joins the parts, given in order, into the object.
    async fn complete(&self, parts: Vec<Part>) -> Result<ObjectMeta>;

    /// Abandons the upload and frees its parts.
    async fn abort(&self) -> Result<()>;
}

/// How to upload in parts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultipartConfig {
    /// Bytes per part (the last may be smaller). Default 8 MiB.
    pub part_size: usize,
    /// Parts uploading at once. Default 8.
    pub concurrency: usize,
    /// Attempts per part for failures that may pass (transport errors, timeouts, throttling). Default 3.
    pub part_attempts: u32,
    /// The most parts one upload may have (S3's limit is 10,000). Default 10,000.
    pub max_parts: u32,
    /// Part sizes were chosen for a known length; do not grow them.
    sized: bool,
}

impl MultipartConfig {
    /// 8 MiB parts, 8 in flight, 3 attempts each.
    pub fn new() -> MultipartConfig {
        MultipartConfig {
            part_size: 8 << 20,
            concurrency: 8,
            part_attempts: 3,
            max_parts: 10_000,
            sized: false,
        }
    }

    /// Sets the part size (at least 1 byte; providers have their own minimum, S3's is 5 MiB).
    pub fn part_size(mut self, bytes: usize) -> MultipartConfig {
        self.part_size = bytes.max(1);
        self
    }

    /// Sets how many parts upload at once (at least 1).
    pub fn concurrency(mut self, parts: usize) -> MultipartConfig {
        self.concurrency = parts.max(1);
        self
    }

    /// Sets the attempts per part (at least 1).
    pub fn part_attempts(mut self, attempts: u32) -> MultipartConfig {
        self.part_attempts = attempts.max(1);
        self
    }

    /// Sets the most parts one upload may have (at least 5).
    pub fn max_parts(mut self, parts: u32) -> MultipartConfig {
        self.max_parts = parts.max(5);
        self
    }

    /// The settings for an upload of `len` bytes: parts large enough that `max_parts` of them hold it,
    /// so a terabyte goes up in (fewer, larger) parts instead of failing at part 10,001. For a stream of
    /// unknown length (`None`), part sizes double every `max_parts / 5` parts instead, as the stream
    /// turns out long.
    pub fn for_length(&self, len: Option<u64>) -> MultipartConfig {
        let mut config = self.clone();
        if let Some(len) = len {
            let needed = len.div_ceil(u64::from(self.max_parts)) as usize;
            config.part_size = config.part_size.max(needed);
            config.sized = true;
        }
        config
    }

    /// The size of part `number` (from 1).
    fn part_size_at(&self, number: u32) -> usize {
        if self.sized {
            return self.part_size;
        }
        let doublings = (number.saturating_sub(1) / (self.max_parts / 5).max(1)).min(8);
        self.part_size << doublings
    }

    /// The most payload bytes held in memory at once (for streams of unknown length, while parts keep
    /// their first size).
    pub fn memory_bound(&self) -> usize {
        (self.concurrency + 1) * self.part_size
    }
}

impl Default for MultipartConfig {
    fn default() -> MultipartConfig {
        MultipartConfig::new()
    }
}

/// Aborts the upload if dropped before [`disarm`](AbortGuard::disarm): the future was cancelled.
struct AbortGuard {
    upload: Option<Arc<dyn MultipartUpload>>,
}

impl AbortGuard {
    fn armed(upload: Arc<dyn MultipartUpload>) -> AbortGuard {
        AbortGuard {
            upload: Some(upload),
        }
    }

    fn disarm(&mut self) {
        self.upload = None;
    }

    async fn abort_now(&mut self) {
        if let Some(upload) = self.upload.take() {
            if let Err(err) = upload.abort().await {
                tracing::warn!(error = %err, "aborting a failed multipart upload failed");
            }
        }
    }
}

impl Drop for AbortGuard {
    fn drop(&mut self) {
        let Some(upload) = self.upload.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(err) = upload.abort().await {
                        tracing::warn!(error = %err, "aborting a cancelled multipart upload failed");
                    }
                });
            }
            Err(_) => tracing::warn!(
                "a multipart upload was cancelled outside a runtime and could not be aborted"
            ),
        }
    }
}

/// Uploads `stream` through `upload` in parts, then completes it; aborts it on failure or cancellation.
/// See the [module docs](self).
pub async fn upload_in_parts(
    upload: Arc<dyn MultipartUpload>,
    stream: ByteStream,
    config: &MultipartConfig,
) -> Result<ObjectMeta> {
    upload_guarded(AbortGuard::armed(upload), stream, config).await
}

/// [`upload_in_parts`] for the upload `guard` holds.
async fn upload_guarded(
    mut guard: AbortGuard,
    mut stream: ByteStream,
    config: &MultipartConfig,
) -> Result<ObjectMeta> {
    let upload = guard
        .upload
        .clone()
        .expect("an armed guard holds its upload");
    match send_parts(&upload, &mut stream, config).await {
        Ok((parts, total)) => match upload.complete(parts).await {
            Ok(meta) => {
                guard.disarm();
                if meta.size != total {
                    return Err(Error::new(
                        ErrorKind::ChecksumMismatch,
                        format!(
                            "the provider stored {} bytes of the {total} sent",
                            meta.size
                        ),
                    ));
                }
                Ok(meta)
            }
            Err(err) => {
                guard.abort_now().await;
                Err(err)
            }
        },
        Err(err) => {
            guard.abort_now().await;
            Err(err)
        }
    }
}

/// What [`upload_if_large`] did with a payload.
#[derive(Debug)]
pub enum ByLength {
    /// It went up in parts; the object as stored.
    InParts(ObjectMeta),
    /// It is small enough for one request: here it is back.
    Small(Payload),
}

/// Uploads `payload` in parts when it is larger than `threshold` bytes or of unknown length, through
/// the upload `begin` starts, with `config` sized for the declared length and the stored size held to
/// the declared one; hands a smaller payload back for the provider's single request.
///
/// `begin` runs as a task of its own, to its end even if the caller is cancelled meanwhile: an upload
/// the server has made but whose answer never reached anyone would be left behind unknown. The task
/// hands the upload over already under its abort guard, so one that no caller takes is aborted.
pub async fn upload_if_large<F, Fut>(
    payload: Payload,
    threshold: u64,
    config: &MultipartConfig,
    begin: F,
) -> Result<ByLength>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Arc<dyn MultipartUpload>>> + Send + 'static,
{
    let declared = payload.len();
    if declared.is_some_and(|len| len <= threshold) {
        return Ok(ByLength::Small(payload));
    }
    let (handed, taken) = tokio::sync::oneshot::channel();
    let started = begin();
    tokio::spawn(async move {
        let guarded = started.await.map(AbortGuard::armed);
        // Refused (the caller is gone), the guard is dropped here and aborts the upload; left unread
        // in the channel, it is dropped with it.
        let _ = handed.send(guarded);
    });
    let guard = taken
        .await
        .map_err(|_| Error::unexpected("the task starting the multipart upload ended early"))??;
    // Boxed, so that every put's future (moved whole as it is handed around) holds a pointer
    // rather than the state of a multipart upload.
    let meta = Box::pin(upload_guarded(
        guard,
        payload.into_stream(),
        &config.for_length(declared),
    ))
    .await?;
    crate::driver::check_length(meta.size, declared)?;
    Ok(ByLength::InParts(meta))
}

/// Sends every part, at most `concurrency` at once; returns them in order with the total size.
///
/// Parts run as tasks of their own, so they make progress (and hash on other cores) while the next part
/// is read. On failure the parts still in flight are awaited before the error returns: a part whose
/// request already reached the server could otherwise be stored after the abort ran, and stay orphaned.
/// Dropping this future drops the tasks with it.
async fn send_parts(
    upload: &Arc<dyn MultipartUpload>,
    stream: &mut ByteStream,
    config: &MultipartConfig,
) -> Result<(Vec<Part>, u64)> {
    let mut in_flight = JoinSet::new();
    let result = fill_parts(upload, stream, config, &mut in_flight).await;
    if result.is_err() {
        while in_flight.join_next().await.is_some() {}
    }
    result
}

async fn fill_parts(
    upload: &Arc<dyn MultipartUpload>,
    stream: &mut ByteStream,
    config: &MultipartConfig,
    in_flight: &mut JoinSet<Result<Part>>,
) -> Result<(Vec<Part>, u64)> {
    let mut done = Vec::new();
    let mut pending = Pending::default();
    let mut number = 0u32;
    let mut total = 0u64;
    let mut ended = false;
    while !ended {
        match stream.next().await {
            Some(chunk) => {
                let chunk = chunk?;
                total += chunk.len() as u64;
                pending.push(chunk);
            }
            None => ended = true,
        }
        // Full parts go now; the rest waits for more data, or goes last (an empty stream still sends
        // one empty part, since an upload needs at least one).
        while pending.len() >= config.part_size_at(number + 1)
            || (ended && (pending.len() > 0 || number == 0))
        {
            let data = pending.take(config.part_size_at(number + 1));
            number += 1;
            if number > config.max_parts {
                return Err(Error::invalid_input(format!(
                    "the upload needs more than {} parts; raise the part size",
                    config.max_parts
                )));
            }
            let part = put_part(upload.clone(), number, data, config.part_attempts);
            in_flight.spawn(part.instrument(tracing::Span::current()));
            // Bound memory: wait for a part to finish before reading more.
            while in_flight.len() >= config.concurrency {
                done.push(joined(in_flight.join_next().await)?);
            }
            if pending.len() == 0 && ended {
                break;
            }
        }
    }
    while let Some(part) = in_flight.join_next().await {
        done.push(joined(Some(part))?);
    }
    done.sort_by_key(|p| p.number);
    Ok((done, total))
}

/// A finished part task's result; a panicking part is an error, not a lost part.
fn joined(task: Option<std::result::Result<Result<Part>, JoinError>>) -> Result<Part> {
    match task {
        Some(Ok(part)) => part,
        Some(Err(err)) => Err(Error::unexpected(format!("a part's task failed: {err}"))),
        None => Err(Error::unexpected("no part was in flight")),
    }
}

async fn put_part(
    upload: Arc<dyn MultipartUpload>,
    number: u32,
    data: PartData,
    attempts: u32,
) -> Result<Part> {
    let mut attempt = 1;
    loop {
        match upload.put_part(number, data.clone()).await {
            Ok(part) => return Ok(part),
            Err(err) if attempt < attempts && may_pass(&err) => {
                tracing::debug!(part = number, attempt, error = %err, "retrying a part");
                tokio::time::sleep(Duration::from_millis(100 << attempt.min(6))).await;
                attempt += 1;
            }
            Err(err) => {
                let message = format!("part {number}: {}", err.message().unwrap_or("failed"));
                return Err(err.with_message(message));
            }
        }
    }
}

fn may_pass(err: &Error) -> bool {
    err.kind().may_pass()
}

#[cfg(test)]
#[path = "multipart_tests.rs"]
mod tests;
