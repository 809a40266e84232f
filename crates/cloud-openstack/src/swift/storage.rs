//! The Swift [`StorageDriver`].

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cloud_core::headers::{content_length, http_date, text};
use cloud_core::{
    paginate, Body, Error, ErrorKind, HttpService, Operation, Page, Resource, Response, Result,
};
use cloud_storage::multipart::{upload_if_large, ByLength, MultipartConfig, MultipartUpload};
use cloud_storage::resume::{resumable, ReadOf};
use cloud_storage::{
    Capabilities, Checksum, Container, GetOptions, GetResult, ListEntry, ListOptions, ObjectMeta,
    Payload, PresignMethod, PutOptions, StorageDriver,
};
use futures_util::stream::{BoxStream, StreamExt};
use http::{Method, StatusCode};
use md5::{Digest, Md5};

use super::download::Rest;
use super::headers::{object_meta, put_headers};
use super::model::{self, BulkDelete, ContainerEntry, Entry};
use super::multipart::SloUpload;
use super::requests::{account, container as container_url, header, object, query, request};
use crate::auth::OpenStackAuth;

/// Object storage on OpenStack Swift. Cheap to clone; clones share everything.
///
/// Built with [`SwiftBuilder`](super::SwiftBuilder).
#[derive(Clone, Debug)]
pub struct Swift {
    pub(crate) inner: Arc<SwiftInner>,
}

#[derive(Debug)]
pub(crate) struct SwiftInner {
    pub(crate) http: HttpService,
    pub(crate) auth: Arc<OpenStackAuth>,
    pub(crate) multipart_threshold: u64,
    pub(crate) multipart: MultipartConfig,
    pub(crate) temp_url_key: Option<cloud_core::Secret>,
    /// Leave the segments of a large object an overwrite replaces (saves a HEAD per write).
    pub(crate) keep_replaced_segments: bool,
}

/// Listings of up to this many entries a page (Swift's own limit).
const PAGE: usize = 10_000;

impl SwiftInner {
    /// The account's storage URL (authenticating first if need be).
    pub(crate) async fn base(&self) -> Result<String> {
        let session = self.auth.session().await?;
        // The one wanted service is required: authenticating fails without it.
        Ok(session.url(0).unwrap_or_default().to_owned())
    }

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

    pub(crate) async fn head(&self, container: &str, key: &str) -> Result<ObjectMeta> {
        let base = self.base().await?;
        let req = request(
            Method::HEAD,
            object(&base, container, key, ""),
            Body::empty(),
        )?;
        let response = self
            .call("HeadObject", Resource::object(container, key), req)
            .await?;
        let size = content_length(response.headers())?;
        Ok(object_meta(key, response.headers(), size))
    }

    async fn container_head(&self, container: &str) -> Result<Container> {
        let base = self.base().await?;
        let req = request(
            Method::HEAD,
            container_url(&base, container, ""),
            Body::empty(),
        )?;
        let response = self.call("HeadContainer", container, req).await?;
        let mut found = Container::new(container);
        found.created = text(response.headers(), "x-timestamp")
            .and_then(|t| t.parse::<f64>().ok())
            .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs_f64(t));
        for (name, field) in [
            ("x-container-object-count", "object_count"),
            ("x-container-bytes-used", "bytes_used"),
            ("x-storage-policy", "storage_policy"),
        ] {
            if let Some(value) = text(response.headers(), name) {
                found.extra.insert(field.to_owned(), value);
            }
        }
        Ok(found)
    }

    /// Creates `container`, or finds it there already (201 or 202).
    pub(crate) async fn ensure_container(&self, container: &str) -> Result<StatusCode> {
        let base = self.base().await?;
        let req = request(
            Method::PUT,
            container_url(&base, container, ""),
            Body::empty(),
        )?;
        Ok(self.call("PutContainer", container, req).await?.status())
    }

    /// Deletes one object as it is (not a manifest's segments); missing is deleted already.
    pub(crate) async fn delete_plain(&self, container: &str, key: &str) -> Result<()> {
        let base = self.base().await?;
        let req = request(
            Method::DELETE,
            object(&base, container, key, ""),
            Body::empty(),
        )?;
        match self
            .call("DeleteObject", Resource::object(container, key), req)
            .await
        {
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }

    /// Deletes a Static Large Object with its segments.
    async fn delete_large(&self, container: &str, key: &str) -> Result<()> {
        let resource = format!("{container}/{key}");
        let base = self.base().await?;
        let url = object(
            &base,
            container,
            key,
            &query(&[("multipart-manifest", "delete")]),
        );
        let mut req = request(Method::DELETE, url, Body::empty())?;
        req.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static("application/json"),
        );
        let body = self
            .call("DeleteLargeObject", &resource, req)
            .await?
            .into_body()
            .bytes()
            .await?;
        let answer: BulkDelete = serde_json::from_slice(&body).map_err(|_| {
            Error::unexpected("the large-object delete answered without its JSON report")
                .with_resource(&resource)
        })?;
        if !answer.status.starts_with('2') || !answer.errors.is_empty() {
            return Err(Error::new(
                ErrorKind::ServiceUnavailable,
                format!(
                    "deleting the large object ended {} with {} segment errors",
                    answer.status,
                    answer.errors.len()
                ),
            )
            .with_resource(resource));
        }
        Ok(())
    }
}

