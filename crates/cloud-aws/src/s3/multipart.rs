//! S3 multipart uploads, driven by the shared multipart engine.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use cloud_core::{Body, Error, Result};
use cloud_storage::multipart::{MultipartUpload, Part};
use cloud_storage::{ObjectMeta, PutOptions};
use http::Method;

use super::headers::{checksummed, put_headers};
use super::model::{self, CompleteMultipartUpload, CompletedPart, InitiateMultipartUploadResult};
use super::requests::{query, request};
use super::storage::S3Inner;

/// One multipart upload in progress.
#[derive(Debug)]
pub(crate) struct S3Upload {
    inner: Arc<S3Inner>,
    bucket: String,
    key: String,
    upload_id: String,
}

impl S3Upload {
    /// Starts an upload of `key` (CreateMultipartUpload).
    pub(crate) async fn start(
        inner: Arc<S3Inner>,
        bucket: &str,
        key: &str,
        options: &PutOptions,
    ) -> Result<S3Upload> {
        let mut req = request(
            Method::POST,
            &inner.addressing.url(bucket, key, "uploads="),
            Body::empty(),
        )?;
        put_headers(&mut req, options)?;
        let xml = inner
            .call_xml("CreateMultipartUpload", &format!("{bucket}/{key}"), req)
            .await?;
        let started: InitiateMultipartUploadResult =
            model::parse("InitiateMultipartUploadResult", &xml)?;
        Ok(S3Upload {
            inner,
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            upload_id: started.upload_id,
        })
    }

    fn url(&self, pairs: &[(&str, &str)]) -> String {
        self.inner
            .addressing
            .url(&self.bucket, &self.key, &query(pairs))
    }

    fn resource(&self) -> String {
        format!("{}/{}", self.bucket, self.key)
    }
}

#[async_trait]
impl MultipartUpload for S3Upload {
    async fn put_part(&self, number: u32, data: Bytes) -> Result<Part> {
        let size = data.len() as u64;
        let number_text = number.to_string();
        let url = self.url(&[("partNumber", &number_text), ("uploadId", &self.upload_id)]);
        let mut req = request(Method::PUT, &url, Body::from_bytes(data.clone()))?;
        checksummed(&mut req, &data)?;
        let response = self.inner.call("UploadPart", &self.resource(), req).await?;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Error::unexpected(format!("S3 acknowledged part {number} without an ETag"))
            })?;
        Ok(Part::new(number, etag, size))
    }

    async fn complete(&self, parts: Vec<Part>) -> Result<ObjectMeta> {
        let document = CompleteMultipartUpload {
            parts: parts
                .iter()
                .map(|p| CompletedPart {
                    part_number: p.number,
                    etag: p.etag.clone(),
                })
                .collect(),
        };
        let xml = quick_xml::se::to_string(&document)
            .map_err(|e| Error::unexpected("encoding the part list").with_source(e))?;
        // Completing is a POST, but completing the same upload again is harmless: safe to retry.
        let req = request(
            Method::POST,
            &self.url(&[("uploadId", &self.upload_id)]),
            Body::from(xml),
        )?;
        self.inner
            .http
            .send_buffered(
                cloud_core::Operation::new("CompleteMultipartUpload").idempotent(true),
                req,
            )
            .await
            .map_err(|e| e.with_resource(self.resource()))?;
        self.inner.head(&self.bucket, &self.key).await
    }

    async fn abort(&self) -> Result<()> {
        let req = request(
            Method::DELETE,
            &self.url(&[("uploadId", &self.upload_id)]),
            Body::empty(),
        )?;
        match self
            .inner
            .call("AbortMultipartUpload", &self.resource(), req)
            .await
        {
            Err(err) if err.is_not_found() => Ok(()),
            other => other.map(drop),
        }
    }
}
