//! The file-system side of [`LocalStorage`](crate::LocalStorage): synchronous operations, each run whole
//! on the blocking pool so one object operation costs one hop off the async threads, not one per
//! system call.
//!
//! Each object's record (content type, user metadata, CRC-32C) is an extended attribute of its file,
//! set on the temporary file before it is renamed into place, so data and record change together in one
//! atomic rename. On file systems without user extended attributes, records are files under
//! `.cloud/meta/`, written after the data under a per-key lock.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{Hash, Hasher as _};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cloud_core::{Error, ErrorKind, Result};
use cloud_storage::{guess_content_type, Checksum, ObjectMeta, PutOptions};
use serde::{Deserialize, Serialize};
use xattr::FileExt;

use crate::names;

const LOCK_STRIPES: usize = 64;
/// The extended attribute that holds an object's record.
const RECORD_ATTR: &str = "user.cloud.record";

/// Where records are kept; decided by the first write.
const RECORDS_UNKNOWN: u8 = 0;
const RECORDS_IN_XATTR: u8 = 1;
const RECORDS_IN_FILES: u8 = 2;

/// The root folder and what every operation on it shares.
#[derive(Debug)]
pub(crate) struct Root {
    pub(crate) path: PathBuf,
    /// Serialise the rename of a file and of its record, per key, so concurrent writers of one key
    /// cannot pair one's data with the other's record.
    locks: Vec<Mutex<()>>,
    tmp_ready: AtomicBool,
    records: AtomicU8,
}

/// What is kept beside each object written here.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Record {
    size: u64,
    modified_ns: u64,
    crc32c: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
}

impl Record {
    /// The record of content of `size` bytes with checksum `crc32c`, written with `options`, for a file
    /// last modified at `modified`.
    pub(crate) fn new(
        size: u64,
        crc32c: u32,
        modified: SystemTime,
        options: &PutOptions,
    ) -> Record {
        Record {
            size,
            modified_ns: nanos(modified),
            crc32c,
            content_type: options.content_type.clone(),
            content_encoding: options.content_encoding.clone(),
            cache_control: options.cache_control.clone(),
            content_disposition: options.content_disposition.clone(),
            metadata: options
                .metadata
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        }
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The metadata of the file `key`, with its record if the record still describes it.
pub(crate) fn object_meta(key: &str, file: &fs::Metadata, record: Option<Record>) -> ObjectMeta {
    let modified = file.modified().unwrap_or(UNIX_EPOCH);
    let mut meta = ObjectMeta::new(key, file.len());
    meta.last_modified = Some(modified);
    // Size and modification time change with every write, and cost nothing to read in a listing.
    meta.etag = Some(format!("\"{:x}-{:x}\"", nanos(modified), file.len()));
    match record.filter(|r| r.size == file.len() && r.modified_ns == nanos(modified)) {
        Some(record) => {
            meta.checksum = Some(Checksum::Crc32c(record.crc32c));
            meta.content_type = record.content_type;
            meta.content_encoding = record.content_encoding;
            meta.cache_control = record.cache_control;
            meta.content_disposition = record.content_disposition;
            meta.metadata = record.metadata;
        }
        None => meta.content_type = guess_content_type(key).map(str::to_owned),
    }
    if meta.content_type.is_none() {
        meta.content_type = Some("application/octet-stream".to_owned());
    }
    meta
}

/// A temporary file, removed when dropped unless [`forget`](TempFile::forget) is called.
pub(crate) struct TempFile(Option<PathBuf>);

impl TempFile {
    pub(crate) fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn forget(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Also runs when a write future is dropped mid-way.
            let _ = fs::remove_file(path);
        }
    }
}

pub(crate) fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    ) || err.raw_os_error() == Some(20)
}

pub(crate) fn no_container(container: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("container {container} does not exist"),
    )
}

pub(crate) fn fs_error(err: io::Error, doing: &str, path: &Path) -> Error {
    let message = format!("{doing} {}", path.display());
    Error::from(err).with_message(message)
}

/// A folder where a file should go, or a file where a folder should: the key clashes with another.
fn placement_error(err: io::Error, key: &str, path: &Path) -> Error {
    let raw = err.raw_os_error();
    let clash = matches!(
        err.kind(),
        io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory | io::ErrorKind::AlreadyExists
    ) || raw == Some(20)
        || raw == Some(21);
    if clash {
        return Error::new(
            ErrorKind::Conflict,
            format!(
                "the key {key} clashes with another object: a folder cannot also be a file here"
            ),
        );
    }
    fs_error(err, "writing", path)
}

