//! Block blob uploads in parts, driven by the shared multipart engine: each part is a Put Block with
//! its `Content-MD5` (checked by the service), the blob appears only at Put Block List, and a failed
//! upload commits nothing (its uncommitted blocks expire on their own after a week).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use cloud_core::{Body, Error, ErrorKind, Result};
use cloud_storage::multipart::{MultipartUpload, Part, PartData};
use cloud_storage::{Checksum, ObjectMeta, PutOptions};
use md5::{Digest, Md5};

use super::headers::put_headers;
use super::model::BlockList;
use super::requests::{header, query, request};
use super::storage::BlobInner;

/// One block blob upload in progress.
#[derive(Debug)]
pub(crate) struct BlockUpload {
    inner: Arc<BlobInner>,
    container: String,
    blob: String,
    options: PutOptions,
    /// Distinguishes this upload's blocks from another's to the same blob (ids of one blob must all
    /// have the same length).
    prefix: String,
    /// The MD5 of the whole content, fed by the stream as the engine reads it, in order.
    whole: Arc<Mutex<Md5>>,
}

impl BlockUpload {
    pub(crate) fn new(
        inner: Arc<BlobInner>,
        container: &str,
        blob: &str,
        options: &PutOptions,
        whole: Arc<Mutex<Md5>>,
    ) -> BlockUpload {
        BlockUpload {
            inner,
            container: container.to_owned(),
            blob: blob.to_owned(),
            options: options.clone(),
            prefix: format!("{:016x}", fastrand::u64(..)),
            whole,
        }
    }

    fn block_id(&self, number: u32) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{}-{number:06}", self.prefix))
    }

    fn resource(&self) -> String {
        format!("{}/{}", self.container, self.blob)
    }
}

pub(crate) fn md5_base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(data))
}

#[async_trait]
impl MultipartUpload for BlockUpload {
    async fn put_part(&self, number: u32, data: PartData) -> Result<Part> {
        let size = data.len() as u64;
        let id = self.block_id(number);
        let url = self.inner.addressing.blob(
            &self.container,
            &self.blob,
            &query(&[("comp", "block"), ("blockid", &id)]),
        );
        let mut hasher = Md5::new();
        data.chunks().iter().for_each(|chunk| hasher.update(chunk));
        let md5 = base64::engine::general_purpose::STANDARD.encode(hasher.finalize());
        let mut req = request(
            http::Method::PUT,
            &url,
            Body::from_chunks(data.into_chunks()),
        )?;
        req.headers_mut()
            .insert("content-md5", header("Content-MD5", &md5)?);
        self.inner.call("PutBlock", &self.resource(), req).await?;
        Ok(Part::new(number, id, size))
    }

    async fn complete(&self, mut parts: Vec<Part>) -> Result<ObjectMeta> {
        parts.sort_by_key(|p| p.number);
        let document = BlockList {
            latest: parts.iter().map(|p| p.etag.clone()).collect(),
        };
        let xml = quick_xml::se::to_string(&document)
            .map_err(|e| Error::unexpected("encoding the block list").with_source(e))?;
        let whole = self
            .whole
            .lock()
            .map_err(|_| Error::unexpected("the upload's checksum was lost"))?
            .clone()
            .finalize();
        let url = self
            .inner
            .addressing
            .blob(&self.container, &self.blob, "comp=blocklist");
        let body_md5 = md5_base64(xml.as_bytes());
        let mut req = request(http::Method::PUT, url, Body::from(xml))?;
        put_headers(&mut req, &self.options)?;
        let headers = req.headers_mut();
        headers.insert("content-md5", header("Content-MD5", &body_md5)?);
        // Stored as the blob's MD5, so every later whole read is checked against what was sent.
        let whole_b64 = base64::engine::general_purpose::STANDARD.encode(whole);
        headers.insert(
            "x-ms-blob-content-md5",
            header("x-ms-blob-content-md5", &whole_b64)?,
        );
        // Committing the same list again gives the same blob: safe to retry.
        self.inner
            .call("PutBlockList", &self.resource(), req)
            .await?;
        let meta = self.inner.head(&self.container, &self.blob).await?;
        let sent = Checksum::Md5(cloud_core::hex::encode(whole));
        if meta.checksum.as_ref().is_some_and(|c| *c != sent) {
            return Err(Error::new(
                ErrorKind::ChecksumMismatch,
                format!(
                    "Azure stored {} for {}, not the {sent} sent",
                    meta.checksum
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    self.blob
                ),
            )
            .with_resource(self.resource()));
        }
        Ok(meta)
    }

    async fn abort(&self) -> Result<()> {
        // Nothing to do: blocks never committed are not part of any blob and expire by themselves.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_is_base64_of_the_digest() {
        assert_eq!(md5_base64(b"hello"), "XUFAKrxLKna5cZ2REBfFkg==");
    }
}
