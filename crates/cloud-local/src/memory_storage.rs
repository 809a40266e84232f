//! Object storage in this process's memory, behaving like a cloud: paged listings, typed errors,
//! multipart uploads for large streams, and faults on request.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use cloud_core::{paginate, Error, ErrorKind, Page, Result};
use cloud_storage::multipart::{upload_in_parts, MultipartConfig, MultipartUpload, Part, PartData};
use cloud_storage::{
    Capabilities, Checksum, Container, GetOptions, GetResult, Hasher, ListEntry, ListOptions,
    ObjectMeta, Payload, PendingUpload, PutOptions, StorageDriver,
};
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::conditions::{self, etag_for};
use crate::faults::{FaultState, Faults};
use crate::listing::{Lister, Verdict};

const PAGE_SIZE: usize = 1000;

/// Object storage held in memory: for tests and demos, with no disk and no network.
///
/// Clones share the same store. Streams larger than the multipart threshold, or of unknown length, are
/// uploaded in parts through the shared multipart engine, as a cloud provider would.
///
/// ```
/// use cloud_local::MemoryStorage;
/// use cloud_storage::{StorageDriver, StorageExt};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let store = MemoryStorage::new();
/// store.create_container("photos").await?;
/// store.put_bytes("photos", "cat.jpg", &b"meow"[..]).await?;
/// assert_eq!(store.get_bytes("photos", "cat.jpg").await?, &b"meow"[..]);
/// # Ok::<(), cloud_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryStorage {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    containers: RwLock<BTreeMap<String, MemContainer>>,
    uploads: Mutex<BTreeMap<String, MemUpload>>,
    next_upload: AtomicU64,
    faults: FaultState,
    multipart: Multipart,
}

#[derive(Debug)]
struct Multipart {
    threshold: u64,
    config: MultipartConfig,
}

impl Default for Multipart {
    fn default() -> Multipart {
        Multipart {
            threshold: 16 << 20,
            config: MultipartConfig::new().part_size(8 << 20).concurrency(4),
        }
    }
}

#[derive(Debug)]
struct MemContainer {
    created: SystemTime,
    objects: BTreeMap<String, Stored>,
}

#[derive(Clone, Debug)]
struct Stored {
    data: Bytes,
    meta: ObjectMeta,
}

#[derive(Debug)]
struct MemUpload {
    container: String,
    key: String,
    options: PutOptions,
    parts: BTreeMap<u32, Bytes>,
    initiated: SystemTime,
}

/// Settings for a [`MemoryStorage`].
#[derive(Debug, Default)]
#[must_use]
pub struct MemoryStorageBuilder {
    faults: Faults,
    multipart: Multipart,
}

impl MemoryStorageBuilder {
    /// Faults to inject.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Streams longer than `threshold` bytes, or of unknown length, are uploaded in parts with `config`
    /// (default: above 16 MiB, 8 MiB parts, 4 at once).
    pub fn multipart(mut self, threshold: u64, config: MultipartConfig) -> Self {
        self.multipart = Multipart { threshold, config };
        self
    }

    /// Builds the (empty) store.
    pub fn build(self) -> MemoryStorage {
        MemoryStorage {
            inner: Arc::new(Inner {
                faults: FaultState::new(self.faults),
                multipart: self.multipart,
                ..Inner::default()
            }),
        }
    }
}

impl MemoryStorage {
    /// An empty store with no faults.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// A builder for a store with faults or other multipart settings.
    pub fn builder() -> MemoryStorageBuilder {
        MemoryStorageBuilder::default()
    }

    /// How many calls the store has served (each multipart part counts as one).
    pub fn calls(&self) -> u64 {
        self.inner.faults.calls()
    }
}

fn no_container(container: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("container {container} does not exist"),
    )
}

fn no_object(container: &str, key: &str) -> Error {
    Error::new(
        ErrorKind::NotFound,
        format!("object {key} does not exist in {container}"),
    )
}

fn check_container_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name.contains('\0') {
        return Err(Error::invalid_input(format!(
            "{name:?} is not a valid container name"
        )));
    }
    Ok(())
}

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.contains('\0') {
        return Err(Error::invalid_input(format!(
            "{key:?} is not a valid object key"
        )));
    }
    Ok(())
}

impl Inner {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, MemContainer>> {
        self.containers.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, MemContainer>> {
        self.containers.write().unwrap_or_else(|e| e.into_inner())
    }

