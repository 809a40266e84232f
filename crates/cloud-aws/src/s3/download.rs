//! Downloads that survive a broken connection: the rest is asked for with `Range`, and `If-Match` on
//! the ETag, so bytes of a newer version of the object are never spliced onto an older one.

use std::ops::Range;
use std::sync::Arc;

use cloud_core::{Body, Error, ErrorKind, ResponseBody, Result};
use cloud_storage::ByteStream;
use futures_util::stream::{self, StreamExt};
use http::Method;

use super::requests::{header, request};
use super::storage::S3Inner;

/// How many times one download may resume.
const MAX_RESUMES: u32 = 5;

struct Download {
    inner: Arc<S3Inner>,
    bucket: String,
    key: String,
    etag: Option<String>,
    /// The next byte expected, and one past the last.
    next: u64,
    end: u64,
    body: Option<ResponseBody>,
    resumes: u32,
}

impl Download {
    /// Asks for the bytes still missing.
    async fn resume(&mut self, cause: Error) -> Result<()> {
        let Some(etag) = self.etag.clone() else {
            return Err(cause);
        };
        if self.resumes >= MAX_RESUMES {
            return Err(cause);
        }
        self.resumes += 1;
        tracing::debug!(key = %self.key, at = self.next, resumes = self.resumes, error = %cause, "resuming a download");
        let url = self.inner.addressing.url(&self.bucket, &self.key, "");
        let mut req = request(Method::GET, &url, Body::empty())?;
        let range = format!("bytes={}-{}", self.next, self.end - 1);
        req.headers_mut()
            .insert(http::header::RANGE, header("Range", &range)?);
        req.headers_mut()
            .insert(http::header::IF_MATCH, header("If-Match", &etag)?);
        let resource = format!("{}/{}", self.bucket, self.key);
        let response = self.inner.stream("GetObject", &resource, req).await?;
        // Not every server honours If-Match (s3s-fs does not): check the version and the offset too.
        let headers = response.headers();
        let same_version = headers
            .get(http::header::ETAG)
            .is_none_or(|tag| tag.as_bytes() == etag.as_bytes());
        if !same_version {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                "the object changed while it was being read",
            )
            .with_resource(resource));
        }
        let starts_right = headers
            .get(http::header::CONTENT_RANGE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(&format!("bytes {}-", self.next)));
        if !starts_right {
            return Err(Error::unexpected(
                "the resumed body does not start where the first one stopped",
            )
            .with_resource(resource));
        }
        self.body = Some(response.into_body());
        Ok(())
    }
}

/// The body of a GET of `range`, resumed where it broke off, as often as [`MAX_RESUMES`].
pub(crate) fn resumable(
    inner: Arc<S3Inner>,
    bucket: String,
    key: String,
    etag: Option<String>,
    range: Range<u64>,
    body: ResponseBody,
) -> ByteStream {
    let download = Download {
        inner,
        bucket,
        key,
        etag,
        next: range.start,
        end: range.end,
        body: Some(body),
        resumes: 0,
    };
    stream::unfold(Some(download), |state| async move {
        let mut download = state?;
        loop {
            let body = download.body.as_mut()?;
            let failure = match body.next().await {
                Some(Ok(chunk)) => {
                    download.next += chunk.len() as u64;
                    return Some((Ok(chunk), Some(download)));
                }
                None if download.next >= download.end => return None,
                None => Error::new(
                    ErrorKind::Transport,
                    format!(
                        "the body ended after {} of {} bytes",
                        download.next, download.end
                    ),
                ),
                // A broken or stalled body resumes where it stopped.
                Some(Err(err))
                    if matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) =>
                {
                    err
                }
                Some(Err(err)) => return Some((Err(err), None)),
            };
            if let Err(err) = download.resume(failure).await {
                return Some((Err(err), None));
            }
        }
    })
    .boxed()
}