impl Swift {
    /// Writes the object: one PUT up to the threshold, a Static Large Object above it.
    async fn write(
        &self,
        container: &str,
        key: &str,
        payload: Payload,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        // Owned: the upload is started in a task of its own, which outlives a cancelled caller.
        let (inner, container_name, name, started_with) = (
            self.inner.clone(),
            container.to_owned(),
            key.to_owned(),
            options.clone(),
        );
        let begin = move || async move {
            let upload = SloUpload::begin(inner, &container_name, &name, &started_with).await?;
            Ok(Arc::new(upload) as Arc<dyn MultipartUpload>)
        };
        let payload = match upload_if_large(
            payload,
            self.inner.multipart_threshold,
            &self.inner.multipart,
            begin,
        )
        .await?
        {
            ByLength::InParts(meta) => return Ok(meta),
            ByLength::Small(payload) => payload,
        };
        // One PUT whose body every retry can resend, with its MD5 as ETag: Swift refuses (422) a
        // body that does not match.
        let data = payload.into_bytes().await?;
        let md5 = cloud_core::hex::encode(Md5::digest(&data));
        let size = data.len() as u64;
        let base = self.inner.base().await?;
        let mut req = request(
            Method::PUT,
            object(&base, container, key, ""),
            Body::from_bytes(data),
        )?;
        put_headers(&mut req, options)?;
        req.headers_mut().insert("etag", header("ETag", &md5)?);
        let response = self
            .inner
            .call("PutObject", Resource::object(container, key), req)
            .await?;
        let stored = text(response.headers(), "etag").map(|e| e.trim_matches('"').to_owned());
        if stored
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(&md5))
        {
            return Err(Error::new(
                ErrorKind::ChecksumMismatch,
                format!("Swift stored {key} with ETag {stored:?}, not the MD5 {md5} sent"),
            ));
        }
        let mut meta = ObjectMeta::new(key, size);
        meta.etag = Some(md5.clone());
        meta.checksum = Some(Checksum::Md5(md5));
        meta.last_modified =
            http_date(response.headers(), "last-modified").or(Some(SystemTime::now()));
        meta.content_type = options.content_type.clone();
        meta.metadata = options
            .metadata
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        Ok(meta)
    }
}