    fn uploads(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, MemUpload>> {
        self.uploads.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn has_container(&self, container: &str) -> bool {
        self.read().contains_key(container)
    }

    /// Stores `data` as `key`, replacing any object of that key, and returns its metadata.
    fn store(
        &self,
        container: &str,
        key: &str,
        data: Bytes,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let mut hasher = Hasher::crc32c();
        hasher.update(&data);
        let checksum = hasher.finish();
        let Checksum::Crc32c(crc) = checksum else {
            unreachable!("a crc32c hasher gives a crc32c checksum");
        };
        let mut meta = ObjectMeta::new(key, data.len() as u64);
        meta.etag = Some(etag_for(crc, meta.size));
        meta.last_modified = Some(SystemTime::now());
        meta.content_type = Some(
            options
                .content_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
        );
        meta.content_encoding = options.content_encoding.clone();
        meta.cache_control = options.cache_control.clone();
        meta.content_disposition = options.content_disposition.clone();
        meta.metadata = options
            .metadata
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        meta.checksum = Some(checksum);
        let mut containers = self.write();
        let objects = &mut containers
            .get_mut(container)
            .ok_or_else(|| no_container(container))?
            .objects;
        objects.insert(
            key.to_owned(),
            Stored {
                data,
                meta: meta.clone(),
            },
        );
        Ok(meta)
    }
}

#[async_trait]
impl StorageDriver for MemoryStorage {
    fn provider(&self) -> &'static str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        caps.presign = false;
        caps
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let inner = self.inner.clone();
        // One page: everything is at hand.
        paginate(move |_: Option<()>| {
            let inner = inner.clone();
            async move {
                inner.faults.enter("ListContainers").await?;
                let containers = inner
                    .read()
                    .iter()
                    .map(|(name, c)| {
                        let mut container = Container::new(name);
                        container.created = Some(c.created);
                        container
                    })
                    .collect();
                Ok(Page::new(containers, None))
            }
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        self.inner.faults.enter("GetContainer").await?;
        let containers = self.inner.read();
        let found = containers
            .get(container)
            .ok_or_else(|| no_container(container))?;
        let mut result = Container::new(container);
        result.created = Some(found.created);
        Ok(result)
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        check_container_name(container)?;
        self.inner.faults.enter("CreateContainer").await?;
        let mut containers = self.inner.write();
        if containers.contains_key(container) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("container {container} exists"),
            ));
        }
        let created = SystemTime::now();
        containers.insert(
            container.to_owned(),
            MemContainer {
                created,
                objects: BTreeMap::new(),
            },
        );
        let mut result = Container::new(container);
        result.created = Some(created);
        Ok(result)
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        self.inner.faults.enter("DeleteContainer").await?;
        let mut containers = self.inner.write();
        let found = containers
            .get(container)
            .ok_or_else(|| no_container(container))?;
        if !found.objects.is_empty() {
            return Err(Error::new(
                ErrorKind::NotEmpty,
                format!("container {container} is not empty"),
            ));
        }
        containers.remove(container);
        Ok(())
    }

    fn list_objects(
        &self,
        container: &str,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<ListEntry>> {
        let inner = self.inner.clone();
        let container = container.to_owned();
        let page_size = options.page_size.unwrap_or(PAGE_SIZE);
        let lister = Arc::new(Mutex::new(Lister::new(options)));
        let start = options.start_after.clone();
        paginate(move |cursor: Option<String>| {
            let inner = inner.clone();
            let container = container.clone();
            let lister = lister.clone();
            let cursor = cursor.or_else(|| start.clone());
            async move {
                inner.faults.enter("ListObjects").await?;
                let containers = inner.read();
                let objects = &containers
                    .get(&container)
                    .ok_or_else(|| no_container(&container))?
                    .objects;
                let mut lister = lister.lock().unwrap_or_else(|e| e.into_inner());
                let from = match &cursor {
                    Some(after) => Bound::Excluded(after.clone()),
                    None => Bound::Included(lister.prefix().to_owned()),
                };
                let mut entries = Vec::new();
                for (key, stored) in objects.range((from, Bound::Unbounded)) {
                    if !key.starts_with(lister.prefix()) && key.as_str() > lister.prefix() {
                        break;
                    }
                    match lister.judge(key) {
                        Verdict::Skip => continue,
                        Verdict::Object => entries.push(ListEntry::Object(stored.meta.clone())),
                        Verdict::Prefix(prefix) => entries.push(ListEntry::Prefix(prefix)),
                    }
                    if entries.len() >= page_size {
                        return Ok(Page::new(entries, Some(key.clone())));
                    }
                }
                Ok(Page::new(entries, None))
            }
        })
        .boxed()
    }

    async fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        self.inner.faults.enter("HeadObject").await?;
        let containers = self.inner.read();
        let objects = &containers
            .get(container)
            .ok_or_else(|| no_container(container))?
            .objects;
        let stored = objects.get(key).ok_or_else(|| no_object(container, key))?;
        Ok(stored.meta.clone())
    }

