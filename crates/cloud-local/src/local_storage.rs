//! Object storage in a local folder.
//!
//! Layout under the root:
//! - `<container>/<key>`: each object is a plain file; keys with `/` nest in folders.
//! - a record of each object written here (content type, user metadata, CRC-32C, and the size and
//!   modification time of the file it describes), in the extended attribute `user.cloud.record` of the
//!   object's file, or in `.cloud/meta/<container>/<key>.json` where the file system has no extended
//!   attributes. A file changed by other means no longer matches its record, and is then served as a
//!   plain file.
//! - `.cloud/tmp/`: writes in progress. Every write goes to a temporary file first and is renamed into
//!   place whole, so readers and concurrent writers never see a torn file.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cap_std::fs::Dir;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use cloud_core::{paginate, Error, Page, Result};
use cloud_storage::{
    Capabilities, Container, GetOptions, GetResult, Hasher, ListEntry, ListOptions, ObjectMeta,
    Payload, PendingUpload, PutOptions, StorageDriver,
};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::conditions;
use crate::local_fs::{fs_error, Root};
use crate::local_walk::{holds_any_file, Walk};

const CHUNK: usize = 1 << 20;
/// Objects up to this size are read or written whole, in one trip to the blocking pool.
const SMALL: u64 = 1 << 20;
const PAGE_SIZE: usize = 1000;

/// Object storage in a folder: containers are folders, objects are files. See the module docs for the
/// layout. Clones share everything.
#[derive(Clone, Debug)]
pub struct LocalStorage {
    root: Arc<Root>,
}

impl LocalStorage {
    /// Storage rooted at `root`, which is created if missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<LocalStorage> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| fs_error(e, "creating the root", &root))?;
        Ok(LocalStorage {
            root: Arc::new(Root::new(root)?),
        })
    }

    /// Keeps each object's record (content type, metadata, checksum) in a file under `.cloud/meta/`
    /// rather than in an extended attribute of the object's file: for trees copied by tools that drop
    /// extended attributes. File systems without user extended attributes get this anyway.
    pub fn with_record_files(self) -> LocalStorage {
        self.root.use_record_files();
        self
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root.path
    }

    /// Runs file-system work on the blocking pool, in one trip.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Root) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || work(&root))
            .await
            .map_err(|e| Error::unexpected("a file-system task stopped").with_source(e))?
    }

    /// Streams a payload of unknown or large size into a temporary file, then installs it.
    async fn put_streamed(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let owned = container.to_owned();
        let (temp, file) = self
            .blocking(move |root| {
                root.container(&owned)?;
                root.temp_file()
            })
            .await?;
        let declared = payload.len();
        let mut writer =
            tokio::io::BufWriter::with_capacity(CHUNK, tokio::fs::File::from_std(file));
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
        let file = writer.into_inner().into_std().await;
        let cloud_storage::Checksum::Crc32c(crc) = hasher.finish() else {
            unreachable!("a crc32c hasher gives a crc32c checksum");
        };
        let (container, key, options) = (container.to_owned(), key.to_owned(), options.clone());
        self.blocking(move |root| root.install(&container, &key, temp, file, crc, &options))
            .await
    }
}

/// When a folder was made, or else last changed.
fn created(meta: &cap_std::fs::Metadata) -> Option<std::time::SystemTime> {
    meta.created()
        .or_else(|_| meta.modified())
        .ok()
        .map(|t| t.into_std())
}

/// An object opened for reading: small ones are read whole at once.
enum Opened {
    Read(ObjectMeta, std::ops::Range<u64>, Bytes),
    File(ObjectMeta, std::ops::Range<u64>, std::fs::File),
}

