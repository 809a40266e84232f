//! Moving whole files between the local disk and any [`StorageDriver`], verified.
//!
//! [`upload_file`] streams a file up and checks that the provider stored exactly what was read.
//! [`download_file`] streams an object into a temporary file beside the destination, checks its length
//! (and checksum, when the provider gives one), and only then renames it into place; on any failure, or
//! if the future is dropped, the partial file is removed and nothing is left at the destination.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use cloud_core::{Error, ErrorKind, Result};
use futures_util::stream::{self, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::checksum::{Checksum, Hasher};
use crate::content_type::guess_content_type;
use crate::driver::{Payload, StorageDriver};
use crate::types::{ByteRange, GetOptions, ObjectMeta, PutOptions};

/// Size of each read from, and write to, local files.
const CHUNK: usize = 1 << 20;
/// Files and objects up to this size are read or written whole, in one trip to the blocking pool.
const SMALL: u64 = 1 << 20;

/// Uploads the file at `path` as `key`. The content type is guessed from `path` unless `options` sets
/// one. Fails with [`ErrorKind::ChecksumMismatch`] if the provider reports storing other bytes than were
/// read (a different size, or a different checksum when it reports one).
pub async fn upload_file(
    driver: &dyn StorageDriver,
    container: &str,
    key: &str,
    path: impl AsRef<Path>,
    options: &PutOptions,
) -> Result<ObjectMeta> {
    upload_file_with_progress(
        driver,
        container,
        key,
        path.as_ref(),
        options,
        no_progress(),
    )
    .await
}

/// Reports how many more bytes a transfer has moved, as it moves them.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

fn no_progress() -> Progress {
    Arc::new(|_| {})
}

/// [`upload_file`], calling `progress` with each chunk's size as it is read.
pub async fn upload_file_with_progress(
    driver: &dyn StorageDriver,
    container: &str,
    key: &str,
    path: &Path,
    options: &PutOptions,
    progress: Progress,
) -> Result<ObjectMeta> {
    let mut options = options.clone();
    if options.content_type.is_none() {
        options.content_type = guess_content_type(&path.to_string_lossy()).map(str::to_owned);
    }
    let hasher = Arc::new(Mutex::new(Hasher::crc32c()));
    let (payload, len) = match open_source(path).await? {
        Source::Small(data) => {
            hasher
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .update(&data);
            progress(data.len() as u64);
            let len = data.len() as u64;
            (Payload::Bytes(data), len)
        }
        Source::Large(file, len) => {
            let stream = file_stream(file, path.to_owned(), hasher.clone(), progress);
            let payload = Payload::Stream {
                stream: stream.boxed(),
                len: Some(len),
            };
            (payload, len)
        }
    };
    let meta = driver.put_object(container, key, payload, &options).await?;
    if meta.size != len {
        return Err(mismatch(format!(
            "{key}: the provider stored {} bytes of the {len} read from {}",
            meta.size,
            path.display()
        )));
    }
    let sent = hasher.lock().unwrap_or_else(|e| e.into_inner()).finish();
    if let Some(stored) = &meta.checksum {
        if std::mem::discriminant(stored) == std::mem::discriminant(&sent) && *stored != sent {
            return Err(mismatch(format!(
                "{key}: the provider stored {stored} but {sent} was sent"
            )));
        }
    }
    Ok(meta)
}

/// A file to upload: small ones are read whole at once.
enum Source {
    Small(Bytes),
    Large(tokio::fs::File, u64),
}

/// Opens `path`, and reads it whole if it is small, in one trip to the blocking pool.
async fn open_source(path: &Path) -> Result<Source> {
    let owned = path.to_owned();
    let opened = tokio::task::spawn_blocking(
        move || -> std::io::Result<(std::fs::File, u64, Option<Vec<u8>>)> {
            use std::io::Read;
            let mut file = std::fs::File::open(&owned)?;
            let len = file.metadata()?.len();
            if len > SMALL {
                return Ok((file, len, None));
            }
            let mut data = Vec::with_capacity(len as usize);
            file.read_to_end(&mut data)?;
            Ok((file, len, Some(data)))
        },
    )
    .await
    .map_err(|e| Error::unexpected("reading a file stopped").with_source(e))?
    .map_err(|e| io_error(e, "reading", path))?;
    Ok(match opened {
        (_, _, Some(data)) => Source::Small(data.into()),
        (file, len, None) => Source::Large(tokio::fs::File::from_std(file), len),
    })
}

/// The file's content as a stream of chunks, feeding `hasher` on the way.
fn file_stream(
    file: tokio::fs::File,
    path: PathBuf,
    hasher: Arc<Mutex<Hasher>>,
    progress: Progress,
) -> impl futures_util::Stream<Item = Result<Bytes>> + Send {
    stream::unfold(Some(file), move |file| {
        let path = path.clone();
        let hasher = hasher.clone();
        let progress = progress.clone();
        async move {
            let mut file = file?;
            let mut buf = BytesMut::with_capacity(CHUNK);
            while buf.len() < CHUNK {
                match file.read_buf(&mut buf).await {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Some((Err(io_error(e, "reading", &path)), None)),
                }
            }
            if buf.is_empty() {
                return None;
            }
            hasher
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .update(&buf);
            progress(buf.len() as u64);
            Some((Ok(buf.freeze()), Some(file)))
        }
    })
}

/// Downloads `key` to `path`, atomically: see the `transfer` module's docs. Returns the object's metadata.
pub async fn download_file(
    driver: &dyn StorageDriver,
    container: &str,
    key: &str,
    path: impl AsRef<Path>,
) -> Result<ObjectMeta> {
    download_file_with_progress(driver, container, key, path.as_ref(), no_progress()).await
}

/// [`download_file`], calling `progress` with each chunk's size as it is written.
pub async fn download_file_with_progress(
    driver: &dyn StorageDriver,
    container: &str,
    key: &str,
    path: &Path,
    progress: Progress,
) -> Result<ObjectMeta> {
    // The driver's own check is skipped: this one covers every driver, and each byte is hashed once.
    let object = driver
        .get_object(container, key, &GetOptions::new().skip_checksum(true))
        .await?;
    let expected = object.range.end - object.range.start;
    let mut hasher = object.meta.checksum.as_ref().and_then(Hasher::like);
    let mut body = object.body;
    let mut received = 0u64;
    let mut destination = if expected <= SMALL {
        Destination::Memory(BytesMut::with_capacity(expected as usize))
    } else {
        let partial = PartialFile::beside(path)?;
        let file = partial.open().await?;
        Destination::File(partial, tokio::io::BufWriter::with_capacity(CHUNK, file))
    };
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        received += chunk.len() as u64;
        if received > expected {
            break;
        }
        if let Some(hasher) = &mut hasher {
            hasher.update(&chunk);
        }
        destination.write(&chunk).await?;
        progress(chunk.len() as u64);
    }
    verify(
        key,
        received,
        expected,
        hasher.as_ref(),
        object.meta.checksum.as_ref(),
    )?;
    destination.commit(path).await?;
    Ok(object.meta)
}

