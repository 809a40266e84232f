//! The Cloud Storage [`StorageDriver`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::BytesMut;
use cloud_core::{
    paginate, Body, Error, ErrorKind, HttpService, Operation, Page, Resource, Response, Result,
};
use cloud_storage::{
    Capabilities, Checksum, Container, GetOptions, GetResult, Hasher, ListEntry, ListOptions,
    ObjectMeta, Payload, PresignMethod, PutOptions, StorageDriver,
};
use futures_util::stream::{BoxStream, StreamExt};
use http::Method;

use super::headers::object_meta;
use super::model::{self, Bucket, BucketList, Object, ObjectList, Rewrite};
use super::requests::{query, request, Addressing};
use crate::auth::Signer;

/// Object storage on Google Cloud Storage (or an emulator). Cheap to clone; clones share everything.
///
/// Built with [`GcsBuilder`](super::GcsBuilder).
#[derive(Clone, Debug)]
pub struct Gcs {
    pub(crate) inner: Arc<GcsInner>,
}

#[derive(Debug)]
pub(crate) struct GcsInner {
    pub(crate) http: HttpService,
    pub(crate) addressing: Addressing,
    pub(crate) project: Option<String>,
    pub(crate) signer: Option<Arc<Signer>>,
    /// Objects up to this size go up in one request.
    pub(crate) single_request_limit: u64,
    /// The chunk size of resumable uploads.
    pub(crate) chunk_size: usize,
    /// Attempts per chunk for failures that may pass.
    pub(crate) chunk_attempts: u32,
}

fn bucket_of(bucket: Bucket) -> Container {
    let mut container = Container::new(bucket.name);
    container.created = bucket.time_created;
    if let Some(location) = bucket.location {
        container.extra.insert("location".to_owned(), location);
    }
    if let Some(class) = bucket.storage_class {
        container.extra.insert("storage_class".to_owned(), class);
    }
    container
}

impl GcsInner {
    /// Sends a request whose answer is read whole within each attempt.
    pub(crate) async fn call(
        &self,
        operation: impl Into<Operation>,
        resource: impl Into<Resource<'_>>,
        request: cloud_core::Request,
    ) -> Result<Response> {
        self.http
            .send_buffered(operation, request)
            .await
            .map_err(|e| e.with_resource(resource.into().to_string()))
    }

    /// Sends a request and returns the answer with its body still streaming (object reads).
    pub(crate) async fn stream(
        &self,
        operation: &'static str,
        resource: impl Into<Resource<'_>>,
        request: cloud_core::Request,
    ) -> Result<Response> {
        self.http
            .send(operation, request)
            .await
            .map_err(|e| e.with_resource(resource.into().to_string()))
    }

    /// Sends a request and parses its JSON answer.
    async fn json<T: serde::de::DeserializeOwned>(
        &self,
        operation: impl Into<Operation>,
        resource: impl Into<Resource<'_>>,
        request: cloud_core::Request,
    ) -> Result<T> {
        let operation = operation.into();
        let name = operation.name().to_owned();
        let resource: Resource<'_> = resource.into();
        let body = self
            .call(operation, resource, request)
            .await?
            .into_body()
            .bytes()
            .await?;
        model::parse(&name, &body).map_err(|e| e.with_resource(resource.to_string()))
    }

    /// An object's metadata.
    pub(crate) async fn metadata(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let req = request(
            Method::GET,
            self.addressing.object(bucket, key, ""),
            Body::empty(),
        )?;
        let object: Object = self
            .json("GetObject", Resource::object(bucket, key), req)
            .await?;
        object_meta(object)
    }

    async fn bucket(&self, bucket: &str) -> Result<Container> {
        let req = request(
            Method::GET,
            self.addressing.bucket(bucket, ""),
            Body::empty(),
        )?;
        let found: Bucket = self.json("GetBucket", bucket, req).await?;
        Ok(bucket_of(found))
    }

    fn project(&self, what: &str) -> Result<&str> {
        self.project.as_deref().ok_or_else(|| {
            Error::invalid_input(format!(
                "{what} needs a Google Cloud project: set GOOGLE_CLOUD_PROJECT or GcsBuilder::project"
            ))
        })
    }

    /// Holds a written object to the hashes of the bytes sent. GCS checks them itself when told
    /// them; this catches a server that did not. A mismatching object is deleted (that generation
    /// only) so no corrupt object stays behind.
    pub(crate) async fn hold_to(
        &self,
        bucket: &str,
        meta: &ObjectMeta,
        crc32c: &Checksum,
        md5: &Checksum,
    ) -> Result<()> {
        let stored_md5 = meta.extra.get("md5").map(|m| Checksum::Md5(m.clone()));
        let wrong = [(meta.checksum.as_ref(), crc32c), (stored_md5.as_ref(), md5)]
            .into_iter()
            .find_map(|(stored, sent)| {
                stored
                    .filter(|s| std::mem::discriminant(*s) == std::mem::discriminant(sent))
                    .filter(|s| *s != sent)
                    .map(|s| (s.clone(), sent.clone()))
            });
        let Some((stored, sent)) = wrong else {
            return Ok(());
        };
        let resource = format!("{bucket}/{}", meta.key);
        if let Some(generation) = &meta.etag {
            let q = query(&[("ifGenerationMatch", generation)]);
            if let Ok(req) = request(
                Method::DELETE,
                self.addressing.object(bucket, &meta.key, &q),
                Body::empty(),
            ) {
                let _ = self.call("DeleteObject", &resource, req).await;
            }
        }
        Err(Error::new(
            ErrorKind::ChecksumMismatch,
            format!("GCS stored {stored} for {}, not the {sent} sent", meta.key),
        )
        .with_resource(resource))
    }

