//! The Azure Blob [`StorageDriver`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cloud_core::headers::{content_length, http_date, text};
use cloud_core::{paginate, Body, Error, ErrorKind, HttpService, Page, Resource, Response, Result};
use cloud_storage::multipart::{upload_in_parts, MultipartConfig};
use cloud_storage::resume::{resumable, ReadOf};
use cloud_storage::{
    ByteRange, Capabilities, Checksum, Container, GetOptions, GetResult, ListEntry, ListOptions,
    ObjectMeta, Payload, PresignMethod, PutOptions, StorageDriver,
};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::{Method, StatusCode};
use md5::{Digest, Md5};

use super::delegation::DelegationKeys;
use super::download::Rest;
use super::headers::{md5_from_base64, object_meta, put_headers};
use super::listing::read_page;
use super::model::{self, ContainerList};
use super::multipart::BlockUpload;
use super::requests::{header, query, request, Addressing};
use crate::auth::BlobAuth;

/// Object storage on Azure Blob Storage (or Azurite). Cheap to clone; clones share everything.
///
/// Built with [`AzureBlobBuilder`](super::AzureBlobBuilder).
#[derive(Clone, Debug)]
pub struct AzureBlob {
    inner: Arc<BlobInner>,
}

#[derive(Debug)]
pub(crate) struct BlobInner {
    pub(crate) http: HttpService,
    pub(crate) auth: Arc<BlobAuth>,
    pub(crate) addressing: Addressing,
    pub(crate) multipart_threshold: u64,
    pub(crate) multipart: MultipartConfig,
    /// The user delegation key presigned URLs are signed with, for an Entra ID identity.
    pub(crate) delegation: DelegationKeys,
}

impl AzureBlob {
    pub(crate) fn from_inner(inner: BlobInner) -> AzureBlob {
        AzureBlob {
            inner: Arc::new(inner),
        }
    }
}

impl BlobInner {
    /// Sends a request whose answer is read whole within each attempt.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        resource: impl Into<Resource<'_>>,
        request: cloud_core::Request,
    ) -> Result<Response> {
        self.http
            .send_buffered(operation, request)
            .await
            .map_err(|e| e.with_resource(resource.into().to_string()))
    }

    /// Sends a request and returns the answer with its body still streaming (blob reads).
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

    pub(crate) async fn call_xml(
        &self,
        operation: &'static str,
        resource: impl Into<Resource<'_>>,
        request: cloud_core::Request,
    ) -> Result<String> {
        let body = self
            .call(operation, resource, request)
            .await?
            .into_body()
            .bytes()
            .await?;
        String::from_utf8(body.to_vec()).map_err(|_| {
            Error::unexpected(format!("{operation} answered with text that is not UTF-8"))
        })
    }

    pub(crate) async fn head(&self, container: &str, blob: &str) -> Result<ObjectMeta> {
        let req = request(
            Method::HEAD,
            self.addressing.blob(container, blob, ""),
            Body::empty(),
        )?;
        let response = self
            .call("GetBlobProperties", Resource::object(container, blob), req)
            .await?;
        let size = content_length(response.headers())?;
        Ok(object_meta(blob, response.headers(), size, true))
    }

    async fn container_properties(&self, container: &str) -> Result<Container> {
        let req = request(
            Method::HEAD,
            self.addressing.container(container, "restype=container"),
            Body::empty(),
        )?;
        let response = self.call("GetContainerProperties", container, req).await?;
        let mut found = Container::new(container);
        found.created = http_date(response.headers(), "last-modified");
        Ok(found)
    }

    /// Whether the container holds at least one blob.
    async fn holds_blobs(&self, container: &str) -> Result<bool> {
        let url = self.addressing.container(
            container,
            &query(&[
                ("comp", "list"),
                ("maxresults", "1"),
                ("restype", "container"),
            ]),
        );
        let req = request(Method::GET, url, Body::empty())?;
        let xml = self.call_xml("ListBlobs", container, req).await?;
        Ok(!read_page(&xml)?.entries.is_empty())
    }
}

