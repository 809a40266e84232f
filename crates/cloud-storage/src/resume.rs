//! Reads that survive a broken or stalled connection: the bytes still missing are asked for again, of
//! the same version of the object, so a reader never gets a shorter body or two versions spliced.

use std::ops::Range;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use cloud_core::{Error, ErrorKind, ResponseBody, Result};
use futures_util::future::{BoxFuture, FutureExt};
use futures_util::stream::{Stream, StreamExt};

use crate::checksum::{Check, Checksum};
use crate::driver::ByteStream;
use crate::types::ByteRange;

/// How many times one read may resume.
pub const MAX_RESUMES: u32 = 5;

/// The object a read is of: its container, key and version (ETag, generation), the version
/// first read, kept in one allocation for as long as the read may resume.
#[derive(Clone, Debug)]
pub struct ReadOf {
    text: String,
    container_end: usize,
    key_end: usize,
    versioned: bool,
}

impl ReadOf {
    /// The read of `key` in `container`, of `version` when there is one.
    pub fn new(container: &str, key: &str, version: Option<&str>) -> ReadOf {
        let version_len = version.map_or(0, str::len);
        let mut text = String::with_capacity(container.len() + key.len() + version_len);
        text.push_str(container);
        text.push_str(key);
        text.push_str(version.unwrap_or_default());
        ReadOf {
            text,
            container_end: container.len(),
            key_end: container.len() + key.len(),
            versioned: version.is_some(),
        }
    }

    /// The container (bucket) read from.
    pub fn container(&self) -> &str {
        &self.text[..self.container_end]
    }

    /// The object's key.
    pub fn key(&self) -> &str {
        &self.text[self.container_end..self.key_end]
    }

    /// The version first read, if the provider named one.
    pub fn version(&self) -> Option<&str> {
        self.versioned.then(|| &self.text[self.key_end..])
    }

    /// The object as requests and errors name it.
    pub fn resource(&self) -> cloud_core::Resource<'_> {
        cloud_core::Resource::object(self.container(), self.key())
    }
}

/// Asks a provider for bytes `rest` of the version first read (by `If-Match` on its ETag, or the
/// provider's equivalent), checking the answer starts at `rest.start` and is of that version.
pub trait Refetch: Send + Sync + Unpin + 'static {
    /// The request for the rest of `read`.
    fn refetch(&self, read: &ReadOf, rest: Range<u64>) -> BoxFuture<'static, Result<ByteStream>>;
}

/// The GET of `url` for bytes `rest`, of the version `if_match` names (an ETag) when there is one.
pub fn rest_request(
    url: String,
    rest: &Range<u64>,
    if_match: Option<&str>,
) -> Result<cloud_core::Request> {
    use cloud_core::http::header;
    use cloud_core::request::{header_value, request};
    let mut req = request(
        cloud_core::http::Method::GET,
        url,
        cloud_core::Body::empty(),
    )?;
    let headers = req.headers_mut();
    let range = format!("bytes={}-{}", rest.start, rest.end.saturating_sub(1));
    headers.insert(header::RANGE, header_value("Range", &range)?);
    if let Some(etag) = if_match {
        headers.insert(header::IF_MATCH, header_value("If-Match", etag)?);
    }
    Ok(req)
}

/// The rest of `read`, bytes `rest`, from `url`, held to its version by `If-Match` on the ETag: the
/// [`rest_request`], sent through `send` (the provider's call), and its answer checked to be of that
/// version and to start at `rest.start`.
pub async fn fetch_by_etag<F, Fut>(
    read: &ReadOf,
    rest: &Range<u64>,
    url: String,
    send: F,
) -> Result<ByteStream>
where
    F: FnOnce(cloud_core::Request) -> Fut,
    Fut: std::future::Future<Output = Result<cloud_core::Response>>,
{
    let response = send(rest_request(url, rest, read.version())?).await?;
    let etag = read.version().unwrap_or_default();
    cloud_core::headers::check_resumed(response.headers(), etag, rest.start)
        .map_err(|e| e.with_resource(read.resource().to_string()))?;
    Ok(response.into_body().boxed())
}

/// A read in progress: a stream written by hand (rather than an `unfold` of an async block) since
/// every chunk of every download passes through it. It checks the checksum too, rather than leaving
/// that to a [`verified`](crate::verified) stream around it, and holds its provider's [`Refetch`] by
/// value: one allocation a read for all of it.
struct Resumable<R> {
    read: ReadOf,
    body: Source,
    /// The whole object's checksum, checked at the end.
    check: Option<Check>,
    next: u64,
    end: u64,
    refetch: Option<R>,
    resumes: u32,
    /// The request for the rest, while it is on its way.
    resuming: Option<BoxFuture<'static, Result<ByteStream>>>,
    done: bool,
}

/// Where the bytes come from: the first answer, or the answer that resumed it.
enum Source {
    First(ResponseBody),
    Rest(ByteStream),
}