    /// One request with the object resource and its bytes (`multipart/related`), checked by GCS
    /// against the CRC-32C and MD5 it carries. Its body every retry can resend.
    async fn upload_single(
        &self,
        bucket: &str,
        key: &str,
        data: bytes::Bytes,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let (mut crc, mut md5) = (Hasher::crc32c(), Hasher::md5());
        crc.update(&data);
        md5.update(&data);
        let (crc, md5) = (crc.finish(), md5.finish());
        let (Checksum::Crc32c(c), Checksum::Md5(m)) = (&crc, &md5) else {
            unreachable!("the hashers are of these kinds");
        };
        let resource = super::headers::resource(key, options, Some(*c), Some(m));
        // Random, so no content holds it by chance.
        let boundary = format!("cloud-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let media_type = options
            .content_type
            .as_deref()
            .unwrap_or("application/octet-stream");
        let head = format!(
            "--{boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n{resource}\r\n\
             --{boundary}\r\ncontent-type: {media_type}\r\n\r\n"
        );
        let tail = format!("\r\n--{boundary}--\r\n");
        let body = Body::from_chunks(vec![head.into(), data, tail.into()]);
        let url = self
            .addressing
            .upload(bucket, &query(&[("uploadType", "multipart")]));
        let mut req = request(Method::POST, url, body)?;
        req.headers_mut().insert(
            http::header::CONTENT_TYPE,
            super::requests::header(
                "Content-Type",
                &format!("multipart/related; boundary={boundary}"),
            )?,
        );
        // The whole object in one request: sending it again writes the same bytes.
        let op = Operation::new("InsertObject").idempotent(true);
        let object: Object = self.json(op, Resource::object(bucket, key), req).await?;
        let meta = object_meta(object)?;
        self.hold_to(bucket, &meta, &crc, &md5).await?;
        Ok(meta)
    }
}

#[async_trait]
impl StorageDriver for Gcs {
    fn provider(&self) -> &'static str {
        "gcs"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        // Resumable sessions cannot be listed; a failed one is cancelled, and one left behind
        // expires after a week without creating an object.
        caps.pending_uploads = false;
        caps.presign = self.inner.signer.is_some();
        caps
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let inner = self.inner.clone();
        paginate(move |token: Option<String>| {
            let inner = inner.clone();
            async move {
                let mut pairs = vec![("project", inner.project("listing buckets")?)];
                if let Some(token) = token.as_deref() {
                    pairs.push(("pageToken", token));
                }
                let req = request(
                    Method::GET,
                    inner.addressing.buckets(&query(&pairs)),
                    Body::empty(),
                )?;
                let body = inner
                    .call("ListBuckets", "", req)
                    .await?
                    .into_body()
                    .bytes()
                    .await?;
                let page: BucketList = model::parse_list("ListBuckets", &body)?;
                let buckets = page.items.into_iter().map(bucket_of).collect();
                Ok(Page::new(
                    buckets,
                    page.next_page_token.filter(|t| !t.is_empty()),
                ))
            }
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        self.inner.bucket(container).await
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        let project = self.inner.project("creating a bucket")?;
        let url = self
            .inner
            .addressing
            .buckets(&query(&[("project", project)]));
        let body = serde_json::json!({ "name": container }).to_string();
        let mut req = request(Method::POST, url, Body::from(body))?;
        req.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        match self
            .inner
            .json::<Bucket>("InsertBucket", container, req)
            .await
        {
            Ok(bucket) => Ok(bucket_of(bucket)),
            Err(err) if err.status() == Some(http::StatusCode::CONFLICT) => {
                Err(err.with_kind(ErrorKind::AlreadyExists))
            }
            Err(err) => Err(err),
        }
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        let req = request(
            Method::DELETE,
            self.inner.addressing.bucket(container, ""),
            Body::empty(),
        )?;
        match self.inner.call("DeleteBucket", container, req).await {
            // GCS refuses to delete a bucket that holds objects with 409.
            Err(err) if err.status() == Some(http::StatusCode::CONFLICT) => {
                Err(err.with_kind(ErrorKind::NotEmpty))
            }
            other => other.map(drop),
        }
    }

    fn list_objects(
        &self,
        container: &str,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<ListEntry>> {
        let inner = self.inner.clone();
        let name = container.to_owned();
        let options = options.clone();
        let start_after = options.start_after.clone();
        let pages = paginate(move |token: Option<String>| {
            let inner = inner.clone();
            let name = name.clone();
            let options = options.clone();
            async move {
                let max = options.page_size.map(|n| n.clamp(1, 1000).to_string());
                let mut pairs = Vec::new();
                for (key, value) in [
                    ("prefix", options.prefix.as_deref()),
                    ("delimiter", options.delimiter.as_deref()),
                    ("maxResults", max.as_deref()),
                    // Inclusive: the key itself is dropped below.
                    ("startOffset", options.start_after.as_deref()),
                    ("pageToken", token.as_deref()),
                ] {
                    if let Some(value) = value {
                        pairs.push((key, value));
                    }
                }
                let url = inner.addressing.objects(&name, &query(&pairs));
                let req = request(Method::GET, url, Body::empty())?;
                let body = inner
                    .call("ListObjects", &name, req)
                    .await?
                    .into_body()
                    .bytes()
                    .await?;
                let page: ObjectList = model::parse_list("ListObjects", &body)?;
                let mut entries = page
                    .items
                    .into_iter()
                    .map(|o| object_meta(o).map(ListEntry::Object))
                    .collect::<Result<Vec<_>>>()?;
                entries.extend(page.prefixes.into_iter().map(ListEntry::Prefix));
                entries.sort_by(|a, b| a.name().cmp(b.name()));
                Ok(Page::new(
                    entries,
                    page.next_page_token.filter(|t| !t.is_empty()),
                ))
            }
        });
        // `startOffset` includes the key itself, and not every server knows it.
        cloud_storage::list_after(pages.boxed(), start_after)
    }

    async fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        self.inner.metadata(container, key).await
    }

    async fn get_object(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<GetResult> {
        super::download::get(self.inner.clone(), container, key, options).await
    }

    async fn put_object(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let declared = payload.len();
        let limit = self.inner.single_request_limit;
        if let Payload::Bytes(data) = payload {
            if data.len() as u64 <= limit {
                return self
                    .inner
                    .upload_single(container, key, data, options)
                    .await;
            }
            let stream = futures_util::stream::once(async move { Ok(data) }).boxed();
            return super::multipart::upload(
                self.inner.clone(),
                container,
                key,
                options,
                BytesMut::new(),
                stream,
                declared,
                self.inner.chunk_size,
                self.inner.chunk_attempts,
            )
            .await;
        }
        let mut stream = payload.into_stream();
        // Read up to the single-request limit: a stream that ends by then goes up in one request.
        let mut first = BytesMut::new();
        let mut ended = false;
        while first.len() as u64 <= limit {
            match stream.next().await {
                Some(chunk) => first.extend_from_slice(&chunk?),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        if ended {
            cloud_storage::check_length(first.len() as u64, declared)?;
            return self
                .inner
                .upload_single(container, key, first.freeze(), options)
                .await;
        }
        super::multipart::upload(
            self.inner.clone(),
            container,
            key,
            options,
            first,
            stream,
            declared,
            self.inner.chunk_size,
            self.inner.chunk_attempts,
        )
        .await
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        let req = request(
            Method::DELETE,
            self.inner.addressing.object(container, key, ""),
            Body::empty(),
        )?;
        match self
            .inner
            .call("DeleteObject", Resource::object(container, key), req)
            .await
        {
            // As the trait promises: a missing object is deleted already; a missing bucket is not
            // (GCS answers both with 404, so the bucket is asked after).
            Err(err) if err.kind() == ErrorKind::NotFound => {
                self.inner.bucket(container).await.map(drop)
            }
            other => other.map(drop),
        }
    }

    async fn copy_object(
        &self,
        from_container: &str,
        from_key: &str,
        to_container: &str,
        to_key: &str,
    ) -> Result<ObjectMeta> {
        let resource = format!("{from_container}/{from_key} to {to_container}/{to_key}");
        let mut token: Option<String> = None;
        // A rewrite across locations or storage classes takes several calls, each continuing with
        // the token the last returned; within a location one call does it.
        for _ in 0..10_000 {
            let mut pairs = Vec::new();
            if let Some(token) = token.as_deref() {
                pairs.push(("rewriteToken", token));
            }
            let url = self.inner.addressing.rewrite(
                (from_container, from_key),
                (to_container, to_key),
                &query(&pairs),
            );
            let req = request(Method::POST, url, Body::empty())?;
            let op = Operation::new("RewriteObject").idempotent(true);
            let step: Rewrite = self.inner.json(op, &resource, req).await?;
            if step.done {
                let object = step.resource.ok_or_else(|| {
                    Error::unexpected("the rewrite finished without the object")
                        .with_resource(&resource)
                })?;
                return object_meta(object);
            }
            token = Some(step.rewrite_token.ok_or_else(|| {
                Error::unexpected("the rewrite is not done but gave no token to continue with")
                    .with_resource(&resource)
            })?);
        }
        Err(Error::new(ErrorKind::Timeout, "the rewrite did not finish").with_resource(resource))
    }

    async fn presign(
        &self,
        container: &str,
        key: &str,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String> {
        super::presign::url(&self.inner, container, key, method, expires_in)
    }
}
