//! The S3 [`StorageDriver`].

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use cloud_core::{paginate, Body, Error, ErrorKind, HttpService, Page, Resource, Response, Result};
use cloud_storage::multipart::{upload_if_large, ByLength, MultipartConfig, MultipartUpload};
use cloud_storage::resume::{resumable, ReadOf};
use cloud_storage::{
    Capabilities, Checksum, Container, GetOptions, GetResult, ListEntry, ListOptions, ObjectMeta,
    Payload, PendingUpload, PresignMethod, PutOptions, StorageDriver,
};
use futures_util::future::Either;
use futures_util::stream::{BoxStream, StreamExt};
use http::{Method, StatusCode};

use super::download::Rest;
use super::headers::{checksummed, crc32c_header, object_meta, put_headers, text, CHECKSUM_MODE};
use super::model::{self, ListAllMyBucketsResult, ListBucketResult, ListMultipartUploadsResult};
use super::multipart::S3Upload;
use super::regions::{self, BucketRegions};
use super::requests::{copy_source, header, query, request, Addressing};
use crate::auth::SigV4;
use cloud_core::headers::content_length;

/// Object storage on S3 or an S3-compatible service. Cheap to clone; clones share everything.
///
/// Built with [`S3Builder`](super::S3Builder).
#[derive(Clone, Debug)]
pub struct S3 {
    inner: Arc<S3Inner>,
}

#[derive(Debug)]
pub(crate) struct S3Inner {
    pub(crate) provider: &'static str,
    pub(crate) region: String,
    pub(crate) http: HttpService,
    pub(crate) signer: Arc<SigV4>,
    pub(crate) addressing: Addressing,
    pub(crate) multipart_threshold: u64,
    pub(crate) multipart: MultipartConfig,
    /// Buckets found in other regions.
    pub(crate) regions: BucketRegions,
}

impl S3 {
    pub(crate) fn from_inner(inner: S3Inner) -> S3 {
        S3 {
            inner: Arc::new(inner),
        }
    }
}

/// The error of an answer that should be text and is not.
pub(crate) fn not_text(operation: &str) -> Error {
    Error::unexpected(format!("{operation} answered with text that is not UTF-8"))
}