impl Source {
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        match self {
            Source::First(body) => body.poll_next_unpin(cx),
            Source::Rest(body) => body.poll_next_unpin(cx),
        }
    }
}

impl<R: Refetch> Resumable<R> {
    /// Asks for the rest after `cause` broke the read, or gives `cause` back when the read may not
    /// resume.
    fn resume(&mut self, cause: Error) -> Result<BoxFuture<'static, Result<ByteStream>>> {
        let Some(refetch) = &self.refetch else {
            // Without a version to hold the rest to, a resumed read could splice two versions.
            return Err(cause);
        };
        if self.resumes >= MAX_RESUMES {
            return Err(cause);
        }
        self.resumes += 1;
        tracing::debug!(key = %self.read.key(), at = self.next, resumes = self.resumes, error = %cause, "resuming a read");
        Ok(refetch.refetch(&self.read, self.next..self.end))
    }

    /// Ends a read that has every byte: with nothing more, or with the checksum's mismatch.
    fn finish(&mut self) -> Poll<Option<Result<Bytes>>> {
        self.done = true;
        let key = self.read.key();
        match self.check.take().and_then(|check| check.finish(key)) {
            Some(mismatch) => Poll::Ready(Some(Err(mismatch))),
            None => Poll::Ready(None),
        }
    }

    /// Ends the read with `err`.
    fn fail(&mut self, err: Error) -> Poll<Option<Result<Bytes>>> {
        self.done = true;
        self.resuming = None;
        Poll::Ready(Some(Err(err)))
    }
}

impl<R: Refetch> Stream for Resumable<R> {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes>>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(resuming) = &mut this.resuming {
                match ready!(resuming.poll_unpin(cx)) {
                    Ok(body) => {
                        this.body = Source::Rest(body);
                        this.resuming = None;
                    }
                    Err(err) => return this.fail(err),
                }
            }
            let failure = match ready!(this.body.poll_next(cx)) {
                Some(Ok(chunk)) => {
                    this.next += chunk.len() as u64;
                    if let Some(check) = &mut this.check {
                        check.update(&chunk);
                    }
                    return Poll::Ready(Some(Ok(chunk)));
                }
                None if this.next >= this.end => return this.finish(),
                None => Error::new(
                    ErrorKind::Transport,
                    format!("the body ended after {} of {} bytes", this.next, this.end),
                ),
                // Every byte came before the connection broke (an HTTP/2 connection closed before
                // the stream's end was marked): there is no rest to ask for, and the checksum says
                // whether the bytes are right.
                Some(Err(err))
                    if this.next >= this.end
                        && matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) =>
                {
                    return this.finish()
                }
                Some(Err(err))
                    if matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) =>
                {
                    err
                }
                Some(Err(err)) => return this.fail(err),
            };
            match this.resume(failure) {
                Ok(resuming) => this.resuming = Some(resuming),
                Err(err) => return this.fail(err),
            }
        }
    }
}

/// `body`, the bytes `range` of the object `read` names, resumed through `refetch` where it breaks
/// (a transport error or timeout, or an end before `range.end`), as often as [`MAX_RESUMES`]. With no
/// `refetch` (the object had no version to hold the rest to) a break is the reader's error.
///
/// With a `checksum` (of the whole object, for a whole read), the read is held to it as
/// [`verified`](crate::verified) holds a stream: after the last chunk, one more item fails with
/// [`ErrorKind::ChecksumMismatch`] if the bytes that came do not match.
pub fn resumable<R: Refetch>(
    read: ReadOf,
    body: ResponseBody,
    range: Range<u64>,
    refetch: Option<R>,
    checksum: Option<&Checksum>,
) -> ByteStream {
    Box::pin(Resumable {
        read,
        body: Source::First(body),
        check: checksum.and_then(Check::new),
        next: range.start,
        end: range.end,
        refetch,
        resumes: 0,
        resuming: None,
        done: false,
    })
}

/// The bytes an answer to a read carries, and the object's size, held to what was asked: a partial
/// answer (206) to a whole read, a range other than the one asked for, or an answer without a size is
/// [`ErrorKind::Unexpected`], never taken for the object.
pub fn read_extent(
    asked: Option<ByteRange>,
    partial: bool,
    headers: &cloud_core::http::HeaderMap,
) -> Result<(Range<u64>, u64)> {
    match (asked, partial) {
        (Some(asked), true) => {
            let (range, size) = cloud_core::headers::content_range(headers).ok_or_else(|| {
                Error::unexpected("the server sent a partial body without a valid Content-Range")
            })?;
            // The bytes sent must be the ones asked for, or the caller would read others.
            if asked.resolve(size).ok() != Some(range.clone()) {
                return Err(Error::unexpected(format!(
                    "the server sent bytes {}..{} of {size} for {asked}",
                    range.start, range.end
                )));
            }
            Ok((range, size))
        }
        (None, true) => Err(Error::unexpected(
            "the server sent part of the object (206) to a request for all of it",
        )),
        (asked, false) => {
            let len = cloud_core::headers::content_length(headers)?;
            // A server that ignores Range sends the whole object: right only if that is what was asked.
            if let Some(asked) = asked {
                if asked.resolve(len).ok() != Some(0..len) {
                    return Err(Error::unexpected(format!(
                        "the server sent the whole object ({len} bytes) for {asked}"
                    )));
                }
            }
            Ok((0..len, len))
        }
    }
}