#[async_trait]
impl StorageDriver for LocalStorage {
    fn provider(&self) -> &'static str {
        "local"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        // No URLs to sign, no parts (writes go straight to a temporary file), and a file cannot also be
        // a folder.
        caps.presign = false;
        caps.multipart = false;
        caps.key_is_also_prefix = false;
        caps
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let this = self.clone();
        // One page: a folder's entries are read at once.
        paginate(move |_: Option<()>| {
            let this = this.clone();
            async move {
                let containers = this
                    .blocking(|root| {
                        let entries = root
                            .dir()
                            .entries()
                            .map_err(|e| fs_error(e, "reading", &root.path))?;
                        let mut containers = Vec::new();
                        for entry in entries.flatten() {
                            // Links are not containers, wherever they point.
                            let (Ok(name), Ok(meta)) =
                                (entry.file_name().into_string(), entry.metadata())
                            else {
                                continue;
                            };
                            if meta.is_dir() && crate::names::check_container(&name).is_ok() {
                                let mut container = Container::new(name);
                                container.created = created(&meta);
                                containers.push(container);
                            }
                        }
                        containers.sort_by(|a, b| a.name.cmp(&b.name));
                        Ok(containers)
                    })
                    .await?;
                Ok(Page::new(containers, None))
            }
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        let name = container.to_owned();
        self.blocking(move |root| {
            let meta = root
                .container(&name)?
                .dir_metadata()
                .map_err(|e| fs_error(e, "reading", &root.shown(&name)))?;
            let mut result = Container::new(name);
            result.created = created(&meta);
            Ok(result)
        })
        .await
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        crate::names::check_container(container)?;
        let name = container.to_owned();
        self.blocking(move |root| match root.dir().create_dir(&name) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(Error::new(
                cloud_core::ErrorKind::AlreadyExists,
                format!("container {name} exists"),
            )),
            Err(e) => Err(fs_error(e, "creating", &root.shown(&name))),
        })
        .await?;
        self.get_container(container).await
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        let name = container.to_owned();
        self.blocking(move |root| {
            let dir = root.container(&name)?;
            let shown = root.shown(&name);
            if holds_any_file(&dir).map_err(|e| fs_error(e, "reading", &shown))? {
                return Err(Error::new(
                    cloud_core::ErrorKind::NotEmpty,
                    format!("container {name} is not empty"),
                ));
            }
            // Beneath the root's handle: links inside are removed, never followed.
            root.dir()
                .remove_dir_all(&name)
                .map_err(|e| fs_error(e, "deleting", &shown))?;
            let _ = root.dir().remove_dir_all(Root::records_dir(&name));
            Ok(())
        })
        .await
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
            this.blocking(move |root| {
                let dir: Dir = root.container(&container)?;
                let shown = root.shown(&container);
                let walk = Walk::new(dir, &options).map_err(|e| fs_error(e, "listing", &shown))?;
                Ok((walk, shown))
            })
            .await
        };
        stream::once(start)
            .flat_map(move |started| match started {
                Err(err) => stream::once(async move { Err(err) }).boxed(),
                Ok((walk, dir)) => pages(walk, dir, page_size).boxed(),
            })
            .boxed()
    }

    async fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        let (container, key) = (container.to_owned(), key.to_owned());
        self.blocking(move |root| root.open(&container, &key).map(|(_, meta)| meta))
            .await
    }

    async fn get_object(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<GetResult> {
        let (container, owned_key, owned_options) =
            (container.to_owned(), key.to_owned(), options.clone());
        let opened = self
            .blocking(move |root| {
                let (key, options) = (owned_key, owned_options);
                let (mut file, meta) = root.open(&container, &key)?;
                conditions::check(&options, &meta)?;
                let range = match options.range {
                    Some(range) => range.resolve(meta.size)?,
                    None => 0..meta.size,
                };
                let len = range.end - range.start;
                if len <= SMALL {
                    let data = Root::read_at(&mut file, range.start, len, &key)?;
                    return Ok(Opened::Read(meta, range, data));
                }
                use std::io::Seek;
                file.seek(io::SeekFrom::Start(range.start))
                    .map_err(|e| Error::from(e).with_message(format!("reading {key}")))?;
                Ok(Opened::File(meta, range, file))
            })
            .await?;
        let (meta, range, body) = match opened {
            Opened::Read(meta, range, data) => {
                (meta, range, stream::once(async move { Ok(data) }).boxed())
            }
            Opened::File(meta, range, file) => {
                let len = range.end - range.start;
                (
                    meta,
                    range,
                    file_chunks(tokio::fs::File::from_std(file), len).boxed(),
                )
            }
        };
        // The record's checksum was taken from the bytes as they were written: a whole read held to it
        // finds a file that changed under the same size and time (a failing disk, a stray write).
        let body = match options.checksum_to_check(meta.checksum.as_ref(), range == (0..meta.size))
        {
            Some(checksum) => cloud_storage::verified(key, body, checksum),
            None => body,
        };
        Ok(GetResult { meta, range, body })
    }

    async fn put_object(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        // Refuse bad names before touching anything.
        crate::names::check_container(container)?;
        Root::key_path(key)?;
        if payload.len().is_some_and(|len| len <= SMALL) {
            let data = payload.into_bytes().await?;
            let (container, key, options) = (container.to_owned(), key.to_owned(), options.clone());
            return self
                .blocking(move |root| root.put_small(&container, &key, &data, &options))
                .await;
        }
        self.put_streamed(container, key, payload, options).await
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        let (container, key) = (container.to_owned(), key.to_owned());
        self.blocking(move |root| root.delete(&container, &key))
            .await
    }

    async fn list_pending_uploads(&self, container: &str) -> Result<Vec<PendingUpload>> {
        // Writes go straight to a temporary file; there are never multipart uploads to list.
        let container = container.to_owned();
        self.blocking(move |root| root.container(&container).map(|_| Vec::new()))
            .await
    }
}

/// `len` bytes of an open file, a chunk at a time; ends early if the file shrank, so the reader sees a
/// short body.
fn file_chunks(
    file: tokio::fs::File,
    len: u64,
) -> impl futures_util::Stream<Item = Result<Bytes>> + Send {
    stream::unfold((file, len), |(mut file, remaining)| async move {
        if remaining == 0 {
            return None;
        }
        let want = remaining.min(CHUNK as u64) as usize;
        let mut buf = BytesMut::with_capacity(want);
        while buf.len() < want {
            match file.read_buf(&mut buf).await {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Some((Err(Error::from(e)), (file, 0))),
            }
        }
        if buf.is_empty() {
            return None;
        }
        let left = remaining - buf.len() as u64;
        Some((Ok(buf.freeze()), (file, left)))
    })
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