impl S3Inner {
    /// Sends a request whose body is read whole within each attempt (small responses).
    pub(crate) fn call<'a>(
        &'a self,
        operation: &'static str,
        resource: impl Into<Resource<'a>>,
        request: cloud_core::Request,
    ) -> impl Future<Output = Result<Response>> + Send + 'a {
        self.routed(operation, resource.into(), request, true)
    }

    /// Sends a request and returns the response with its body still streaming (object reads).
    pub(crate) fn stream<'a>(
        &'a self,
        operation: &'static str,
        resource: impl Into<Resource<'a>>,
        request: cloud_core::Request,
    ) -> impl Future<Output = Result<Response>> + Send + 'a {
        self.routed(operation, resource.into(), request, false)
    }

    /// Sends `request` to where its bucket lives; when S3 says the bucket is in another region, learns
    /// it and sends the request once more, signed for that region.
    ///
    /// The request goes to the pipeline before the returned future exists, so that future holds no
    /// request to copy each time it moves.
    fn routed<'a>(
        &'a self,
        operation: &'static str,
        resource: Resource<'a>,
        mut request: cloud_core::Request,
        buffered: bool,
    ) -> impl Future<Output = Result<Response>> + Send + 'a {
        let bucket = resource.container();
        let route = self.regions.route(bucket, &mut request);
        let spare = route.spare.map(Box::new);
        let confirmed = route.confirmed;
        let send = move |http: &HttpService, request| {
            if buffered {
                Either::Left(http.send_buffered(operation, request))
            } else {
                Either::Right(http.send(operation, request))
            }
        };
        let first = send(route.http.as_ref().unwrap_or(&self.http), request);
        async move {
            match first.await {
                Ok(response) => {
                    if !confirmed {
                        self.regions.confirm(bucket);
                    }
                    Ok(response)
                }
                Err(err) => match (regions::named_region(&err), spare) {
                    (Some(region), Some(mut again)) if !bucket.is_empty() => {
                        self.regions.learn(bucket, &region)?;
                        let http = self
                            .regions
                            .reroute(bucket, &mut again)
                            .unwrap_or_else(|| self.http.clone());
                        send(&http, *again)
                            .await
                            .map_err(|e| e.with_resource(resource.to_string()))
                    }
                    _ => Err(err.with_resource(resource.to_string())),
                },
            }
        }
    }

    pub(crate) async fn call_xml<'a>(
        &'a self,
        operation: &'static str,
        resource: impl Into<Resource<'a>>,
        request: cloud_core::Request,
    ) -> Result<String> {
        let body = self.call_body(operation, resource, request).await?;
        // The body's own buffer when it is the only owner.
        String::from_utf8(Vec::from(body)).map_err(|_| not_text(operation))
    }

    /// The answer's whole body, in the buffer it arrived in: a listing page is read from there as
    /// `&str`, without a copy.
    pub(crate) async fn call_body<'a>(
        &'a self,
        operation: &'static str,
        resource: impl Into<Resource<'a>>,
        request: cloud_core::Request,
    ) -> Result<bytes::Bytes> {
        self.call(operation, resource, request)
            .await?
            .into_body()
            .bytes()
            .await
    }

    pub(crate) async fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta> {
        let mut req = request(
            Method::HEAD,
            self.addressing.url(bucket, key, ""),
            Body::empty(),
        )?;
        req.headers_mut()
            .insert(CHECKSUM_MODE, http::HeaderValue::from_static("ENABLED"));
        let response = self
            .call("HeadObject", Resource::object(bucket, key), req)
            .await?;
        let size = content_length(response.headers())?;
        Ok(object_meta(key, response.headers(), size))
    }

    async fn head_bucket(&self, bucket: &str) -> Result<()> {
        let req = request(
            Method::HEAD,
            self.addressing.url(bucket, "", ""),
            Body::empty(),
        )?;
        self.call("HeadBucket", bucket, req).await.map(drop)
    }
}

pub(super) fn merge_page(page: ListBucketResult) -> Vec<ListEntry> {
    // Objects and prefixes arrive in two lists; the listing promises one order.
    let mut entries: Vec<ListEntry> = page
        .contents
        .into_iter()
        .map(|content| {
            let mut meta = ObjectMeta::new(content.key, content.size);
            meta.etag = content.etag;
            meta.last_modified = content
                .last_modified
                .as_deref()
                .and_then(cloud_core::time::rfc3339);
            ListEntry::Object(meta)
        })
        .chain(
            page.common_prefixes
                .into_iter()
                .map(|p| ListEntry::Prefix(p.prefix)),
        )
        .collect();
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    entries
}

