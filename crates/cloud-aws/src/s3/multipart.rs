//! S3 multipart uploads, driven by the shared multipart engine.

use std::sync::Arc;

use async_trait::async_trait;
use cloud_core::{Body, Error, ErrorKind, Result};
use cloud_storage::multipart::{MultipartUpload, Part, PartData};
use cloud_storage::{Checksum, ObjectMeta, PutOptions};
use http::Method;

use super::headers::{checksummed, crc32c_value, put_headers};
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
            inner.addressing.url(bucket, key, "uploads="),
            Body::empty(),
        )?;
        put_headers(&mut req, options)?;
        // Every part carries its CRC-32C; S3 checks them only if the upload says so from the start,
        // and then gives the object a composite checksum of the parts' checksums.
        let headers = req.headers_mut();
        headers.insert(
            "x-amz-checksum-algorithm",
            http::HeaderValue::from_static("CRC32C"),
        );
        headers.insert(
            "x-amz-checksum-type",
            http::HeaderValue::from_static("COMPOSITE"),
        );
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
    async fn put_part(&self, number: u32, data: PartData) -> Result<Part> {
        let size = data.len() as u64;
        let number_text = number.to_string();
        let url = self.url(&[("partNumber", &number_text), ("uploadId", &self.upload_id)]);
        let crc = data
            .chunks()
            .iter()
            .fold(0, |crc, chunk| cloud_storage::crc32c_append(crc, chunk));
        let mut req = request(Method::PUT, url, Body::from_chunks(data.into_chunks()))?;
        checksummed(&mut req, crc);
        let response = self.inner.call("UploadPart", &self.resource(), req).await?;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                Error::unexpected(format!("S3 acknowledged part {number} without an ETag"))
            })?;
        Ok(Part::new(number, etag, size).with_checksum(Checksum::Crc32c(crc)))
    }

    async fn complete(&self, parts: Vec<Part>) -> Result<ObjectMeta> {
        let document = CompleteMultipartUpload {
            parts: parts
                .iter()
                .map(|p| CompletedPart {
                    part_number: p.number,
                    etag: p.etag.clone(),
                    checksum_crc32c: match p.checksum {
                        Some(Checksum::Crc32c(crc)) => Some(crc32c_value(crc)),
                        _ => None,
                    },
                })
                .collect(),
        };
        let xml = quick_xml::se::to_string(&document)
            .map_err(|e| Error::unexpected("encoding the part list").with_source(e))?;
        // Completing is a POST, but completing the same upload again is harmless: safe to retry.
        let req = request(
            Method::POST,
            self.url(&[("uploadId", &self.upload_id)]),
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
        let meta = self.inner.head(&self.bucket, &self.key).await?;
        check_composite(&meta, &parts).map_err(|e| e.with_resource(self.resource()))?;
        Ok(meta)
    }

    async fn abort(&self) -> Result<()> {
        let req = request(
            Method::DELETE,
            self.url(&[("uploadId", &self.upload_id)]),
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

/// The composite CRC-32C S3 gives a multipart object: the CRC-32C of the parts' CRC-32Cs (big-endian,
/// in part order), then `-` and the number of parts.
pub(crate) fn composite_crc32c(parts: &[Part]) -> Option<String> {
    let mut sorted: Vec<&Part> = parts.iter().collect();
    sorted.sort_by_key(|p| p.number);
    let mut joined = Vec::with_capacity(4 * sorted.len());
    for part in sorted {
        let Some(Checksum::Crc32c(crc)) = part.checksum else {
            return None;
        };
        joined.extend_from_slice(&crc.to_be_bytes());
    }
    Some(format!(
        "{}-{}",
        crc32c_value(cloud_storage::crc32c(&joined)),
        parts.len()
    ))
}

/// Holds the checksum S3 reports for the finished object (when it reports one) to the parts sent.
fn check_composite(meta: &ObjectMeta, parts: &[Part]) -> Result<()> {
    let (Some(reported), Some(expected)) = (
        meta.extra.get("checksum_crc32c_composite"),
        composite_crc32c(parts),
    ) else {
        return Ok(());
    };
    if *reported != expected {
        return Err(Error::new(
            ErrorKind::ChecksumMismatch,
            format!(
                "S3 reports the checksum {reported} for the completed object; its parts give {expected}"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_composite_checksum_is_the_crc_of_the_part_crcs() {
        let one = cloud_storage::crc32c(b"hello ");
        let two = cloud_storage::crc32c(b"world");
        let parts = vec![
            Part::new(2, "e2", 5).with_checksum(Checksum::Crc32c(two)),
            Part::new(1, "e1", 6).with_checksum(Checksum::Crc32c(one)),
        ];
        let mut joined = one.to_be_bytes().to_vec();
        joined.extend_from_slice(&two.to_be_bytes());
        let expected = format!("{}-2", crc32c_value(cloud_storage::crc32c(&joined)));
        assert_eq!(composite_crc32c(&parts).as_deref(), Some(expected.as_str()));
        assert_eq!(composite_crc32c(&[Part::new(1, "e", 1)]), None);
    }
}
