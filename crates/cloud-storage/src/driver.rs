//! The `StorageDriver` trait every storage provider implements.

use std::fmt;
use std::ops::Range;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use cloud_core::{BoxError, Error, ErrorKind, Result};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};

use crate::types::{
    Capabilities, Container, GetOptions, ListEntry, ListOptions, ObjectMeta, PutOptions,
};

/// A stream of bytes: an object's content as it arrives.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// The content of an object to write: bytes in memory, or a stream read once.
pub enum Payload {
    /// Bytes in memory (cheap to clone, so every attempt can resend them).
    Bytes(Bytes),
    /// A stream of bytes, of known or unknown total length.
    Stream {
        /// The content.
        stream: ByteStream,
        /// The total length, when known: providers check the stream delivers exactly this many bytes.
        len: Option<u64>,
    },
}

impl Payload {
    /// A payload read from `stream`, of `len` bytes when known.
    pub fn from_stream<S, E>(stream: S, len: Option<u64>) -> Payload
    where
        S: futures_util::Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError>,
    {
        let stream = stream.map_err(|e| into_error(e.into())).boxed();
        Payload::Stream { stream, len }
    }

    /// The total length, when known.
    pub fn len(&self) -> Option<u64> {
        match self {
            Payload::Bytes(bytes) => Some(bytes.len() as u64),
            Payload::Stream { len, .. } => *len,
        }
    }

    /// Whether the payload is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }

    /// The payload as a stream (a one-item stream for bytes in memory).
    pub fn into_stream(self) -> ByteStream {
        match self {
            Payload::Bytes(bytes) => futures_util::stream::once(async move { Ok(bytes) }).boxed(),
            Payload::Stream { stream, .. } => stream,
        }
    }

    /// Reads the whole payload into memory, checking a declared length.
    pub async fn into_bytes(self) -> Result<Bytes> {
        let (mut stream, len) = match self {
            Payload::Bytes(bytes) => return Ok(bytes),
            Payload::Stream { stream, len } => (stream, len),
        };
        let mut buf = BytesMut::with_capacity(len.unwrap_or(0).min(64 << 20) as usize);
        while let Some(chunk) = stream.next().await {
            buf.extend_from_slice(&chunk?);
        }
        check_length(buf.len() as u64, len)?;
        Ok(buf.freeze())
    }
}

/// Fails when a stream delivered a different number of bytes than it declared.
pub fn check_length(delivered: u64, declared: Option<u64>) -> Result<()> {
    match declared {
        Some(expected) if expected != delivered => Err(Error::invalid_input(format!(
            "the payload declared {expected} bytes but delivered {delivered}"
        ))),
        _ => Ok(()),
    }
}

/// `entries` without those up to and including `start_after`: for listings whose API has no
/// start-after of its own, or one that includes the key itself.
pub fn list_after(
    entries: BoxStream<'static, Result<ListEntry>>,
    start_after: Option<String>,
) -> BoxStream<'static, Result<ListEntry>> {
    let Some(after) = start_after else {
        return entries;
    };
    entries
        .try_filter(move |entry| {
            let keep = entry.name() > after.as_str();
            async move { keep }
        })
        .boxed()
}

fn into_error(err: BoxError) -> Error {
    match err.downcast::<Error>() {
        Ok(err) => *err,
        Err(other) => match other.downcast::<std::io::Error>() {
            Ok(io) => Error::from(*io),
            Err(other) => {
                Error::new(ErrorKind::Unexpected, "the payload stream failed").with_source(other)
            }
        },
    }
}

impl From<Bytes> for Payload {
    fn from(bytes: Bytes) -> Payload {
        Payload::Bytes(bytes)
    }
}

impl From<Vec<u8>> for Payload {
    fn from(bytes: Vec<u8>) -> Payload {
        Payload::Bytes(bytes.into())
    }
}

impl From<String> for Payload {
    fn from(text: String) -> Payload {
        Payload::Bytes(text.into())
    }
}

