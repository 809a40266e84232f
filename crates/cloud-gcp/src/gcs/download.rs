//! Downloads that survive a broken connection: the rest is asked for with `Range` of the same
//! **generation** (`generation=G`), so bytes of a newer write are never spliced onto an older one.

use std::ops::Range;
use std::sync::Arc;

use cloud_core::{Body, Error, ErrorKind, Result};
use cloud_storage::resume::{rest_request, resumable, ReadOf, Refetch};
use cloud_storage::{ByteRange, ByteStream, GetOptions, GetResult, ObjectMeta};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt};
use http::Method;

use super::headers::media_meta;
use super::requests::{header, query, request};
use super::storage::GcsInner;

/// Asks GCS for the rest of an object: of the generation first read when the answer named one;
/// otherwise whatever the rest is, which the whole object's hash then holds to the first part.
pub(crate) struct Rest(pub(crate) Arc<GcsInner>);

impl Refetch for Rest {
    fn refetch(&self, read: &ReadOf, rest: Range<u64>) -> BoxFuture<'static, Result<ByteStream>> {
        let (inner, read) = (self.0.clone(), read.clone());
        async move {
            let generation = read.version();
            let mut pairs = vec![("alt", "media")];
            if let Some(generation) = generation {
                pairs.push(("generation", generation));
            }
            let q = query(&pairs);
            let url = inner.addressing.object(read.container(), read.key(), &q);
            let req = rest_request(url, &rest, None)?;
            let response = inner.stream("GetObjectMedia", read.resource(), req).await?;
            let headers = response.headers();
            let sent = cloud_core::headers::text(headers, "x-goog-generation");
            if generation.is_some() && sent.is_some() && sent.as_deref() != generation {
                return Err(Error::new(
                    ErrorKind::PreconditionFailed,
                    "the object changed while it was being read",
                )
                .with_resource(read.resource().to_string()));
            }
            match cloud_core::headers::content_range(headers) {
                Some((got, _)) if got.start == rest.start => {}
                _ => {
                    return Err(Error::unexpected(
                        "the resumed body does not start where the first one stopped",
                    )
                    .with_resource(read.resource().to_string()))
                }
            }
            Ok(response.into_body().boxed())
        }
        .boxed()
    }
}

/// Whether `meta` passes the conditions of `options` (GCS has no `If-Match` of its own in the JSON
/// API: the generation is the ETag, and times are compared with `updated`).
fn check_conditions(meta: &ObjectMeta, options: &GetOptions) -> Result<()> {
    let generation = meta.etag.as_deref();
    let unquoted = |tag: &str| tag.trim().trim_matches('"').to_owned();
    if let Some(wanted) = &options.if_match {
        if generation != Some(unquoted(wanted).as_str()) {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                format!(
                    "{} is at generation {}, not {wanted}",
                    meta.key,
                    generation.unwrap_or("?")
                ),
            ));
        }
    }
    if let Some(unwanted) = &options.if_none_match {
        if generation == Some(unquoted(unwanted).as_str()) || unwanted == "*" {
            return Err(Error::new(
                ErrorKind::NotModified,
                format!("{} is not modified", meta.key),
            ));
        }
    }
    if let (Some(since), Some(modified)) = (options.if_modified_since, meta.last_modified) {
        if modified <= since {
            return Err(Error::new(
                ErrorKind::NotModified,
                format!("{} is not modified", meta.key),
            ));
        }
    }
    if let (Some(since), Some(modified)) = (options.if_unmodified_since, meta.last_modified) {
        if modified > since {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                format!("{} was modified since", meta.key),
            ));
        }
    }
    Ok(())
}

/// The total size in a `Content-Range` (`bytes a-b/total`), however wrong its range.
fn content_range_total(headers: &http::HeaderMap) -> Option<u64> {
    let value = cloud_core::headers::text(headers, "content-range")?;
    value.rsplit_once('/')?.1.trim().parse().ok()
}

/// Reads an object: one media request when unconditional; with conditions or a suffix range, the
/// metadata first (conditions checked against it), then the media of exactly that generation.
pub(crate) async fn get(
    inner: Arc<GcsInner>,
    bucket: &str,
    key: &str,
    options: &GetOptions,
) -> Result<GetResult> {
    let resource = format!("{bucket}/{key}");
    let mut range = options.range;
    let conditional = options.if_match.is_some()
        || options.if_none_match.is_some()
        || options.if_modified_since.is_some()
        || options.if_unmodified_since.is_some();
    let mut known: Option<ObjectMeta> = None;
    if conditional || matches!(range, Some(ByteRange::Suffix(_))) {
        let meta = inner.metadata(bucket, key).await?;
        check_conditions(&meta, options).map_err(|e| e.with_resource(&resource))?;
        if let Some(suffix @ ByteRange::Suffix(_)) = range {
            range = Some(ByteRange::new(
                suffix
                    .resolve(meta.size)
                    .map_err(|e| e.with_resource(&resource))?,
            ));
        }
        known = Some(meta);
    }
    let pinned = known.as_ref().and_then(|m| m.etag.clone());
    let mut pairs = vec![("alt", "media")];
    if let Some(generation) = pinned.as_deref() {
        // Exactly the generation the conditions held for; a newer write in between is not read.
        pairs.push(("generation", generation));
        pairs.push(("ifGenerationMatch", generation));
    }
    let mut req = request(
        Method::GET,
        inner.addressing.object(bucket, key, &query(&pairs)),
        Body::empty(),
    )?;
    if let Some(range) = range {
        req.headers_mut()
            .insert(http::header::RANGE, header("Range", &range.to_header()?)?);
    }
    let response = match inner.stream("GetObjectMedia", &resource, req).await {
        Err(err) if pinned.is_some() && err.kind() == ErrorKind::NotFound => {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                "the object changed between its conditions and its read",
            )
            .with_resource(resource))
        }
        other => other?,
    };
    let partial = response.status() == http::StatusCode::PARTIAL_CONTENT;
    // A server that answers a range past the end with 206 still says the object's size.
    if let (Some(asked), true) = (range, partial) {
        if let Some(total) = content_range_total(response.headers()) {
            asked
                .resolve(total)
                .map_err(|e| e.with_resource(&resource))?;
        }
    }
    let (got, size) = cloud_storage::resume::read_extent(range, partial, response.headers())
        .map_err(|e| e.with_resource(&resource))?;
    let mut meta = media_meta(key, response.headers(), size);
    if let Some(generation) = &meta.etag {
        if pinned.as_ref().is_some_and(|p| p != generation) {
            return Err(Error::new(
                ErrorKind::PreconditionFailed,
                "the server sent another generation than the one asked for",
            )
            .with_resource(resource));
        }
    }
    if let Some(known) = known {
        // The metadata is complete (and names the generation, which not every server's media
        // answer does).
        meta = known;
        meta.size = size;
    }
    let whole = got == (0..size);
    // A whole read is held to the object's hash; a range has none of its own.
    let checksum = options.checksum_to_check(meta.checksum.as_ref(), whole);
    // Without a generation, only the whole object's hash can show the rest is of the same version
    // (so a read that skips the hash is not resumed).
    let may_resume = meta.etag.is_some() || checksum.is_some();
    let body = resumable(
        ReadOf::new(bucket, key, meta.etag.as_deref()),
        response.into_body(),
        got.clone(),
        may_resume.then(|| Rest(inner.clone())),
        checksum,
    );
    Ok(GetResult {
        meta,
        range: got,
        body,
    })
}
