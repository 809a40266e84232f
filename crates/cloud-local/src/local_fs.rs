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
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use cap_fs_ext::DirExt as _;
use cap_std::fs::Dir;
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

/// Where writes in progress go, beneath the root.
const TMP_DIR: &str = ".cloud/tmp";

/// The root folder and what every operation on it shares.
#[derive(Debug)]
pub(crate) struct Root {
    pub(crate) path: PathBuf,
    /// The root, opened: every path is resolved beneath it.
    dir: Dir,
    /// Serialise the rename of a file and of its record, per key, so concurrent writers of one key
    /// cannot pair one's data with the other's record.
    locks: Vec<Mutex<()>>,
    tmp: OnceLock<Arc<Dir>>,
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

/// The size and modification time of a file, as `cap-std` reports them.
pub(crate) fn size_and_time(file: &cap_std::fs::Metadata) -> (u64, SystemTime) {
    let modified = file.modified().map_or(UNIX_EPOCH, |t| t.into_std());
    (file.len(), modified)
}

/// The metadata of the file `key` of `size` bytes last modified at `modified`, with its record if the
/// record still describes it.
pub(crate) fn object_meta(
    key: &str,
    (size, modified): (u64, SystemTime),
    record: Option<Record>,
) -> ObjectMeta {
    let mut meta = ObjectMeta::new(key, size);
    meta.last_modified = Some(modified);
    // Size and modification time change with every write, and cost nothing to read in a listing.
    meta.etag = Some(format!("\"{:x}-{:x}\"", nanos(modified), size));
    match record.filter(|r| r.size == size && r.modified_ns == nanos(modified)) {
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

/// A temporary file in `dir`, removed when dropped unless [`forget`](TempFile::forget) is called.
pub(crate) struct TempFile {
    dir: Arc<Dir>,
    name: Option<String>,
    /// Where it is, for messages.
    shown: PathBuf,
}

impl TempFile {
    pub(crate) fn path(&self) -> &Path {
        &self.shown
    }

    fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    fn forget(mut self) {
        self.name = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(name) = self.name.take() {
            // Also runs when a write future is dropped mid-way.
            let _ = self.dir.remove_file(name);
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
    if is_escape(&err) {
        return Error::new(
            ErrorKind::PermissionDenied,
            format!(
                "refused {doing} {}: a symbolic link on the way leads outside its container",
                path.display()
            ),
        );
    }
    let message = format!("{doing} {}", path.display());
    Error::from(err).with_message(message)
}

/// Whether `cap-std` refused a path because it would leave the directory it is resolved beneath.
fn is_escape(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::PermissionDenied
        && err.raw_os_error().is_none()
        && err.to_string().contains("outside")
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
    /// Opens the folder `path` (which must exist) as a root.
    pub(crate) fn new(path: PathBuf) -> Result<Root> {
        let dir = Dir::open_ambient_dir(&path, cap_std::ambient_authority())
            .map_err(|e| fs_error(e, "opening the root", &path))?;
        Ok(Root {
            path,
            dir,
            locks: (0..LOCK_STRIPES).map(|_| Mutex::new(())).collect(),
            tmp: OnceLock::new(),
            records: AtomicU8::new(RECORDS_UNKNOWN),
        })
    }

    /// The root, opened.
    pub(crate) fn dir(&self) -> &Dir {
        &self.dir
    }

    /// Where `rel` (beneath the root) is, for messages.
    pub(crate) fn shown(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }

    /// The key's path beneath its container's folder.
    pub(crate) fn key_path(key: &str) -> Result<PathBuf> {
        Ok(names::key_segments(key)?.into_iter().collect())
    }

    pub(crate) fn records_dir(container: &str) -> PathBuf {
        Path::new(".cloud/meta").join(container)
    }

    fn record_path(container: &str, key: &str) -> PathBuf {
        Root::records_dir(container).join(format!("{key}.json"))
    }

    fn lock_for(&self, container: &str, key: &str) -> std::sync::MutexGuard<'_, ()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (container, key).hash(&mut hasher);
        let stripe = &self.locks[hasher.finish() as usize % LOCK_STRIPES];
        stripe.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the container's folder. A container is a real folder in the root: a symbolic link is
    /// none, wherever it points.
    pub(crate) fn container(&self, container: &str) -> Result<Dir> {
        names::check_container(container)?;
        match self.dir.open_dir_nofollow(container) {
            Ok(dir) => Ok(dir),
            // A link (ELOOP) or a file: not a container.
            Err(e) if is_missing(&e) || e.raw_os_error() == Some(40) => {
                Err(no_container(container))
            }
            Err(e) => Err(fs_error(e, "opening", &self.shown(container))),
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
            _ if self.records_in_files() => {
                self.dir.read(Root::record_path(container, key)).ok()?
            }
            _ => return None,
        };
        serde_json::from_slice(&bytes).ok()
    }

    /// Opens the object's file and reads its metadata from the open file, so both describe the same
    /// version even if the object is replaced meanwhile.
    pub(crate) fn open(&self, container: &str, key: &str) -> Result<(fs::File, ObjectMeta)> {
        let rel = Root::key_path(key)?;
        let dir = self.container(container)?;
        let shown = || self.shown(Path::new(container).join(&rel));
        let file = match dir.open(&rel) {
            Ok(file) => file.into_std(),
            Err(e) if is_missing(&e) => return Err(missing(container, key)),
            Err(e) => return Err(fs_error(e, "opening", &shown())),
        };
        let stat = file
            .metadata()
            .map_err(|e| fs_error(e, "reading", &shown()))?;
        if !stat.is_file() {
            return Err(missing(container, key));
        }
        let record = self.read_record(&file, container, key);
        let modified = stat.modified().unwrap_or(UNIX_EPOCH);
        Ok((file, object_meta(key, (stat.len(), modified), record)))
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

    /// The folder of writes in progress, made on first use.
    fn tmp_dir(&self) -> Result<Arc<Dir>> {
        if let Some(dir) = self.tmp.get() {
            return Ok(dir.clone());
        }
        let shown = self.shown(TMP_DIR);
        self.dir
            .create_dir_all(TMP_DIR)
            .map_err(|e| fs_error(e, "creating", &shown))?;
        let dir = self
            .dir
            .open_dir(TMP_DIR)
            .map_err(|e| fs_error(e, "opening", &shown))?;
        Ok(self.tmp.get_or_init(|| Arc::new(dir)).clone())
    }

    /// A new temporary file in the root's own folder (on the same file system, so renames are atomic).
    pub(crate) fn temp_file(&self) -> Result<(TempFile, fs::File)> {
        let dir = self.tmp_dir()?;
        let name = format!("{:016x}.partial", fastrand::u64(..));
        let shown = self.shown(Path::new(TMP_DIR).join(&name));
        let mut options = cap_std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        let file = dir
            .open_with(&name, &options)
            .map_err(|e| fs_error(e, "creating", &shown))?;
        let temp = TempFile {
            dir,
            name: Some(name),
            shown,
        };
        Ok((temp, file.into_std()))
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
        self.install(
            container,
            key,
            temp,
            file,
            cloud_storage::crc32c(data),
            options,
        )
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
        let rel = Root::key_path(key)?;
        // The record names the file's size and modification time; a rename changes neither.
        let stat = file
            .metadata()
            .map_err(|e| fs_error(e, "reading", temp.path()))?;
        let modified = stat.modified().unwrap_or(UNIX_EPOCH);
        let record = Record::new(stat.len(), crc32c, modified, options);
        let record_bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::unexpected("encoding a record").with_source(e))?;
        let in_xattr =
            !self.records_in_files() && self.set_record_attr(&file, &record_bytes, temp.path())?;
        drop(file);
        let dir = self.container(container)?;
        let _guard = (!in_xattr).then(|| self.lock_for(container, key));
        let shown = self.shown(Path::new(container).join(&rel));
        rename_into_place(&temp, &dir, &rel, key, &shown)?;
        temp.forget();
        if !in_xattr {
            self.write_record_file(container, key, &record_bytes)?;
        }
        Ok(object_meta(key, (stat.len(), modified), Some(record)))
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

    fn write_record_file(&self, container: &str, key: &str, record: &[u8]) -> Result<()> {
        let record_path = Root::record_path(container, key);
        let shown = self.shown(&record_path);
        if let Some(parent) = record_path.parent() {
            self.dir
                .create_dir_all(parent)
                .map_err(|e| fs_error(e, "creating", &self.shown(parent)))?;
        }
        let temp = record_path.with_extension(format!("{:016x}.partial", fastrand::u64(..)));
        self.dir
            .write(&temp, record)
            .map_err(|e| fs_error(e, "writing", &shown))?;
        if let Err(e) = self.dir.rename(&temp, &self.dir, &record_path) {
            let _ = self.dir.remove_file(&temp);
            return Err(fs_error(e, "writing", &shown));
        }
        Ok(())
    }

    /// Deletes `key` and its record, then any folders left empty.
    pub(crate) fn delete(&self, container: &str, key: &str) -> Result<()> {
        let rel = Root::key_path(key)?;
        let dir = self.container(container)?;
        let shown = || self.shown(Path::new(container).join(&rel));
        let in_files = self.records_in_files();
        let _guard = in_files.then(|| self.lock_for(container, key));
        match dir.symlink_metadata(&rel) {
            Ok(meta) if meta.is_file() => dir
                .remove_file(&rel)
                .map_err(|e| fs_error(e, "deleting", &shown()))?,
            // A folder (the key is only a prefix of others) or a link: there is no such object.
            Ok(_) => return Ok(()),
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(fs_error(e, "deleting", &shown())),
        }
        prune(&dir, rel.parent());
        if in_files {
            let record_path = Root::record_path(container, key);
            let _ = self.dir.remove_file(&record_path);
            if let Ok(records) = self.dir.open_dir(Root::records_dir(container)) {
                let below = record_path.strip_prefix(Root::records_dir(container)).ok();
                prune(&records, below.and_then(Path::parent));
            }
        }
        Ok(())
    }
}

fn missing(container: &str, key: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("object {key} does not exist in {container}"),
    )
}

/// Renames `temp` to `rel` beneath `dir`, making the folders on the way only when the first try shows
/// they are missing (they usually exist).
fn rename_into_place(
    temp: &TempFile,
    dir: &Dir,
    rel: &Path,
    key: &str,
    shown: &Path,
) -> Result<()> {
    match temp.dir.rename(temp.name(), dir, rel) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(placement_error(e, key, shown)),
    }
    if let Some(parent) = rel.parent() {
        dir.create_dir_all(parent)
            .map_err(|e| placement_error(e, key, shown))?;
    }
    temp.dir
        .rename(temp.name(), dir, rel)
        .map_err(|e| placement_error(e, key, shown))
}

/// Removes empty folders beneath `dir`, from `rel` up to (not including) `dir` itself.
fn prune(dir: &Dir, rel: Option<&Path>) {
    let mut current = rel;
    while let Some(folder) = current.filter(|p| !p.as_os_str().is_empty()) {
        if dir.remove_dir(folder).is_err() {
            break;
        }
        current = folder.parent();
    }
}
