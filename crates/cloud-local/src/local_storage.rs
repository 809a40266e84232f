//! Object storage in a local folder.
//!
//! Layout under the root:
//! - `<container>/<key>`: each object is a plain file; keys with `/` nest in folders.
//! - `.cloud/meta/<container>/<key>.json`: content type, user metadata and CRC-32C of each object
//!   written here, with the size and modification time of the file they describe. A file changed by
//!   other means no longer matches its record, and is then served as a plain file.
//! - `.cloud/tmp/`: writes in progress. Every write goes to a temporary file first and is renamed into
//!   place whole, so readers and concurrent writers never see a torn file.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher as _};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use cloud_core::{Error, ErrorKind, Result};
use cloud_storage::{
    guess_content_type, Capabilities, Checksum, Container, GetOptions, GetResult, Hasher,
    ListEntry, ListOptions, ObjectMeta, Payload, PendingUpload, PutOptions, StorageDriver,
};
use futures_util::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::conditions;
use crate::local_walk::{holds_any_file, Walk};
use crate::names;

const CHUNK: usize = 1 << 20;
const PAGE_SIZE: usize = 1000;
const LOCK_STRIPES: usize = 64;

/// Object storage in a folder: containers are folders, objects are files. See the module docs for the
/// layout. Clones share everything.
#[derive(Clone, Debug)]
pub struct LocalStorage {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    root: PathBuf,
    /// Serialise the rename of a file and of its metadata record, per key, so concurrent writers of one
    /// key cannot pair one's data with the other's record.
    locks: Vec<tokio::sync::Mutex<()>>,
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

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// The metadata of the file `key`, with its record if the record still describes it.
pub(crate) fn object_meta(
    key: &str,
    file: &std::fs::Metadata,
    record: Option<Record>,
) -> ObjectMeta {
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

impl LocalStorage {
    /// Storage rooted at `root`, which is created if missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<LocalStorage> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| fs_error(e, "creating the root", &root))?;
        Ok(LocalStorage {
            inner: Arc::new(Inner {
                root,
                locks: (0..LOCK_STRIPES)
                    .map(|_| tokio::sync::Mutex::new(()))
                    .collect(),
            }),
        })
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    fn container_dir(&self, container: &str) -> Result<PathBuf> {
        names::check_container(container)?;
        Ok(self.inner.root.join(container))
    }

    fn object_path(&self, container: &str, key: &str) -> Result<PathBuf> {
        let mut path = self.container_dir(container)?;
        path.extend(names::key_segments(key)?);
        Ok(path)
    }

    fn record_path(&self, container: &str, key: &str) -> PathBuf {
        let mut path = self.inner.root.join(".cloud").join("meta").join(container);
        path.push(format!("{key}.json"));
        path
    }

    fn lock_for(&self, container: &str, key: &str) -> &tokio::sync::Mutex<()> {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (container, key).hash(&mut hasher);
        &self.inner.locks[hasher.finish() as usize % LOCK_STRIPES]
    }

    async fn require_container(&self, container: &str) -> Result<PathBuf> {
        let dir = self.container_dir(container)?;
        match tokio::fs::metadata(&dir).await {
            Ok(meta) if meta.is_dir() => Ok(dir),
            Ok(_) => Err(no_container(container)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(no_container(container)),
            Err(e) => Err(fs_error(e, "reading", &dir)),
        }
    }

    async fn read_record(&self, container: &str, key: &str) -> Option<Record> {
        let bytes = tokio::fs::read(self.record_path(container, key))
            .await
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Opens the object's file and reads its metadata from the open file, so both describe the same
    /// version even if the object is replaced meanwhile.
    async fn open(&self, container: &str, key: &str) -> Result<(tokio::fs::File, ObjectMeta)> {
        let path = self.object_path(container, key)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if is_missing(&e) => return Err(self.missing(container, key).await),
            Err(e) => return Err(fs_error(e, "opening", &path)),
        };
        let stat = file
            .metadata()
            .await
            .map_err(|e| fs_error(e, "reading", &path))?;
        if !stat.is_file() {
            return Err(self.missing(container, key).await);
        }
        let record = self.read_record(container, key).await;
        Ok((file, object_meta(key, &stat, record)))
    }

    async fn missing(&self, container: &str, key: &str) -> Error {
        match self.require_container(container).await {
            Ok(_) => Error::new(
                ErrorKind::NotFound,
                format!("object {key} does not exist in {container}"),
            ),
            Err(err) => err,
        }
    }

    /// Writes the payload into a temporary file; returns it with its size and checksum.
    async fn write_temporary(&self, payload: Payload) -> Result<(TempFile, u64, u32)> {
        let tmp_dir = self.inner.root.join(".cloud").join("tmp");
        tokio::fs::create_dir_all(&tmp_dir)
            .await
            .map_err(|e| fs_error(e, "creating", &tmp_dir))?;
        let temp = TempFile(Some(
            tmp_dir.join(format!("{:016x}.partial", fastrand::u64(..))),
        ));
        let file = tokio::fs::File::create(temp.path())
            .await
            .map_err(|e| fs_error(e, "creating", temp.path()))?;
        let declared = payload.len();
        let mut writer = tokio::io::BufWriter::with_capacity(CHUNK, file);
        let mut hasher = Hasher::crc32c();
        let mut size = 0u64;
        let mut stream = payload.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            hasher.update(&chunk);
            writer
                .write_all(&chunk)
                .await
                .map_err(|e| fs_error(e, "writing", temp.path()))?;
        }
        cloud_storage::check_length(size, declared)?;
        writer
            .flush()
            .await
            .map_err(|e| fs_error(e, "writing", temp.path()))?;
        let Checksum::Crc32c(crc) = hasher.finish() else {
            unreachable!("a crc32c hasher gives a crc32c checksum");
        };
        Ok((temp, size, crc))
    }

    /// Moves a finished temporary file to `key`, with its record.
    async fn install(
        &self,
        container: &str,
        key: &str,
        temp: TempFile,
        record: Record,
    ) -> Result<()> {
        let target = self.object_path(container, key)?;
        let record_path = self.record_path(container, key);
        let record_bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::unexpected("encoding a record").with_source(e))?;
        let _guard = self.lock_for(container, key).lock().await;
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| self.placement_error(e, key, parent))?;
        }
        tokio::fs::rename(temp.path(), &target)
            .await
            .map_err(|e| self.placement_error(e, key, &target))?;
        temp.forget();
        // The record is written beside the data after it, atomically too; a reader that sees new data
        // with an old record notices the mismatch and ignores the record.
        if let Some(parent) = record_path.parent() {
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| fs_error(e, "creating", parent))?;
        }
        let record_temp = TempFile(Some(
            record_path.with_extension(format!("{:016x}.partial", fastrand::u64(..))),
        ));
        tokio::fs::write(record_temp.path(), &record_bytes)
            .await
            .map_err(|e| fs_error(e, "writing", record_temp.path()))?;
        tokio::fs::rename(record_temp.path(), &record_path)
            .await
            .map_err(|e| fs_error(e, "writing", &record_path))?;
        record_temp.forget();
        Ok(())
    }

    fn placement_error(&self, err: io::Error, key: &str, path: &Path) -> Error {
        // A folder where a file should go, or a file where a folder should: the key clashes with another.
        let raw = err.raw_os_error();
        if matches!(
            err.kind(),
            io::ErrorKind::NotADirectory
                | io::ErrorKind::IsADirectory
                | io::ErrorKind::AlreadyExists
        ) || raw == Some(20)
            || raw == Some(21)
        {
            return Error::new(
                ErrorKind::Conflict,
                format!("the key {key} clashes with another object: a folder cannot also be a file here"),
            );
        }
        fs_error(err, "writing", path)
    }

    /// Removes empty folders from `dir` up to (not including) `stop`.
    async fn prune(dir: Option<&Path>, stop: &Path) {
        let mut dir = dir.map(Path::to_path_buf);
        while let Some(current) = dir {
            if current == stop
                || !current.starts_with(stop)
                || tokio::fs::remove_dir(&current).await.is_err()
            {
                break;
            }
            dir = current.parent().map(Path::to_path_buf);
        }
    }
}