/// Where a download goes until it is verified: memory for small objects (written out in one trip to
/// the blocking pool), a temporary file beside the destination for large ones.
enum Destination {
    Memory(BytesMut),
    File(PartialFile, tokio::io::BufWriter<tokio::fs::File>),
}

impl Destination {
    async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        match self {
            Destination::Memory(data) => data.extend_from_slice(chunk),
            Destination::File(partial, writer) => writer
                .write_all(chunk)
                .await
                .map_err(|e| io_error(e, "writing", partial.path()))?,
        }
        Ok(())
    }

    /// Puts the verified content at `path`.
    async fn commit(self, path: &Path) -> Result<()> {
        match self {
            Destination::Memory(data) => write_whole(path, data.freeze()).await,
            Destination::File(partial, mut writer) => {
                writer
                    .flush()
                    .await
                    .map_err(|e| io_error(e, "writing", partial.path()))?;
                drop(writer);
                partial.commit(path).await
            }
        }
    }
}

/// Fails unless exactly `expected` bytes arrived and, when the provider vouches for a checksum, they
/// match it.
fn verify(
    key: &str,
    received: u64,
    expected: u64,
    hasher: Option<&Hasher>,
    stored: Option<&Checksum>,
) -> Result<()> {
    if received != expected {
        return Err(mismatch(format!(
            "{key}: received {received} bytes but the object has {expected}"
        )));
    }
    if let (Some(hasher), Some(stored)) = (hasher, stored) {
        let got = hasher.finish();
        if got != *stored {
            return Err(mismatch(format!(
                "{key}: received content with {got}, the provider has {stored}"
            )));
        }
    }
    Ok(())
}