impl Root {
    pub(crate) fn new(path: PathBuf) -> Root {
        Root {
            path,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            tmp_ready: AtomicBool::new(false),
            records: AtomicU8::new(RECORDS_UNKNOWN),
        }
    }

    pub(crate) fn container_dir(&self, container: &str) -> Result<PathBuf> {
        names::check_container(container)?;
        Ok(self.path.join(container))
    }

    pub(crate) fn object_path(&self, container: &str, key: &str) -> Result<PathBuf> {
        let mut path = self.container_dir(container)?;
        path.extend(names::key_segments(key)?);
        Ok(path)
    }

    pub(crate) fn records_dir(&self, container: &str) -> PathBuf {
        self.path.join(".cloud").join("meta").join(container)
    }

    fn record_path(&self, container: &str, key: &str) -> PathBuf {
        let mut path = self.records_dir(container);
        path.push(format!("{key}.json"));
        path
    }

    fn lock_for(&self, container: &str, key: &str) -> std::sync::MutexGuard<'_, ()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (container, key).hash(&mut hasher);
        let stripe = &self.locks[hasher.finish() as usize % LOCK_STRIPES];
        stripe.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn require_container(&self, container: &str) -> Result<PathBuf> {
        let dir = self.container_dir(container)?;
        match fs::metadata(&dir) {
            Ok(meta) if meta.is_dir() => Ok(dir),
            Ok(_) => Err(no_container(container)),
            Err(e) if is_missing(&e) => Err(no_container(container)),
            Err(e) => Err(fs_error(e, "reading", &dir)),
        }
    }

    /// Keeps records in files under `.cloud/meta/` instead of extended attributes.
    pub(crate) fn use_record_files(&self) {
        self.records.store(RECORDS_IN_FILES, Ordering::Relaxed);
    }

    fn records_in_files(&self) -> bool {
        self.records.load(Ordering::Relaxed) == RECORDS_IN_FILES
    }

    /// The record of an open object: its extended attribute, or its record file on a root without them.
    fn read_record(&self, file: &fs::File, container: &str, key: &str) -> Option<Record> {
        let bytes = match file.get_xattr(RECORD_ATTR) {
            Ok(Some(bytes)) => bytes,
            _ if self.records_in_files() => fs::read(self.record_path(container, key)).ok()?,
            _ => return None,
        };
        serde_json::from_slice(&bytes).ok()
    }