    async fn get_object(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<GetResult> {
        self.inner.faults.enter("GetObject").await?;
        let stored = {
            let containers = self.inner.read();
            let objects = &containers
                .get(container)
                .ok_or_else(|| no_container(container))?
                .objects;
            objects
                .get(key)
                .ok_or_else(|| no_object(container, key))?
                .clone()
        };
        conditions::check(options, &stored.meta)?;
        let range = match options.range {
            Some(range) => range.resolve(stored.meta.size)?,
            None => 0..stored.meta.size,
        };
        let mut body = stored.data.slice(range.start as usize..range.end as usize);
        if let Some(limit) = self.inner.faults.faults.truncate_reads {
            body.truncate(limit as usize);
        }
        Ok(GetResult {
            meta: stored.meta,
            range,
            body: stream::once(async move { Ok(body) }).boxed(),
        })
    }

    async fn put_object(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        check_key(key)?;
        self.inner.faults.enter("PutObject").await?;
        if !self.inner.has_container(container) {
            return Err(no_container(container));
        }
        let multipart = &self.inner.multipart;
        if payload.len().is_none_or(|len| len > multipart.threshold) {
            let declared = payload.len();
            let upload = Arc::new(MemoryUpload::start(&self.inner, container, key, options));
            let config = multipart.config.for_length(declared);
            let meta = upload_in_parts(upload, payload.into_stream(), &config).await?;
            cloud_storage::check_length(meta.size, declared)?;
            return Ok(meta);
        }
        let data = payload.into_bytes().await?;
        self.inner.store(container, key, data, options)
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        self.inner.faults.enter("DeleteObject").await?;
        let mut containers = self.inner.write();
        let objects = &mut containers
            .get_mut(container)
            .ok_or_else(|| no_container(container))?
            .objects;
        objects.remove(key);
        Ok(())
    }

    async fn copy_object(
        &self,
        from_container: &str,
        from_key: &str,
        to_container: &str,
        to_key: &str,
    ) -> Result<ObjectMeta> {
        check_key(to_key)?;
        self.inner.faults.enter("CopyObject").await?;
        let source = {
            let containers = self.inner.read();
            let objects = &containers
                .get(from_container)
                .ok_or_else(|| no_container(from_container))?
                .objects;
            objects
                .get(from_key)
                .ok_or_else(|| no_object(from_container, from_key))?
                .clone()
        };
        let mut containers = self.inner.write();
        let objects = &mut containers
            .get_mut(to_container)
            .ok_or_else(|| no_container(to_container))?
            .objects;
        let mut meta = source.meta;
        meta.key = to_key.to_owned();
        meta.last_modified = Some(SystemTime::now());
        objects.insert(
            to_key.to_owned(),
            Stored {
                data: source.data,
                meta: meta.clone(),
            },
        );
        Ok(meta)
    }

    async fn list_pending_uploads(&self, container: &str) -> Result<Vec<PendingUpload>> {
        self.inner.faults.enter("ListUploads").await?;
        if !self.inner.has_container(container) {
            return Err(no_container(container));
        }
        Ok(self
            .inner
            .uploads()
            .iter()
            .filter(|(_, upload)| upload.container == container)
            .map(|(id, upload)| {
                let mut pending = PendingUpload::new(&upload.key, id);
                pending.initiated = Some(upload.initiated);
                pending
            })
            .collect())
    }
}

/// One multipart upload into a [`MemoryStorage`].
#[derive(Debug)]
struct MemoryUpload {
    inner: Arc<Inner>,
    id: String,
}

impl MemoryUpload {
    fn start(inner: &Arc<Inner>, container: &str, key: &str, options: &PutOptions) -> MemoryUpload {
        let id = format!(
            "upload-{}",
            inner.next_upload.fetch_add(1, Ordering::SeqCst) + 1
        );
        inner.uploads().insert(
            id.clone(),
            MemUpload {
                container: container.to_owned(),
                key: key.to_owned(),
                options: options.clone(),
                parts: BTreeMap::new(),
                initiated: SystemTime::now(),
            },
        );
        MemoryUpload {
            inner: inner.clone(),
            id,
        }
    }

    fn gone(&self) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!("multipart upload {} does not exist", self.id),
        )
    }
}

#[async_trait]
impl MultipartUpload for MemoryUpload {
    async fn put_part(&self, number: u32, data: PartData) -> Result<Part> {
        self.inner.faults.enter("UploadPart").await?;
        let data = data.to_bytes();
        let size = data.len() as u64;
        let mut hasher = Hasher::crc32c();
        hasher.update(&data);
        let mut uploads = self.inner.uploads();
        let upload = uploads.get_mut(&self.id).ok_or_else(|| self.gone())?;
        upload.parts.insert(number, data);
        Ok(Part::new(number, hasher.finish().to_string(), size))
    }

    async fn complete(&self, parts: Vec<Part>) -> Result<ObjectMeta> {
        self.inner.faults.enter("CompleteUpload").await?;
        let upload = self
            .inner
            .uploads()
            .remove(&self.id)
            .ok_or_else(|| self.gone())?;
        let mut data = BytesMut::with_capacity(parts.iter().map(|p| p.size as usize).sum());
        for part in &parts {
            let stored = upload.parts.get(&part.number).ok_or_else(|| {
                Error::invalid_input(format!("part {} was never uploaded", part.number))
            })?;
            data.extend_from_slice(stored);
        }
        self.inner.store(
            &upload.container,
            &upload.key,
            data.freeze(),
            &upload.options,
        )
    }

    async fn abort(&self) -> Result<()> {
        self.inner.uploads().remove(&self.id);
        Ok(())
    }
}
