//! Large objects and streams of unknown length go up through a resumable upload session: chunks of a
//! multiple of 256 KiB, one after another, each acknowledged with the bytes the service holds. After a
//! broken connection the session is asked how far it got and the rest is sent from there. The object
//! appears only when the last chunk arrives; a failure (or a stream that fails or lies about its
//! length) cancels the session, so nothing is left half-written.

use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cloud_core::{Body, Error, ErrorKind, Operation, Result};
use cloud_storage::{ByteStream, Checksum, Hasher, ObjectMeta, PutOptions};
use futures_util::StreamExt;
use http::Method;

use super::error::RESUME_INCOMPLETE;
use super::headers::{crc32c_to_base64, md5_to_base64, object_meta, resource};
use super::model::{self, Object};
use super::requests::{header, request};
use super::storage::GcsInner;

/// Chunks must be multiples of this, but the last.
pub(crate) const CHUNK_QUANTUM: usize = 256 << 10;

/// One resumable upload session.
struct Session {
    inner: Arc<GcsInner>,
    /// The session URI: whoever holds it may write the object, so it is never printed.
    url: String,
    resource: String,
}

/// How many bytes a session answer says it holds (`Range: bytes=0-N`; none at all without one).
fn persisted(err: &Error) -> Option<u64> {
    if err.code() != Some(RESUME_INCOMPLETE) {
        return None;
    }
    let range = err.message().unwrap_or_default();
    match range.strip_prefix("bytes=0-") {
        Some(end) => end.trim().parse::<u64>().ok().map(|end| end + 1),
        None if range.is_empty() => Some(0),
        None => None,
    }
}

/// What a chunk's answer means.
enum Sent {
    /// The service holds this many bytes and waits for more.
    Holds(u64),
    /// The object is written.
    Done(Box<Object>),
}

impl Session {
    async fn start(
        inner: Arc<GcsInner>,
        bucket: &str,
        key: &str,
        body: String,
        total: Option<u64>,
    ) -> Result<Session> {
        let resource = format!("{bucket}/{key}");
        let url = inner.addressing.upload(
            bucket,
            &super::requests::query(&[("uploadType", "resumable")]),
        );
        let mut req = request(Method::POST, url, Body::from(body))?;
        let headers = req.headers_mut();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        if let Some(total) = total {
            headers.insert(
                "x-upload-content-length",
                header("X-Upload-Content-Length", &total.to_string())?,
            );
        }
        // Starting a session creates nothing; a second one left behind expires unused.
        let op = Operation::new("StartResumableUpload").idempotent(true);
        let response = inner.call(op, &resource, req).await?;
        let url = cloud_core::headers::text(response.headers(), "location").ok_or_else(|| {
            Error::unexpected("the resumable upload started without a session Location")
                .with_resource(resource.clone())
        })?;
        Ok(Session {
            inner,
            url,
            resource,
        })
    }

    /// Sends `data` at `offset`; `total` is the object's size on the last chunk, unknown before.
    async fn send(
        &self,
        offset: u64,
        data: Bytes,
        total: Option<u64>,
        hashes: Option<&str>,
    ) -> Result<Sent> {
        let len = data.len() as u64;
        let range = match (len, total) {
            (0, Some(total)) => format!("bytes */{total}"),
            (_, Some(total)) => format!("bytes {offset}-{}/{total}", offset + len - 1),
            (_, None) => format!("bytes {offset}-{}/*", offset + len - 1),
        };
        let mut req = request(Method::PUT, &self.url, Body::from_bytes(data))?;
        req.headers_mut().insert(
            http::header::CONTENT_RANGE,
            header("Content-Range", &range)?,
        );
        if let Some(hashes) = hashes {
            req.headers_mut()
                .insert("x-goog-hash", header("x-goog-hash", hashes)?);
        }
        // Not retried blindly: after a break the session is asked what it holds (see `upload`).
        let op = Operation::new("UploadChunk").idempotent(false);
        self.answer(self.inner.call(op, &self.resource, req).await)
            .await
    }

    /// Asks the session how many bytes it holds.
    async fn status(&self) -> Result<Sent> {
        let mut req = request(Method::PUT, &self.url, Body::empty())?;
        req.headers_mut().insert(
            http::header::CONTENT_RANGE,
            http::HeaderValue::from_static("bytes */*"),
        );
        let op = Operation::new("QueryUploadStatus").idempotent(true);
        self.answer(self.inner.call(op, &self.resource, req).await)
            .await
    }

    async fn answer(&self, sent: Result<cloud_core::Response>) -> Result<Sent> {
        match sent {
            Ok(response) => {
                let body = response.into_body().bytes().await?;
                Ok(Sent::Done(Box::new(model::parse("UploadChunk", &body)?)))
            }
            Err(err) => match persisted(&err) {
                Some(held) => Ok(Sent::Holds(held)),
                None => Err(err),
            },
        }
    }

    /// Cancels the session (its bytes are dropped; no object appears).
    async fn cancel(&self) {
        let Ok(req) = request(Method::DELETE, &self.url, Body::empty()) else {
            return;
        };
        let op = Operation::new("CancelResumableUpload").idempotent(true);
        // 499 is the documented answer to a cancelled session; any failure here leaves a session
        // that expires unused after a week, never an object.
        if let Err(err) = self.inner.call(op, &self.resource, req).await {
            if err.status().map(|s| s.as_u16()) != Some(499) {
                tracing::debug!(resource = %self.resource, error = %err, "cancelling a resumable upload");
            }
        }
    }

