//! Synchronous storage for code without an async runtime: the answer to "one driver per thread".
//!
//! Every [`Storage`] runs on one background runtime shared by the whole process, so one `Storage` (or
//! its clones) can be used from any number of `std::thread`s at once, sharing one connection pool.
//! Calling these methods from inside an async runtime is refused with [`ErrorKind::InvalidInput`]:
//! use the async API there.
//!
//! ```
//! use std::io::Read;
//! use cloud::blocking::Storage;
//!
//! # fn main() -> cloud::Result<()> {
//! let (store, _) = Storage::from_url("memory://blocking-doc")?;
//! store.create_container("blocking-doc")?;
//! let threads: Vec<_> = (0..8)
//!     .map(|i| {
//!         let store = store.clone();
//!         std::thread::spawn(move || store.put_bytes("blocking-doc", &format!("from-thread-{i}"), "hi"))
//!     })
//!     .collect();
//! for thread in threads {
//!     thread.join().unwrap()?;
//! }
//! let mut text = String::new();
//! store.reader("blocking-doc", "from-thread-3")?.read_to_string(&mut text).unwrap();
//! assert_eq!(text, "hi");
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use cloud_core::{Error, ErrorKind, Result};
use cloud_storage::{
    ByteStream, Container, GetOptions, ListEntry, ListOptions, ObjectMeta, Payload, PutOptions,
    StorageDriver,
};
use futures_util::StreamExt;

use crate::storage::{from_url_with, OpenOptions, StorageUrl};

/// The background runtime every blocking call runs on.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get().min(8)))
            .thread_name("cloud-blocking")
            .enable_all()
            .build()
            .expect("the cloud blocking runtime could not start")
    })
}

fn block_on<F: Future>(future: F) -> Result<F::Output> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "cloud::blocking was called from inside an async runtime; use the async API there",
        ));
    }
    Ok(runtime().block_on(future))
}

/// Object storage, synchronously. Cheap to clone; share it across threads.
#[derive(Clone, Debug)]
pub struct Storage {
    driver: Arc<dyn StorageDriver>,
}

impl Storage {
    /// Wraps an async driver.
    pub fn new(driver: Arc<dyn StorageDriver>) -> Storage {
        Storage { driver }
    }

    /// The driver for a URL (see [`crate::storage::from_url`]), and the URL parsed.
    pub fn from_url(url: &str) -> Result<(Storage, StorageUrl)> {
        let (driver, url) = from_url_with(url, &OpenOptions::from_env())?;
        Ok((Storage::new(driver), url))
    }

    /// The async driver underneath.
    pub fn driver(&self) -> &Arc<dyn StorageDriver> {
        &self.driver
    }

    /// Every container.
    pub fn list_containers(&self) -> Result<Vec<Container>> {
        block_on(self.driver.list_containers().collect::<Vec<_>>())?
            .into_iter()
            .collect()
    }

    /// Creates a container.
    pub fn create_container(&self, container: &str) -> Result<Container> {
        block_on(self.driver.create_container(container))?
    }

    /// Deletes an empty container.
    pub fn delete_container(&self, container: &str) -> Result<()> {
        block_on(self.driver.delete_container(container))?
    }

    /// The objects of a container, fetched lazily page by page as the iterator advances.
    pub fn list_objects(&self, container: &str, options: &ListOptions) -> ListIter {
        ListIter {
            stream: self.driver.list_objects(container, options),
        }
    }