/// Writes `data` to `destination` through a temporary file beside it, in one trip to the blocking pool.
async fn write_whole(destination: &Path, data: Bytes) -> Result<()> {
    let partial = PartialFile::beside(destination)?;
    let destination = destination.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(partial.path())
            .map_err(|e| io_error(e, "creating", partial.path()))?;
        file.write_all(&data)
            .map_err(|e| io_error(e, "writing", partial.path()))?;
        drop(file);
        partial.commit_blocking(&destination)
    })
    .await
    .map_err(|e| Error::unexpected("writing a file stopped").with_source(e))?
}

/// Reads the bytes of `range` of an object into memory.
pub async fn download_range(
    driver: &dyn StorageDriver,
    container: &str,
    key: &str,
    range: ByteRange,
) -> Result<Bytes> {
    driver
        .get_object(container, key, &GetOptions::new().range(range))
        .await?
        .bytes()
        .await
}

/// A temporary file beside the destination, removed unless committed.
struct PartialFile {
    path: Option<PathBuf>,
}

impl PartialFile {
    /// A temporary name beside `destination` (same folder, so the final rename is atomic).
    fn beside(destination: &Path) -> Result<PartialFile> {
        let name = destination.file_name().ok_or_else(|| {
            Error::invalid_input(format!("{} names no file", destination.display()))
        })?;
        let dir = destination
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let temp = dir.join(format!(
            ".{}.{:016x}.partial",
            name.to_string_lossy(),
            fastrand::u64(..)
        ));
        Ok(PartialFile { path: Some(temp) })
    }

    fn path(&self) -> &Path {
        self.path.as_deref().unwrap_or(Path::new(""))
    }

    async fn open(&self) -> Result<tokio::fs::File> {
        tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.path())
            .await
            .map_err(|e| io_error(e, "creating", self.path()))
    }

    async fn commit(mut self, destination: &Path) -> Result<()> {
        let temp = self.path.take().unwrap_or_default();
        if let Err(e) = tokio::fs::rename(&temp, destination).await {
            let _ = std::fs::remove_file(&temp);
            return Err(io_error(e, "renaming into", destination));
        }
        Ok(())
    }

    fn commit_blocking(mut self, destination: &Path) -> Result<()> {
        let temp = self.path.take().unwrap_or_default();
        if let Err(e) = std::fs::rename(&temp, destination) {
            let _ = std::fs::remove_file(&temp);
            return Err(io_error(e, "renaming into", destination));
        }
        Ok(())
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if let Some(path) = self.path.take() {
            // Synchronous on purpose: this also runs when the download future is dropped mid-way.
            let _ = std::fs::remove_file(path);
        }
    }
}

fn mismatch(message: String) -> Error {
    Error::new(ErrorKind::ChecksumMismatch, message)
}

fn io_error(err: std::io::Error, doing: &str, path: &Path) -> Error {
    let message = format!("{doing} {}", path.display());
    Error::from(err).with_message(message)
}
