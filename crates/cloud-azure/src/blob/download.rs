//! Downloads that survive a broken connection: the rest is asked for with `Range` and `If-Match` on
//! the ETag, so bytes of a newer version of the blob are never spliced onto an older one.

use std::ops::Range;
use std::sync::Arc;

use cloud_core::{Body, ResponseBody};
use cloud_storage::resume::{resumable, Refetch};
use cloud_storage::{ByteStream, Checksum};
use futures_util::{FutureExt, StreamExt};
use http::Method;

use super::requests::{header, request};
use super::storage::BlobInner;

/// The body of a GET of `range`, resumed where it breaks off (only when the blob has an ETag),
/// and held to `checksum` (the whole object\'s, for a whole read).
pub(crate) fn resumable_get(
    inner: Arc<BlobInner>,
    container: String,
    blob: String,
    etag: Option<String>,
    range: Range<u64>,
    body: ResponseBody,
    checksum: Option<&Checksum>,
) -> ByteStream {
    let name = blob.clone();
    let refetch = etag.map(|etag| -> Refetch {
        Arc::new(move |rest: Range<u64>| {
            let (inner, container, blob, etag) =
                (inner.clone(), container.clone(), blob.clone(), etag.clone());
            async move {
                let url = inner.addressing.blob(&container, &blob, "");
                let mut req = request(Method::GET, url, Body::empty())?;
                let range = format!("bytes={}-{}", rest.start, rest.end - 1);
                req.headers_mut()
                    .insert(http::header::RANGE, header("Range", &range)?);
                req.headers_mut()
                    .insert(http::header::IF_MATCH, header("If-Match", &etag)?);
                let resource = format!("{container}/{blob}");
                let response = inner.stream("GetBlob", &resource, req).await?;
                cloud_core::headers::check_resumed(response.headers(), &etag, rest.start)
                    .map_err(|e| e.with_resource(resource))?;
                Ok(response.into_body().boxed())
            }
            .boxed()
        })
    });
    resumable(name, body, range, refetch, checksum)
}