    /// Opens the object's file and reads its metadata from the open file, so both describe the same
    /// version even if the object is replaced meanwhile.
    pub(crate) fn open(&self, container: &str, key: &str) -> Result<(fs::File, ObjectMeta)> {
        let path = self.object_path(container, key)?;
        let file = match fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if is_missing(&e) => return Err(self.missing(container, key)),
            Err(e) => return Err(fs_error(e, "opening", &path)),
        };
        let stat = file.metadata().map_err(|e| fs_error(e, "reading", &path))?;
        if !stat.is_file() {
            return Err(self.missing(container, key));
        }
        let record = self.read_record(&file, container, key);
        Ok((file, object_meta(key, &stat, record)))
    }

    fn missing(&self, container: &str, key: &str) -> Error {
        match self.require_container(container) {
            Ok(_) => Error::new(
                ErrorKind::NotFound,
                format!("object {key} does not exist in {container}"),
            ),
            Err(err) => err,
        }
    }

    /// Reads `len` bytes from `start` (fewer if the file shrank meanwhile).
    pub(crate) fn read_at(file: &mut fs::File, start: u64, len: u64, key: &str) -> Result<Bytes> {
        file.seek(io::SeekFrom::Start(start))
            .map_err(|e| Error::from(e).with_message(format!("reading {key}")))?;
        let mut buf = Vec::with_capacity(len as usize);
        file.take(len)
            .read_to_end(&mut buf)
            .map_err(|e| Error::from(e).with_message(format!("reading {key}")))?;
        Ok(buf.into())
    }

    /// A new temporary file in the root's own folder (on the same file system, so renames are atomic).
    pub(crate) fn temp_file(&self) -> Result<(TempFile, fs::File)> {
        let dir = self.path.join(".cloud").join("tmp");
        if !self.tmp_ready.load(Ordering::Relaxed) {
            fs::create_dir_all(&dir).map_err(|e| fs_error(e, "creating", &dir))?;
            self.tmp_ready.store(true, Ordering::Relaxed);
        }
        let temp = TempFile(Some(
            dir.join(format!("{:016x}.partial", fastrand::u64(..))),
        ));
        let file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp.path())
            .map_err(|e| fs_error(e, "creating", temp.path()))?;
        Ok((temp, file))
    }

    /// Writes `data` whole as `key`: into a temporary file, then renamed into place.
    pub(crate) fn put_small(
        &self,
        container: &str,
        key: &str,
        data: &[u8],
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let (temp, mut file) = self.temp_file()?;
        file.write_all(data)
            .map_err(|e| fs_error(e, "writing", temp.path()))?;
        self.install(container, key, temp, file, crc32c::crc32c(data), options)
    }

    /// Moves a finished temporary file (still open as `file`) to `key` with its record, and returns the
    /// object's metadata.
    pub(crate) fn install(
        &self,
        container: &str,
        key: &str,
        temp: TempFile,
        file: fs::File,
        crc32c: u32,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let target = self.object_path(container, key)?;
        // The record names the file's size and modification time; a rename changes neither.
        let stat = file
            .metadata()
            .map_err(|e| fs_error(e, "reading", temp.path()))?;
        let record = Record::new(
            stat.len(),
            crc32c,
            stat.modified().unwrap_or(UNIX_EPOCH),
            options,
        );
        let record_bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::unexpected("encoding a record").with_source(e))?;
        let in_xattr =
            !self.records_in_files() && self.set_record_attr(&file, &record_bytes, temp.path())?;
        drop(file);
        let _guard = (!in_xattr).then(|| self.lock_for(container, key));
        self.rename_into_place(&temp, &target, container, key)?;
        temp.forget();
        if !in_xattr {
            self.write_record_file(container, key, &record_bytes)?;
        }
        Ok(object_meta(key, &stat, Some(record)))
    }

    /// Sets the record attribute; `false` (and records in files from now on) where the file system
    /// has no user extended attributes.
    fn set_record_attr(&self, file: &fs::File, record: &[u8], path: &Path) -> Result<bool> {
        match file.set_xattr(RECORD_ATTR, record) {
            Ok(()) => {
                self.records.store(RECORDS_IN_XATTR, Ordering::Relaxed);
                Ok(true)
            }
            Err(e)
                if matches!(e.kind(), io::ErrorKind::Unsupported)
                    || e.raw_os_error() == Some(95) =>
            {
                self.records.store(RECORDS_IN_FILES, Ordering::Relaxed);
                Ok(false)
            }
            Err(e) => Err(fs_error(e, "recording metadata of", path)),
        }
    }

    /// Renames `temp` to `target`, making the folders on the way only when the first try shows they
    /// are missing (they usually exist).
    fn rename_into_place(
        &self,
        temp: &TempFile,
        target: &Path,
        container: &str,
        key: &str,
    ) -> Result<()> {
        match fs::rename(temp.path(), target) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(placement_error(e, key, target)),
        }
        // Never create the container itself: it must exist already.
        self.require_container(container)?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| placement_error(e, key, parent))?;
        }
        fs::rename(temp.path(), target).map_err(|e| placement_error(e, key, target))
    }

    fn write_record_file(&self, container: &str, key: &str, record: &[u8]) -> Result<()> {
        let record_path = self.record_path(container, key);
        if let Some(parent) = record_path.parent() {
            fs::create_dir_all(parent).map_err(|e| fs_error(e, "creating", parent))?;
        }
        let temp = TempFile(Some(
            record_path.with_extension(format!("{:016x}.partial", fastrand::u64(..))),
        ));
        fs::write(temp.path(), record).map_err(|e| fs_error(e, "writing", temp.path()))?;
        fs::rename(temp.path(), &record_path).map_err(|e| fs_error(e, "writing", &record_path))?;
        temp.forget();
        Ok(())
    }

    /// Deletes `key` and its record, then any folders left empty.
    pub(crate) fn delete(&self, container: &str, key: &str) -> Result<()> {
        let target = self.object_path(container, key)?;
        let dir = self.require_container(container)?;
        let in_files = self.records_in_files();
        let _guard = in_files.then(|| self.lock_for(container, key));
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_file() => {
                fs::remove_file(&target).map_err(|e| fs_error(e, "deleting", &target))?
            }
            // A folder (the key is only a prefix of others): there is no such object.
            Ok(_) => return Ok(()),
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(fs_error(e, "deleting", &target)),
        }
        prune(target.parent(), &dir);
        if in_files {
            let record_path = self.record_path(container, key);
            let _ = fs::remove_file(&record_path);
            prune(record_path.parent(), &self.records_dir(container));
        }
        Ok(())
    }
}

/// Removes empty folders from `dir` up to (not including) `stop`.
fn prune(dir: Option<&Path>, stop: &Path) {
    let mut dir = dir.map(Path::to_path_buf);
    while let Some(current) = dir {
        if current == stop || !current.starts_with(stop) || fs::remove_dir(&current).is_err() {
            break;
        }
        dir = current.parent().map(Path::to_path_buf);
    }
}