    /// Sends `chunk`, which starts at `offset`, until the session holds all of it (or, for the `last`,
    /// the object is written), resuming from what the session holds after a passing failure. `total`
    /// is the object's size when known.
    #[allow(clippy::too_many_arguments)]
    async fn deliver(
        &self,
        offset: u64,
        chunk: Bytes,
        total: Option<u64>,
        last: bool,
        hashes: Option<&str>,
        attempts: u32,
    ) -> Result<Option<Object>> {
        let end = offset + chunk.len() as u64;
        let mut held = offset;
        let mut failures = 0;
        loop {
            let rest = chunk.slice((held - offset) as usize..);
            let answer = match self.send(held, rest, total, hashes).await {
                Err(err) if err.kind().may_pass() && failures + 1 < attempts => {
                    failures += 1;
                    tokio::time::sleep(Duration::from_millis(200 << failures.min(5))).await;
                    self.status().await?
                }
                other => other?,
            };
            match answer {
                Sent::Done(object) if last => return Ok(Some(*object)),
                Sent::Done(_) => {
                    return Err(Error::unexpected(
                        "the upload session wrote the object before its last chunk",
                    ))
                }
                Sent::Holds(now) if now == end && !last => return Ok(None),
                // The session took only part of the chunk (or, after a break, holds less): the rest
                // is sent again, from where it stopped.
                Sent::Holds(now) if (offset..end).contains(&now) && now >= held => {
                    if now == held {
                        failures += 1;
                        if failures >= attempts {
                            return Err(Error::new(
                                ErrorKind::ServiceUnavailable,
                                format!("the upload session took no bytes at {now}"),
                            ));
                        }
                    }
                    held = now;
                }
                Sent::Holds(now) => {
                    return Err(Error::unexpected(format!(
                        "the upload session holds {now} bytes, but {offset}..{end} were being sent"
                    )))
                }
            }
        }
    }
}

/// Uploads `first` and then the rest of `stream` through a resumable session, in `chunk_size` chunks.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn upload(
    inner: Arc<GcsInner>,
    bucket: &str,
    key: &str,
    options: &PutOptions,
    first: BytesMut,
    mut stream: ByteStream,
    declared: Option<u64>,
    chunk_size: usize,
    attempts: u32,
) -> Result<ObjectMeta> {
    let chunk_size = chunk_size.div_ceil(CHUNK_QUANTUM).max(1) * CHUNK_QUANTUM;
    let body = resource(key, options, None, None);
    let session = Session::start(inner.clone(), bucket, key, body, declared).await?;
    let (mut crc, mut md5) = (Hasher::crc32c(), Hasher::md5());
    let mut buffer = first;
    crc.update(&buffer);
    md5.update(&buffer);
    let mut offset = 0u64;
    let outcome: Result<Object> = async {
        loop {
            // Fill past one chunk, so a full chunk is known not to be the last.
            let mut ended = false;
            while buffer.len() <= chunk_size {
                match stream.next().await {
                    Some(Ok(data)) => {
                        crc.update(&data);
                        md5.update(&data);
                        buffer.extend_from_slice(&data);
                    }
                    Some(Err(err)) => return Err(err),
                    None => {
                        ended = true;
                        break;
                    }
                }
            }
            let seen = offset + buffer.len() as u64;
            if declared.is_some_and(|d| seen > d) {
                cloud_storage::check_length(seen, declared)?;
            }
            if ended {
                cloud_storage::check_length(seen, declared)?;
                let (Checksum::Crc32c(c), Checksum::Md5(m)) = (crc.finish(), md5.finish()) else {
                    unreachable!("the hashers are of these kinds");
                };
                let hashes = format!("crc32c={},md5={}", crc32c_to_base64(c), md5_to_base64(&m));
                let last = buffer.split().freeze();
                let object = session
                    .deliver(offset, last, Some(seen), true, Some(&hashes), attempts)
                    .await?;
                return object.ok_or_else(|| Error::unexpected("the last chunk wrote no object"));
            }
            let chunk = buffer.split_to(chunk_size).freeze();
            let len = chunk.len() as u64;
            session
                .deliver(offset, chunk, declared, false, None, attempts)
                .await?;
            offset += len;
        }
    }
    .await;
    let object = match outcome {
        Ok(object) => object,
        Err(err) => {
            session.cancel().await;
            return Err(err.with_resource(session.resource.clone()));
        }
    };
    let meta = object_meta(object)?;
    inner
        .hold_to(bucket, &meta, &crc.finish(), &md5.finish())
        .await?;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_session_holds() {
        let holds = |range: &str| {
            persisted(
                &Error::new(ErrorKind::Unexpected, "308")
                    .with_code(RESUME_INCOMPLETE)
                    .with_message(range),
            )
        };
        assert_eq!(holds("bytes=0-262143"), Some(262_144));
        assert_eq!(holds(""), Some(0));
        assert_eq!(
            holds("bytes=5-9"),
            None,
            "a session holds bytes from the start"
        );
        assert_eq!(persisted(&Error::new(ErrorKind::Transport, "reset")), None);
    }
}