/// A temporary file, removed when dropped unless [`forget`](TempFile::forget) is called.
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn forget(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            // Synchronous on purpose: this also runs when a write future is dropped mid-way.
            let _ = std::fs::remove_file(path);
        }
    }
}

fn is_missing(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    ) || err.raw_os_error() == Some(20)
}

fn no_container(container: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("container {container} does not exist"),
    )
}

fn fs_error(err: io::Error, doing: &str, path: &Path) -> Error {
    let message = format!("{doing} {}", path.display());
    Error::from(err).with_message(message)
}

#[async_trait]
impl StorageDriver for LocalStorage {
    fn provider(&self) -> &'static str {
        "local"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.list_delimiter = true;
        caps.list_start_after = true;
        caps.range_reads = true;
        caps.conditional_reads = true;
        caps.copy = true;
        caps.user_metadata = true;
        caps
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let root = self.inner.root.clone();
        stream::once(async move {
            let mut dir = tokio::fs::read_dir(&root)
                .await
                .map_err(|e| fs_error(e, "reading", &root))?;
            let mut containers = Vec::new();
            while let Some(entry) = dir
                .next_entry()
                .await
                .map_err(|e| fs_error(e, "reading", &root))?
            {
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let Ok(meta) = entry.metadata().await else {
                    continue;
                };
                if meta.is_dir() && names::check_container(&name).is_ok() {
                    let mut container = Container::new(name);
                    container.created = meta.created().or_else(|_| meta.modified()).ok();
                    containers.push(container);
                }
            }
            containers.sort_by(|a, b| a.name.cmp(&b.name));
            Ok::<_, Error>(containers)
        })
        .flat_map(|listed| match listed {
            Ok(containers) => stream::iter(containers.into_iter().map(Ok)).boxed(),
            Err(err) => stream::once(async move { Err(err) }).boxed(),
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        let dir = self.require_container(container).await?;
        let meta = tokio::fs::metadata(&dir)
            .await
            .map_err(|e| fs_error(e, "reading", &dir))?;
        let mut result = Container::new(container);
        result.created = meta.created().or_else(|_| meta.modified()).ok();
        Ok(result)
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        let dir = self.container_dir(container)?;
        match tokio::fs::create_dir(&dir).await {
            Ok(()) => self.get_container(container).await,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("container {container} exists"),
            )),
            Err(e) => Err(fs_error(e, "creating", &dir)),
        }
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        let dir = self.require_container(container).await?;
        let probe = dir.clone();
        let occupied = tokio::task::spawn_blocking(move || holds_any_file(&probe))
            .await
            .map_err(|e| Error::unexpected("the folder check stopped").with_source(e))?
            .map_err(|e| fs_error(e, "reading", &dir))?;
        if occupied {
            return Err(Error::new(
                ErrorKind::NotEmpty,
                format!("container {container} is not empty"),
            ));
        }
        tokio::fs::remove_dir_all(&dir)
            .await
            .map_err(|e| fs_error(e, "deleting", &dir))?;
        let records = self.inner.root.join(".cloud").join("meta").join(container);
        let _ = tokio::fs::remove_dir_all(records).await;
        Ok(())
    }

    fn list_objects(
        &self,
        container: &str,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<ListEntry>> {
        let this = self.clone();
        let container = container.to_owned();
        let options = options.clone();
        let page_size = options.page_size.unwrap_or(PAGE_SIZE);
        let start = async move {
            let dir = this.require_container(&container).await?;
            let opened = dir.clone();
            let walk = tokio::task::spawn_blocking(move || Walk::new(opened, &options))
                .await
                .map_err(|e| Error::unexpected("the listing stopped").with_source(e))?
                .map_err(|e| fs_error(e, "listing", &dir))?;
            Ok::<_, Error>((walk, dir))
        };
        stream::once(start)
            .flat_map(move |started| match started {
                Err(err) => stream::once(async move { Err(err) }).boxed(),
                Ok((walk, dir)) => pages(walk, dir, page_size).boxed(),
            })
            .boxed()
    }

    async fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        Ok(self.open(container, key).await?.1)
    }

    async fn get_object(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<GetResult> {
        let (mut file, meta) = self.open(container, key).await?;
        conditions::check(options, &meta)?;
        let range = match options.range {
            Some(range) => range.resolve(meta.size)?,
            None => 0..meta.size,
        };
        if range.start > 0 {
            file.seek(io::SeekFrom::Start(range.start))
                .await
                .map_err(|e| Error::from(e).with_message(format!("reading {key}")))?;
        }
        let remaining = range.end - range.start;
        let body = stream::unfold((file, remaining), |(mut file, remaining)| async move {
            if remaining == 0 {
                return None;
            }
            let want = remaining.min(CHUNK as u64) as usize;
            let mut buf = BytesMut::with_capacity(want);
            while buf.len() < want {
                match file.read_buf(&mut buf).await {
                    // The file shrank under us: end early, and let the reader notice the short body.
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) => return Some((Err(Error::from(e)), (file, 0))),
                }
            }
            if buf.is_empty() {
                return None;
            }
            let left = remaining - buf.len() as u64;
            Some((Ok(Bytes::from(buf)), (file, left)))
        });
        Ok(GetResult {
            meta,
            range,
            body: body.boxed(),
        })
    }

    async fn put_object(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        // Refuse bad names before touching anything.
        let target = self.object_path(container, key)?;
        self.require_container(container).await?;
        let (temp, size, crc) = self.write_temporary(payload).await?;
        let stat = tokio::fs::metadata(temp.path())
            .await
            .map_err(|e| fs_error(e, "reading", temp.path()))?;
        let record = Record {
            size,
            modified_ns: nanos(stat.modified().unwrap_or(UNIX_EPOCH)),
            crc32c: crc,
            content_type: options.content_type.clone(),
            content_encoding: options.content_encoding.clone(),
            cache_control: options.cache_control.clone(),
            content_disposition: options.content_disposition.clone(),
            metadata: options
                .metadata
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        };
        self.install(container, key, temp, record).await?;
        let installed = tokio::fs::metadata(&target)
            .await
            .map_err(|e| fs_error(e, "reading", &target))?;
        let record = self.read_record(container, key).await;
        Ok(object_meta(key, &installed, record))
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        let target = self.object_path(container, key)?;
        let dir = self.require_container(container).await?;
        let record_path = self.record_path(container, key);
        let _guard = self.lock_for(container, key).lock().await;
        match tokio::fs::symlink_metadata(&target).await {
            Ok(meta) if meta.is_file() => {
                tokio::fs::remove_file(&target)
                    .await
                    .map_err(|e| fs_error(e, "deleting", &target))?;
            }
            // A folder (the key is only a prefix of others) or nothing: there is no such object.
            Ok(_) => return Ok(()),
            Err(e) if is_missing(&e) => {}
            Err(e) => return Err(fs_error(e, "deleting", &target)),
        }
        let _ = tokio::fs::remove_file(&record_path).await;
        LocalStorage::prune(target.parent(), &dir).await;
        let records = self.inner.root.join(".cloud").join("meta").join(container);
        LocalStorage::prune(record_path.parent(), &records).await;
        Ok(())
    }

    async fn list_pending_uploads(&self, container: &str) -> Result<Vec<PendingUpload>> {
        // Writes go straight to a temporary file; there are never multipart uploads to list.
        self.require_container(container).await?;
        Ok(Vec::new())
    }
}

/// The entries of a walk, a page at a time, each page read on the blocking pool.
fn pages(
    walk: Walk,
    dir: PathBuf,
    page_size: usize,
) -> impl futures_util::Stream<Item = Result<ListEntry>> + Send {
    stream::unfold(Some(walk), move |walk| {
        let dir = dir.clone();
        async move {
            let mut walk = walk?;
            let read = tokio::task::spawn_blocking(move || {
                let page = walk.next_page(page_size);
                (walk, page)
            })
            .await;
            match read {
                Err(e) => Some((
                    vec![Err(Error::unexpected("the listing stopped").with_source(e))],
                    None,
                )),
                Ok((_, Err(e))) => Some((vec![Err(fs_error(e, "listing", &dir))], None)),
                Ok((_, Ok(page))) if page.len() < page_size => {
                    (!page.is_empty()).then(|| (page.into_iter().map(Ok).collect(), None))
                }
                Ok((walk, Ok(page))) => Some((page.into_iter().map(Ok).collect(), Some(walk))),
            }
        }
    })
    .flat_map(stream::iter)
}