#[async_trait]
impl StorageDriver for Swift {
    fn provider(&self) -> &'static str {
        "swift"
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        // Segments of an unfinished upload are ordinary objects; a failed upload deletes its own.
        caps.pending_uploads = false;
        caps
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let inner = self.inner.clone();
        paginate(move |marker: Option<String>| {
            let inner = inner.clone();
            async move {
                let limit = PAGE.to_string();
                let mut pairs = vec![("format", "json"), ("limit", limit.as_str())];
                if let Some(marker) = marker.as_deref() {
                    pairs.push(("marker", marker));
                }
                let base = inner.base().await?;
                let req = request(Method::GET, account(&base, &query(&pairs)), Body::empty())?;
                let response = inner.call("ListContainers", "", req).await?;
                let empty = response.status() == StatusCode::NO_CONTENT;
                let body = response.into_body().bytes().await?;
                let page: Vec<ContainerEntry> = model::parse_list("ListContainers", empty, &body)?;
                let next = (page.len() == PAGE)
                    .then(|| page.last().map(|c| c.name.clone()))
                    .flatten();
                let containers = page
                    .into_iter()
                    .map(|c| {
                        let mut container = Container::new(c.name);
                        container.created = c.last_modified;
                        for (field, value) in [("object_count", c.count), ("bytes_used", c.bytes)] {
                            if let Some(value) = value {
                                container.extra.insert(field.to_owned(), value.to_string());
                            }
                        }
                        container
                    })
                    .collect();
                Ok(Page::new(containers, next))
            }
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        self.inner.container_head(container).await
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        match self.inner.ensure_container(container).await? {
            // 202: it was there already.
            StatusCode::ACCEPTED => Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("container {container} exists"),
            )
            .with_resource(container)),
            _ => Ok(Container::new(container)),
        }
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        let base = self.inner.base().await?;
        let req = request(
            Method::DELETE,
            container_url(&base, container, ""),
            Body::empty(),
        )?;
        match self.inner.call("DeleteContainer", container, req).await {
            Err(err) if err.status() == Some(StatusCode::CONFLICT) => {
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
        // Swift's marker is exclusive: the first page starts after `start_after`.
        let first = options.start_after.clone();
        paginate(move |marker: Option<String>| {
            let inner = inner.clone();
            let name = name.clone();
            let options = options.clone();
            let marker = marker.or_else(|| first.clone());
            async move {
                let limit = options.page_size.map_or(PAGE, |n| n.clamp(1, PAGE));
                let limit_text = limit.to_string();
                let mut pairs = vec![("format", "json"), ("limit", limit_text.as_str())];
                for (key, value) in [
                    ("prefix", options.prefix.as_deref()),
                    ("delimiter", options.delimiter.as_deref()),
                    ("marker", marker.as_deref()),
                ] {
                    if let Some(value) = value {
                        pairs.push((key, value));
                    }
                }
                let base = inner.base().await?;
                let url = container_url(&base, &name, &query(&pairs));
                let req = request(Method::GET, url, Body::empty())?;
                let response = inner.call("ListObjects", &name, req).await?;
                let empty = response.status() == StatusCode::NO_CONTENT;
                let body = response.into_body().bytes().await?;
                let page: Vec<Entry> = model::parse_list("ListObjects", empty, &body)?;
                let next = (page.len() == limit)
                    .then(|| page.last().map(|e| e.0.name().to_owned()))
                    .flatten();
                Ok(Page::new(page.into_iter().map(|e| e.0).collect(), next))
            }
        })
        .boxed()
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
        let base = self.inner.base().await?;
        let mut req = request(
            Method::GET,
            object(&base, container, key, ""),
            Body::empty(),
        )?;
        cloud_storage::resume::read_headers(options, req.headers_mut())?;
        let response = self.inner.stream("GetObject", resource, req).await?;
        let partial = response.status() == StatusCode::PARTIAL_CONTENT;
        let (range, size) =
            cloud_storage::resume::read_extent(options.range, partial, response.headers())
                .map_err(|e| e.with_resource(resource.to_string()))?;
        let whole = range == (0..size);
        let meta = object_meta(key, response.headers(), size);
        // A whole read of an ordinary object is held to its MD5.
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
        let replaced = self.inner.replaced(container, key).await?;
        let meta = self.write(container, key, payload, options).await?;
        self.inner.delete_replaced(replaced).await;
        Ok(meta)
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        // A large object's segments go with it; Swift says which objects are large only when asked.
        match self.inner.head(container, key).await {
            Ok(meta) if meta.extra.contains_key("large_object") => {
                self.inner.delete_large(container, key).await
            }
            Ok(_) => self.inner.delete_plain(container, key).await,
            // As the trait promises: a missing object is deleted already, a missing container is not.
            Err(err) if err.kind() == ErrorKind::NotFound => {
                self.inner.container_head(container).await.map(drop)
            }
            Err(err) => Err(err),
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
        let replaced = self.inner.replaced(to_container, to_key).await?;
        let base = self.inner.base().await?;
        let mut req = request(
            Method::PUT,
            object(&base, to_container, to_key, ""),
            Body::empty(),
        )?;
        // The source as a path beneath the account, each part encoded as in a URL.
        let source = object("", from_container, from_key, "");
        req.headers_mut()
            .insert("x-copy-from", header("X-Copy-From", &source)?);
        self.inner.call("CopyObject", &resource, req).await?;
        self.inner.delete_replaced(replaced).await;
        self.inner.head(to_container, to_key).await
    }

    async fn presign(
        &self,
        container: &str,
        key: &str,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String> {
        super::presign::url(&self.inner, container, key, method, expires_in).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subdir_is_a_prefix_and_an_md5_a_checksum() {
        let page: Vec<Entry> = model::parse_list(
            "t",
            false,
            br#"[{"name":"a","bytes":3,"hash":"5D41402ABC4B2A76B9719D911017C592"},{"subdir":"b/"}]"#,
        )
        .unwrap();
        let ListEntry::Object(meta) = &page[0].0 else {
            panic!("an object");
        };
        assert_eq!(
            meta.checksum,
            Some(Checksum::Md5("5d41402abc4b2a76b9719d911017c592".into()))
        );
        assert_eq!(page[1].0, ListEntry::Prefix("b/".into()));
    }
}