impl From<&'static str> for Payload {
    fn from(text: &'static str) -> Payload {
        Payload::Bytes(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for Payload {
    fn from(bytes: &'static [u8]) -> Payload {
        Payload::Bytes(Bytes::from_static(bytes))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Payload::Bytes(bytes) => f.debug_tuple("Bytes").field(&bytes.len()).finish(),
            Payload::Stream { len, .. } => f.debug_struct("Stream").field("len", len).finish(),
        }
    }
}

/// An object being read: its metadata, the bytes selected, and their stream.
pub struct GetResult {
    /// The object's metadata (of the whole object, even for a range).
    pub meta: ObjectMeta,
    /// The bytes of the object the stream delivers.
    pub range: Range<u64>,
    /// The content.
    pub body: ByteStream,
}

impl GetResult {
    /// Reads the whole body, failing with [`ErrorKind::ChecksumMismatch`] if it is shorter or longer than
    /// the range it claims.
    pub async fn bytes(self) -> Result<Bytes> {
        let expected = self.range.end - self.range.start;
        let mut body = self.body;
        // One chunk (the usual small object) is returned as it is, without a copy. A finished stream is
        // never polled again (some streams panic if they are).
        let buf = match body.next().await.transpose()? {
            None => Bytes::new(),
            Some(first) => match body.next().await.transpose()? {
                None => first,
                Some(second) => {
                    let mut buf = BytesMut::with_capacity(expected.min(64 << 20) as usize);
                    buf.extend_from_slice(&first);
                    buf.extend_from_slice(&second);
                    while let Some(chunk) = body.next().await {
                        buf.extend_from_slice(&chunk?);
                    }
                    buf.freeze()
                }
            },
        };
        if buf.len() as u64 != expected {
            return Err(Error::new(
                ErrorKind::ChecksumMismatch,
                format!("received {} of the {expected} bytes announced", buf.len()),
            ));
        }
        Ok(buf)
    }
}

impl fmt::Debug for GetResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetResult")
            .field("meta", &self.meta)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// What a presigned URL allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PresignMethod {
    /// Reading the object.
    Get,
    /// Writing the object.
    Put,
}

/// A multipart upload that was started and neither completed nor aborted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingUpload {
    /// The key being uploaded.
    pub key: String,
    /// The provider's id for the upload.
    pub upload_id: String,
    /// When it started.
    pub initiated: Option<SystemTime>,
}

impl PendingUpload {
    /// A pending upload of `key` with id `upload_id`.
    pub fn new(key: impl Into<String>, upload_id: impl Into<String>) -> PendingUpload {
        PendingUpload {
            key: key.into(),
            upload_id: upload_id.into(),
            initiated: None,
        }
    }
}