#[async_trait]
impl StorageDriver for S3 {
    fn provider(&self) -> &'static str {
        self.inner.provider
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    fn list_containers(&self) -> BoxStream<'static, Result<Container>> {
        let inner = self.inner.clone();
        paginate(move |_: Option<()>| {
            let inner = inner.clone();
            async move {
                let req = request(Method::GET, inner.addressing.root(), Body::empty())?;
                let xml = inner.call_xml("ListBuckets", "", req).await?;
                let listed: ListAllMyBucketsResult = model::parse("ListAllMyBucketsResult", &xml)?;
                let containers = listed
                    .buckets
                    .bucket
                    .into_iter()
                    .map(|b| {
                        let mut container = Container::new(b.name);
                        container.created = b
                            .creation_date
                            .as_deref()
                            .and_then(cloud_core::time::rfc3339);
                        container
                    })
                    .collect();
                Ok(Page::new(containers, None))
            }
        })
        .boxed()
    }

    async fn get_container(&self, container: &str) -> Result<Container> {
        self.inner.head_bucket(container).await?;
        Ok(Container::new(container))
    }

    async fn create_container(&self, container: &str) -> Result<Container> {
        // In us-east-1 S3 answers 200 to creating a bucket one already owns; ask first, to say so.
        match self.inner.head_bucket(container).await {
            Ok(()) => {
                return Err(Error::new(
                    ErrorKind::AlreadyExists,
                    format!("bucket {container} exists"),
                )
                .with_resource(container))
            }
            Err(err) if err.is_not_found() => {}
            Err(err) => return Err(err),
        }
        // Outside us-east-1, AWS wants the region named in the request body.
        let body = if self.inner.provider == "s3" && self.inner.region != "us-east-1" {
            Body::from(format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.inner.region
            ))
        } else {
            Body::empty()
        };
        let req = request(
            Method::PUT,
            self.inner.addressing.url(container, "", ""),
            body,
        )?;
        self.inner.call("CreateBucket", container, req).await?;
        Ok(Container::new(container))
    }

    async fn delete_container(&self, container: &str) -> Result<()> {
        let req = request(
            Method::DELETE,
            self.inner.addressing.url(container, "", ""),
            Body::empty(),
        )?;
        self.inner
            .call("DeleteBucket", container, req)
            .await
            .map(drop)
    }

    fn list_objects(
        &self,
        container: &str,
        options: &ListOptions,
    ) -> BoxStream<'static, Result<ListEntry>> {
        let inner = self.inner.clone();
        let bucket = container.to_owned();
        let options = options.clone();
        paginate(move |token: Option<String>| {
            let inner = inner.clone();
            let bucket = bucket.clone();
            let options = options.clone();
            async move {
                let max_keys = options.page_size.map(|n| n.min(1000).to_string());
                let mut pairs = vec![("list-type", "2")];
                for (name, value) in [
                    ("prefix", options.prefix.as_deref()),
                    ("delimiter", options.delimiter.as_deref()),
                    ("max-keys", max_keys.as_deref()),
                    ("continuation-token", token.as_deref()),
                    (
                        "start-after",
                        options.start_after.as_deref().filter(|_| token.is_none()),
                    ),
                ] {
                    if let Some(value) = value {
                        pairs.push((name, value));
                    }
                }
                pairs.sort();
                let req = request(
                    Method::GET,
                    inner.addressing.url(&bucket, "", &query(&pairs)),
                    Body::empty(),
                )?;
                let body = inner.call_body("ListObjectsV2", &bucket, req).await?;
                let xml = std::str::from_utf8(&body).map_err(|_| not_text("ListObjectsV2"))?;
                let page = super::listing::read_page(xml)?;
                let next = if page.is_truncated {
                    page.next_continuation_token.clone()
                } else {
                    None
                };
                if page.is_truncated && next.is_none() {
                    return Err(Error::unexpected(
                        "S3 said the listing goes on but gave no token to continue",
                    ));
                }
                Ok(Page::new(merge_page(page), next))
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
        let mut req = request(
            Method::GET,
            self.inner.addressing.url(container, key, ""),
            Body::empty(),
        )?;
        let headers = req.headers_mut();
        cloud_storage::resume::read_headers(options, headers)?;
        if options.range.is_none() {
            headers.insert(CHECKSUM_MODE, http::HeaderValue::from_static("ENABLED"));
        }
        let response = self.inner.stream("GetObject", resource, req).await?;
        let partial = response.status() == StatusCode::PARTIAL_CONTENT;
        let (range, size) =
            cloud_storage::resume::read_extent(options.range, partial, response.headers())
                .map_err(|e| e.with_resource(resource.to_string()))?;
        let mut meta = object_meta(key, response.headers(), size);
        // A directory bucket's ETags are not MD5s of the bytes, whatever they look like.
        if container.ends_with("--x-s3") && matches!(meta.checksum, Some(Checksum::Md5(_))) {
            meta.checksum = None;
        }
        let whole = options.range.is_none();
        // A whole read is held to the object's checksum; a range has none of its own.
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
        // Owned: the upload is started in a task of its own, which outlives a cancelled caller.
        let (inner, bucket, name, started_with) = (
            self.inner.clone(),
            container.to_owned(),
            key.to_owned(),
            options.clone(),
        );
        let begin = move || async move {
            let upload = S3Upload::start(inner, &bucket, &name, &started_with).await?;
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
        // Small enough to hold: one PUT whose body every retry can resend.
        let data = payload.into_bytes().await?;
        let crc = cloud_storage::crc32c(&data);
        let size = data.len() as u64;
        let mut req = request(
            Method::PUT,
            self.inner.addressing.url(container, key, ""),
            Body::from_bytes(data),
        )?;
        put_headers(&mut req, options)?;
        checksummed(&mut req, crc);
        let response = self
            .inner
            .call("PutObject", Resource::object(container, key), req)
            .await?;
        if let Some(stored) = crc32c_header(response.headers()) {
            if stored != Checksum::Crc32c(crc) {
                return Err(Error::new(
                    ErrorKind::ChecksumMismatch,
                    format!("S3 stored {stored} for {key}, not what was sent"),
                ));
            }
        }
        let mut meta = ObjectMeta::new(key, size);
        meta.etag = text(response.headers(), "etag");
        meta.last_modified = Some(SystemTime::now());
        meta.content_type = options.content_type.clone();
        meta.metadata = options
            .metadata
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        meta.checksum = Some(Checksum::Crc32c(crc));
        Ok(meta)
    }

    async fn delete_object(&self, container: &str, key: &str) -> Result<()> {
        let req = request(
            Method::DELETE,
            self.inner.addressing.url(container, key, ""),
            Body::empty(),
        )?;
        self.inner
            .call("DeleteObject", &format!("{container}/{key}"), req)
            .await
            .map(drop)
    }

    async fn copy_object(
        &self,
        from_container: &str,
        from_key: &str,
        to_container: &str,
        to_key: &str,
    ) -> Result<ObjectMeta> {
        let mut req = request(
            Method::PUT,
            self.inner.addressing.url(to_container, to_key, ""),
            Body::empty(),
        )?;
        req.headers_mut().insert(
            "x-amz-copy-source",
            header("x-amz-copy-source", &copy_source(from_container, from_key))?,
        );
        req.headers_mut().insert(
            "x-amz-metadata-directive",
            http::HeaderValue::from_static("COPY"),
        );
        self.inner
            .call(
                "CopyObject",
                &format!("{from_container}/{from_key} to {to_container}/{to_key}"),
                req,
            )
            .await?;
        self.inner.head(to_container, to_key).await
    }

    async fn presign(
        &self,
        container: &str,
        key: &str,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String> {
        if expires_in > Duration::from_secs(7 * 24 * 3600) {
            return Err(Error::invalid_input(
                "S3 presigned URLs last at most 7 days",
            ));
        }
        let method = match method {
            PresignMethod::Get => Method::GET,
            PresignMethod::Put => Method::PUT,
            _ => return Err(Error::unsupported("that presigned method")),
        };
        let uri: http::Uri = self
            .inner
            .addressing
            .url(container, key, "")
            .parse()
            .map_err(|e| Error::invalid_input("the object URL is not valid").with_source(e))?;
        self.inner
            .signer
            .presign(&method, &uri, expires_in, SystemTime::now())
            .await
    }

    async fn list_pending_uploads(&self, container: &str) -> Result<Vec<PendingUpload>> {
        let mut pending = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut pairs = vec![("uploads", "")];
            if let Some((key, id)) = &markers {
                pairs.push(("key-marker", key));
                pairs.push(("upload-id-marker", id));
            }
            let req = request(
                Method::GET,
                self.inner.addressing.url(container, "", &query(&pairs)),
                Body::empty(),
            )?;
            let xml = self
                .inner
                .call_xml("ListMultipartUploads", container, req)
                .await?;
            let page: ListMultipartUploadsResult =
                model::parse("ListMultipartUploadsResult", &xml)?;
            for upload in page.uploads {
                let mut entry = PendingUpload::new(upload.key, upload.upload_id);
                entry.initiated = upload
                    .initiated
                    .as_deref()
                    .and_then(cloud_core::time::rfc3339);
                pending.push(entry);
            }
            match (
                page.is_truncated,
                page.next_key_marker,
                page.next_upload_id_marker,
            ) {
                (true, Some(key), Some(id)) => markers = Some((key, id)),
                _ => return Ok(pending),
            }
        }
    }
}
