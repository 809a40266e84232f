//! Large objects as Static Large Objects, driven by the shared multipart engine: each part is a
//! segment object in the container's `_segments` companion, sent with its MD5 as `ETag` (Swift refuses
//! a segment whose bytes do not match), the object appears only when the manifest is written, and a
//! failed upload deletes the segments it wrote.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use cloud_core::{Body, Error, ErrorKind, Operation, Result};
use cloud_storage::multipart::{MultipartUpload, Part, PartData};
use cloud_storage::{ObjectMeta, PutOptions};
use futures_util::StreamExt;
use md5::{Digest, Md5};

use super::headers::put_headers;
use super::requests::{header, object, query, request};
use super::storage::SwiftInner;

/// The container that holds the segments of `container`'s large objects.
pub(crate) fn segments_container(container: &str) -> String {
    format!("{container}_segments")
}

/// One Static Large Object upload in progress.
#[derive(Debug)]
pub(crate) struct SloUpload {
    inner: Arc<SwiftInner>,
    container: String,
    key: String,
    options: PutOptions,
    /// `KEY/slo/UNIQUE/`: this upload's segments, apart from any other upload's of the same key.
    prefix: String,
    /// Segments written so far, to delete if the upload fails.
    written: Mutex<Vec<String>>,
}

impl SloUpload {
    /// Prepares an upload (creating the segments container if need be).
    pub(crate) async fn begin(
        inner: Arc<SwiftInner>,
        container: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<SloUpload> {
        inner
            .ensure_container(&segments_container(container))
            .await?;
        let stamp = crate::auth::unix(std::time::SystemTime::now());
        Ok(SloUpload {
            inner,
            container: container.to_owned(),
            key: key.to_owned(),
            options: options.clone(),
            prefix: format!("{key}/slo/{stamp}-{:016x}/", fastrand::u64(..)),
            written: Mutex::new(Vec::new()),
        })
    }

    fn resource(&self) -> String {
        format!("{}/{}", self.container, self.key)
    }

    fn segment(&self, number: u32) -> String {
        format!("{}{number:08}", self.prefix)
    }
}

#[async_trait]
impl MultipartUpload for SloUpload {
    async fn put_part(&self, number: u32, data: PartData) -> Result<Part> {
        let size = data.len() as u64;
        let name = self.segment(number);
        let mut hasher = Md5::new();
        data.chunks().iter().for_each(|chunk| hasher.update(chunk));
        let md5 = cloud_core::hex::encode(hasher.finalize());
        let base = self.inner.base().await?;
        let url = object(&base, &segments_container(&self.container), &name, "");
        let mut req = request(
            http::Method::PUT,
            &url,
            Body::from_chunks(data.into_chunks()),
        )?;
        req.headers_mut().insert("etag", header("ETag", &md5)?);
        if let Ok(mut written) = self.written.lock() {
            written.push(name.clone());
        }
        self.inner.call("PutSegment", &self.resource(), req).await?;
        Ok(Part::new(number, md5, size))
    }

    async fn complete(&self, mut parts: Vec<Part>) -> Result<ObjectMeta> {
        parts.sort_by_key(|p| p.number);
        let segments = segments_container(&self.container);
        let manifest: Vec<serde_json::Value> = parts
            .iter()
            .map(|p| {
                serde_json::json!({
                    "path": format!("/{segments}/{}", self.segment(p.number)),
                    "etag": p.etag,
                    "size_bytes": p.size,
                })
            })
            .collect();
        let base = self.inner.base().await?;
        let url = object(
            &base,
            &self.container,
            &self.key,
            &query(&[("multipart-manifest", "put")]),
        );
        let body = serde_json::Value::Array(manifest).to_string();
        let mut req = request(http::Method::PUT, url, Body::from(body))?;
        put_headers(&mut req, &self.options)?;
        // Writing the same manifest again gives the same object.
        let op = Operation::new("PutManifest").idempotent(true);
        let response = self.inner.call(op, &self.resource(), req).await?;
        // Swift answers with the MD5 of the segments' MD5s, as it checked them.
        let mut joined = Md5::new();
        for part in &parts {
            joined.update(part.etag.as_bytes());
        }
        let expected = cloud_core::hex::encode(joined.finalize());
        if let Some(etag) = cloud_core::headers::text(response.headers(), "etag") {
            if etag.trim_matches('"') != expected {
                return Err(Error::new(
                    ErrorKind::ChecksumMismatch,
                    format!(
                        "Swift wrote the manifest of {} with other segments",
                        self.key
                    ),
                )
                .with_resource(self.resource()));
            }
        }
        self.inner.head(&self.container, &self.key).await
    }

    async fn abort(&self) -> Result<()> {
        let written = self.written.lock().map(|w| w.clone()).unwrap_or_default();
        let segments = segments_container(&self.container);
        let inner = self.inner.clone();
        let results: Vec<Result<()>> = futures_util::stream::iter(written)
            .map(|name| {
                let (inner, segments) = (inner.clone(), segments.clone());
                async move { inner.delete_plain(&segments, &name).await }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        results.into_iter().collect()
    }
}