/// Object storage: containers of objects, on any provider.
///
/// Every method is reachable through `Arc<dyn StorageDriver>`; listings are lazy streams that own what
/// they need, so they can outlive the borrow of the driver and move between tasks. Operations a provider
/// lacks fail with [`ErrorKind::Unsupported`]; [`capabilities`](StorageDriver::capabilities) says which
/// those are.
///
/// ```
/// use std::sync::Arc;
/// use cloud_storage::{StorageDriver, StorageExt};
///
/// async fn archive(store: Arc<dyn StorageDriver>, report: &str) -> cloud_core::Result<()> {
///     store.put_bytes("reports", "2026/11/summary.txt", report.to_owned()).await?;
///     let back = store.get_bytes("reports", "2026/11/summary.txt").await?;
///     assert_eq!(back, report.as_bytes());
///     Ok(())
/// }
/// ```
#[async_trait]
pub trait StorageDriver: Send + Sync + fmt::Debug + 'static {
    /// The provider's short name (`memory`, `local`, `s3`, …).
    fn provider(&self) -> &'static str;

    /// What this provider supports.
    fn capabilities(&self) -> Capabilities;

    /// Every container, lazily.
    fn list_containers(&self) -> BoxStream<'static, Result<Container>>;

    /// One container; [`ErrorKind::NotFound`] if it does not exist.
    async fn get_container(&self, container: &str) -> Result<Container>;

    /// Creates a container; [`ErrorKind::AlreadyExists`] if it exists.
    async fn create_container(&self, container: &str) -> Result<Container>;

    /// Deletes an empty container; [`ErrorKind::NotEmpty`] if it holds objects, [`ErrorKind::NotFound`]
    /// if it does not exist.
    async fn delete_container(&self, container: &str) -> Result<()>;

    /// The objects of a container, lazily, in key order; a missing container is an
    /// [`ErrorKind::NotFound`] item.
    fn list_objects(
        &self,
        container: &str,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<ListEntry>>;

    /// An object's metadata; [`ErrorKind::NotFound`] if it (or its container) does not exist.
    async fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta>;

    /// Reads an object, or the range of it the options select.
    ///
    /// A whole read is held to the checksum the driver reports for the object
    /// ([`ObjectMeta::checksum`]) unless the options [skip it](GetOptions::skip_checksum): after the
    /// last chunk, the body gives one more item, an [`ErrorKind::ChecksumMismatch`] error, if the
    /// bytes that came do not match. (The memory driver's bytes never leave memory, so it has nothing
    /// to check.)
    async fn get_object(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<GetResult>;

    /// Writes an object, replacing any of the same key. Either the whole payload is stored or nothing
    /// is: a failed write never leaves a partial object behind.
    async fn put_object(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta>;

    /// Deletes an object. Deleting an object that does not exist succeeds (as on S3, where the two cannot
    /// be told apart); a missing container is [`ErrorKind::NotFound`].
    async fn delete_object(&self, container: &str, key: &str) -> Result<()>;

    /// Copies an object, server-side where the provider can; the default streams it through this process.
    async fn copy_object(
        &self,
        from_container: &str,
        from_key: &str,
        to_container: &str,
        to_key: &str,
    ) -> Result<ObjectMeta> {
        let source = self
            .get_object(from_container, from_key, &GetOptions::new())
            .await?;
        let meta = &source.meta;
        let mut options = PutOptions::new();
        options.content_type = meta.content_type.clone();
        options.content_encoding = meta.content_encoding.clone();
        options.cache_control = meta.cache_control.clone();
        options.content_disposition = meta.content_disposition.clone();
        options.metadata = meta.metadata.clone();
        let payload = Payload::Stream {
            len: Some(meta.size),
            stream: source.body,
        };
        self.put_object(to_container, to_key, payload, &options)
            .await
    }

    /// A URL that allows `method` on the object without credentials until `expires_in` has passed.
    async fn presign(
        &self,
        container: &str,
        key: &str,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String> {
        let _ = (container, key, method, expires_in);
        Err(Error::unsupported(format!(
            "{} does not make presigned URLs",
            self.provider()
        )))
    }

    /// Multipart uploads in the container that were started and neither completed nor aborted.
    async fn list_pending_uploads(&self, container: &str) -> Result<Vec<PendingUpload>> {
        let _ = container;
        Err(Error::unsupported(format!(
            "{} has no multipart uploads to list",
            self.provider()
        )))
    }
}

/// Conveniences over any [`StorageDriver`], for the common cases.
#[async_trait]
pub trait StorageExt: StorageDriver {
    /// Writes `bytes` as an object with default options.
    async fn put_bytes(
        &self,
        container: &str,
        key: &str,
        bytes: impl Into<Bytes> + Send,
    ) -> Result<ObjectMeta> {
        self.put_object(
            container,
            key,
            Payload::Bytes(bytes.into()),
            &PutOptions::new(),
        )
        .await
    }

    /// Reads a whole object into memory, verifying its length.
    async fn get_bytes(&self, container: &str, key: &str) -> Result<Bytes> {
        self.get_object(container, key, &GetOptions::new())
            .await?
            .bytes()
            .await
    }

    /// Whether the object exists.
    async fn exists(&self, container: &str, key: &str) -> Result<bool> {
        match self.head_object(container, key).await {
            Ok(_) => Ok(true),
            Err(err) if err.is_not_found() => Ok(false),
            Err(err) => Err(err),
        }
    }
}

impl<T: StorageDriver + ?Sized> StorageExt for T {}