#[async_trait]
impl StorageDriver for AzureBlob {
    fn provider(&self) -> &'static str {
        "azure"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        // Block blobs have no list of pending uploads: uncommitted blocks simply expire.
        caps.pending_uploads = false;
        caps
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let inner = self.inner.clone();
        paginate(move |marker: Option<String>| {
            let inner = inner.clone();
            async move {
                let mut pairs = vec![("comp", "list")];
                if let Some(marker) = marker.as_deref() {
                    pairs.push(("marker", marker));
                }
                let req = request(
                    Method::GET,
                    inner.addressing.root(&query(&pairs)),
                    Body::empty(),
                )?;
                let xml = inner.call_xml("ListContainers", "", req).await?;
                let page: ContainerList = model::parse("EnumerationResults", &xml)?;
                let containers = page
                    .containers
                    .items
                    .into_iter()
                    .map(|c| {
                        let mut container = Container::new(c.name);
                        container.created = c
                            .properties
                            .last_modified
                            .as_deref()
                            .and_then(|t| httpdate::parse_http_date(t).ok());
                        container
                    })
                    .collect();
                Ok(Page::new(
                    containers,
                    page.next_marker.filter(|m| !m.is_empty()),
                ))
            }
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        self.inner.container_properties(container).await
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        let req = request(
            Method::PUT,
            self.inner
                .addressing
                .container(container, "restype=container"),
            Body::empty(),
        )?;
        self.inner.call("CreateContainer", container, req).await?;
        Ok(Container::new(container))
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        // Azure deletes a container with everything in it; the trait promises NotEmpty instead.
        if self.inner.holds_blobs(container).await? {
            return Err(Error::new(
                ErrorKind::NotEmpty,
                format!("container {container} holds blobs"),
            )
            .with_resource(container));
        }
        let req = request(
            Method::DELETE,
            self.inner
                .addressing
                .container(container, "restype=container"),
            Body::empty(),
        )?;
        self.inner
            .call("DeleteContainer", container, req)
            .await
            .map(drop)
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
        let pages = paginate(move |marker: Option<String>| {
            let inner = inner.clone();
            let name = name.clone();
            let options = options.clone();
            async move {
                let max = options.page_size.map(|n| n.clamp(1, 5000).to_string());
                let mut pairs = vec![("comp", "list"), ("include", "metadata")];
                for (key, value) in [
                    ("prefix", options.prefix.as_deref()),
                    ("delimiter", options.delimiter.as_deref()),
                    ("maxresults", max.as_deref()),
                    ("marker", marker.as_deref()),
                ] {
                    if let Some(value) = value {
                        pairs.push((key, value));
                    }
                }
                pairs.push(("restype", "container"));
                let url = inner.addressing.container(&name, &query(&pairs));
                let req = request(Method::GET, url, Body::empty())?;
                let xml = inner.call_xml("ListBlobs", &name, req).await?;
                let page = read_page(&xml)?;
                Ok(Page::new(page.entries, page.next_marker))
            }
        });
        // List Blobs has no start-after: the names up to it are skipped here.
        cloud_storage::list_after(pages.boxed(), start_after)
    }

    async fn head_object(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        self.inner.head(container, key).await
    }

    async fn get_object(
        &self,
        container: &str,
        key: &str,
        options: &GetOptions,
    ) -> Result<GetResult> {
        let resource = Resource::object(container, key);
        let mut options = options.clone();
        // The Blob service has no suffix ranges (`bytes=-N`): the size is asked first, and the range
        // read held to the version measured.
        if let Some(range @ ByteRange::Suffix(_)) = options.range {
            let meta = self.inner.head(container, key).await?;
            let bytes = range
                .resolve(meta.size)
                .map_err(|e| e.with_resource(resource.to_string()))?;
            options.range = Some(ByteRange::new(bytes));
            if options.if_match.is_none() {
                options.if_match = meta.etag;
            }
        }
        let mut req = request(
            Method::GET,
            self.inner.addressing.blob(container, key, ""),
            Body::empty(),
        )?;
        let headers = req.headers_mut();
        cloud_storage::resume::read_headers(&options, headers)?;
        let response = self.inner.stream("GetBlob", resource, req).await?;
        let partial = response.status() == StatusCode::PARTIAL_CONTENT;
        let (range, size) =
            cloud_storage::resume::read_extent(options.range, partial, response.headers())
                .map_err(|e| e.with_resource(resource.to_string()))?;
        let whole = range == (0..size);
        let meta = object_meta(key, response.headers(), size, !partial);
        // A whole read is held to the blob's MD5; a range has none of its own.
        let body = resumable(
            ReadOf::new(container, key, meta.etag.as_deref()),
            response.into_body(),
            range.clone(),
            meta.etag.is_some().then(|| Rest(self.inner.clone())),
            options.checksum_to_check(meta.checksum.as_ref(), whole),
        );
        Ok(GetResult { meta, range, body })
    }

    async fn put_object(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        let declared = payload.len();
        if declared.is_none_or(|len| len > self.inner.multipart_threshold) {
            let whole = Arc::new(Mutex::new(Md5::new()));
            let hashing = whole.clone();
            let stream = payload
                .into_stream()
                .inspect_ok(move |chunk| {
                    if let Ok(mut md5) = hashing.lock() {
                        md5.update(chunk);
                    }
                })
                .boxed();
            let upload = Arc::new(BlockUpload::new(
                self.inner.clone(),
                container,
                key,
                options,
                whole,
            ));
            let meta =
                upload_in_parts(upload, stream, &self.inner.multipart.for_length(declared)).await?;
            cloud_storage::check_length(meta.size, declared)?;
            return Ok(meta);
        }
        // Small enough to hold: one Put Blob whose body every retry can resend, with its MD5, which
        // the service checks and keeps as the blob's.
        let data = payload.into_bytes().await?;
        let digest = Md5::digest(&data);
        let size = data.len() as u64;
        let mut req = request(
            Method::PUT,
            self.inner.addressing.blob(container, key, ""),
            Body::from_bytes(data),
        )?;
        put_headers(&mut req, options)?;
        let headers = req.headers_mut();
        headers.insert(
            "x-ms-blob-type",
            http::HeaderValue::from_static("BlockBlob"),
        );
        let md5 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, digest);
        headers.insert("content-md5", header("Content-MD5", &md5)?);
        let response = self
            .inner
            .call("PutBlob", Resource::object(container, key), req)
            .await?;
        let sent = Checksum::Md5(cloud_core::hex::encode(digest));
        if let Some(stored) =
            text(response.headers(), "content-md5").and_then(|v| md5_from_base64(&v))
        {
            if stored != sent {
                return Err(Error::new(
                    ErrorKind::ChecksumMismatch,
                    format!("Azure stored {stored} for {key}, not the {sent} sent"),
                ));
            }
        }
        let mut meta = ObjectMeta::new(key, size);
        meta.etag = text(response.headers(), "etag");
        meta.last_modified =
            http_date(response.headers(), "last-modified").or(Some(SystemTime::now()));
        meta.content_type = options.content_type.clone();
        meta.metadata = options
            .metadata
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        meta.checksum = Some(sent);
        Ok(meta)
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        let req = request(
            Method::DELETE,
            self.inner.addressing.blob(container, key, ""),
            Body::empty(),
        )?;
        match self
            .inner
            .call("DeleteBlob", Resource::object(container, key), req)
            .await
        {
            // As the trait promises: a missing blob is deleted already; a missing container is not.
            Err(err) if err.code() == Some("BlobNotFound") => Ok(()),
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
        let mut req = request(
            Method::PUT,
            self.inner.addressing.blob(to_container, to_key, ""),
            Body::empty(),
        )?;
        // A SAS-authorized copy needs the source readable by the same token.
        let mut source = self.inner.addressing.blob(from_container, from_key, "");
        if let Some(sas) = self.inner.auth.sas_query() {
            source.push('?');
            source.push_str(sas);
        }
        let mut value = header("x-ms-copy-source", &source)?;
        value.set_sensitive(true);
        req.headers_mut().insert("x-ms-copy-source", value);
        let response = self.inner.call("CopyBlob", &resource, req).await?;
        // Within an account the copy is usually done when the call returns; otherwise it is waited for.
        let mut status = text(response.headers(), "x-ms-copy-status");
        let mut waited = Duration::ZERO;
        while status.as_deref() == Some("pending") {
            if waited > Duration::from_secs(300) {
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!("the copy was still pending after {waited:?}"),
                )
                .with_resource(resource));
            }
            let pause = Duration::from_millis(200);
            tokio::time::sleep(pause).await;
            waited += pause;
            let meta = self.inner.head(to_container, to_key).await?;
            status = meta.extra.get("copy_status").cloned();
        }
        if let Some(failed) = status.filter(|s| s != "success") {
            return Err(Error::new(
                ErrorKind::ServiceUnavailable,
                format!("the copy ended as {failed}"),
            )
            .with_resource(resource));
        }
        let meta = self.inner.head(to_container, to_key).await?;
        // The copy keeps the source's MD5: check the bytes arrived as they were.
        let source = self.inner.head(from_container, from_key).await;
        if let (Ok(source), Some(copied)) = (&source, &meta.checksum) {
            if source.checksum.as_ref().is_some_and(|c| c != copied) {
                return Err(Error::new(
                    ErrorKind::ChecksumMismatch,
                    "the copy's MD5 differs from its source's",
                )
                .with_resource(resource));
            }
        }
        Ok(meta)
    }

    async fn presign(
        &self,
        container: &str,
        key: &str,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String> {
        let permissions = match method {
            PresignMethod::Get => "r",
            PresignMethod::Put => "cw",
            _ => return Err(Error::unsupported("that presigned method")),
        };
        let sas = if self.inner.auth.is_bearer() {
            self.inner
                .delegation
                .blob_sas(&self.inner, container, key, permissions, expires_in)
                .await?
        } else {
            self.inner
                .auth
                .blob_sas(container, key, permissions, expires_in, SystemTime::now())?
        };
        Ok(self.inner.addressing.blob(container, key, &sas))
    }
}