/// The standard HTTP headers of a read: `Range`, `If-Match`, `If-None-Match`, `If-Modified-Since`
/// and `If-Unmodified-Since`, as `options` asks.
pub fn read_headers(
    options: &crate::types::GetOptions,
    headers: &mut cloud_core::http::HeaderMap,
) -> Result<()> {
    use cloud_core::http::header;
    use cloud_core::request::header_value;
    if let Some(range) = options.range {
        headers.insert(header::RANGE, header_value("Range", &range.to_header()?)?);
    }
    for (name, value) in [
        (header::IF_MATCH, &options.if_match),
        (header::IF_NONE_MATCH, &options.if_none_match),
    ] {
        if let Some(value) = value {
            let value = header_value(name.as_str(), value)?;
            headers.insert(name, value);
        }
    }
    for (name, time) in [
        (header::IF_MODIFIED_SINCE, options.if_modified_since),
        (header::IF_UNMODIFIED_SINCE, options.if_unmodified_since),
    ] {
        if let Some(time) = time {
            let value = header_value(name.as_str(), &cloud_core::headers::fmt_http_date(time))?;
            headers.insert(name, value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::crc32c;

    /// Answers a refetch with `rest`, checking it is asked for from `cut`.
    struct Rest {
        cut: u64,
        rest: &'static [u8],
    }

    impl Refetch for Rest {
        fn refetch(
            &self,
            read: &ReadOf,
            range: Range<u64>,
        ) -> BoxFuture<'static, Result<ByteStream>> {
            assert_eq!(
                range.start, self.cut,
                "the rest is asked for from where the read broke"
            );
            assert_eq!((read.container(), read.key()), ("c", "k"));
            assert_eq!(read.version(), Some("\"v1\""));
            let body: ByteStream = Box::pin(futures_util::stream::iter([Ok(Bytes::from_static(
                self.rest,
            ))]));
            async move { Ok(body) }.boxed()
        }
    }

    /// The first answer stops after `cut` bytes; the rest comes from a refetch of `rest`.
    fn read(
        whole: &'static [u8],
        cut: usize,
        rest: &'static [u8],
        checksum: &Checksum,
    ) -> ByteStream {
        let refetch = Rest {
            cut: cut as u64,
            rest,
        };
        resumable(
            ReadOf::new("c", "k", Some("\"v1\"")),
            ResponseBody::from_bytes(&whole[..cut]),
            0..whole.len() as u64,
            Some(refetch),
            Some(checksum),
        )
    }

    #[test]
    fn a_read_keeps_its_container_key_and_version_apart() {
        let read = ReadOf::new("bucket", "a/b", Some("7"));
        assert_eq!(
            (read.container(), read.key(), read.version()),
            ("bucket", "a/b", Some("7"))
        );
        assert_eq!(read.resource().to_string(), "bucket/a/b");
        let unversioned = ReadOf::new("b", "k", None);
        assert_eq!(unversioned.version(), None);
        assert_eq!(ReadOf::new("b", "k", Some("")).version(), Some(""));
    }

    async fn collect(body: ByteStream) -> (Vec<u8>, Option<Error>) {
        let mut bytes = Vec::new();
        let items: Vec<Result<Bytes>> = body.collect().await;
        for item in items {
            match item {
                Ok(chunk) => bytes.extend_from_slice(&chunk),
                Err(err) => return (bytes, Some(err)),
            }
        }
        (bytes, None)
    }

    #[tokio::test]
    async fn a_resumed_read_is_held_to_the_whole_objects_checksum() {
        let whole = b"hello world";
        let right = Checksum::Crc32c(crc32c(whole));
        let (bytes, err) = collect(read(whole, 6, b"world", &right)).await;
        assert_eq!(bytes, whole);
        assert!(err.is_none(), "{err:?}");

        // The rest came from another version: every byte arrives, then the mismatch.
        let (bytes, err) = collect(read(whole, 6, b"WORLD", &right)).await;
        assert_eq!(bytes, b"hello WORLD");
        let err = err.expect("a mismatch is an error");
        assert_eq!(err.kind(), ErrorKind::ChecksumMismatch);
        assert!(
            err.to_string().contains("k: received content with crc32c:"),
            "{err}"
        );
    }
}