    /// An object's metadata.
    pub fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        block_on(self.driver.head_object(container, key))?
    }

    /// Reads a whole object into memory.
    pub fn get_bytes(&self, container: &str, key: &str) -> Result<Bytes> {
        block_on(async {
            self.driver
                .get_object(container, key, &GetOptions::new())
                .await?
                .bytes()
                .await
        })?
    }

    /// An object as a [`Read`]er that streams it; a body cut short is an
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) error, never a short success.
    pub fn reader(&self, container: &str, key: &str) -> Result<ObjectReader> {
        self.reader_with(container, key, &GetOptions::new())
    }

    /// [`reader`](Storage::reader) for the bytes and conditions `options` select (a range, an ETag to
    /// match, a read that [skips its checksum](GetOptions::skip_checksum)).
    pub fn reader_with(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<ObjectReader> {
        let result = block_on(self.driver.get_object(container, key, options))??;
        Ok(ObjectReader {
            expected: result.range.end - result.range.start,
            meta: result.meta,
            body: result.body,
            current: Bytes::new(),
            received: 0,
        })
    }

    /// Writes an object from memory.
    pub fn put_bytes(
        &self,
        container: &str,
        key: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<ObjectMeta> {
        let payload = Payload::Bytes(bytes.into());
        block_on(
            self.driver
                .put_object(container, key, payload, &PutOptions::new()),
        )?
    }

    /// Writes an object read from `reader`, of `len` bytes when known.
    pub fn put_reader(
        &self,
        container: &str,
        key: &str,
        reader: impl Read + Send + 'static,
        len: Option<u64>,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(2);
        // Reading a std reader blocks, so it happens on the runtime's blocking pool, a chunk at a time.
        runtime().spawn_blocking(move || {
            let mut reader = reader;
            loop {
                let mut chunk = vec![0u8; 1 << 20];
                let read = match read_full(&mut reader, &mut chunk) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = sender.blocking_send(Err(e));
                        return;
                    }
                };
                if read == 0 {
                    return;
                }
                chunk.truncate(read);
                if sender.blocking_send(Ok(chunk.into())).is_err() {
                    return;
                }
            }
        });
        let stream = futures_util::stream::unfold(receiver, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        let payload = Payload::from_stream(stream, len);
        block_on(self.driver.put_object(container, key, payload, options))?
    }

    /// Deletes an object.
    pub fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        block_on(self.driver.delete_object(container, key))?
    }

    /// Copies an object.
    pub fn copy_object(
        &self,
        from_container: &str,
        from_key: &str,
        to_container: &str,
        to_key: &str,
    ) -> Result<ObjectMeta> {
        block_on(
            self.driver
                .copy_object(from_container, from_key, to_container, to_key),
        )?
    }

    /// Uploads a file; see [`cloud_storage::upload_file`].
    pub fn upload_file(
        &self,
        container: &str,
        key: &str,
        path: impl AsRef<Path>,
    ) -> Result<ObjectMeta> {
        block_on(cloud_storage::upload_file(
            &*self.driver,
            container,
            key,
            path,
            &PutOptions::new(),
        ))?
    }

    /// Downloads an object to a file, atomically; see [`cloud_storage::download_file`].
    pub fn download_file(
        &self,
        container: &str,
        key: &str,
        path: impl AsRef<Path>,
    ) -> Result<ObjectMeta> {
        block_on(cloud_storage::download_file(
            &*self.driver,
            container,
            key,
            path,
        ))?
    }
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The entries of a listing, fetched as the iterator advances.
pub struct ListIter {
    stream: futures_util::stream::BoxStream<'static, Result<ListEntry>>,
}

impl Iterator for ListIter {
    type Item = Result<ListEntry>;

    fn next(&mut self) -> Option<Result<ListEntry>> {
        match block_on(self.stream.next()) {
            Ok(item) => item,
            Err(err) => Some(Err(err)),
        }
    }
}

impl std::fmt::Debug for ListIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListIter").finish_non_exhaustive()
    }
}

/// An object being read, as a [`Read`]er.
pub struct ObjectReader {
    meta: ObjectMeta,
    body: ByteStream,
    current: Bytes,
    expected: u64,
    received: u64,
}

impl ObjectReader {
    /// The object's metadata.
    pub fn meta(&self) -> &ObjectMeta {
        &self.meta
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match block_on(self.body.next()).map_err(io::Error::other)? {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    self.current = chunk;
                }
                Some(Err(err)) => return Err(io::Error::other(err)),
                None if self.received < self.expected => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "the object ended after {} of {} bytes",
                            self.received, self.expected
                        ),
                    ))
                }
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectReader")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}
