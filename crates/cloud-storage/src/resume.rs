//! Reads that survive a broken or stalled connection: the bytes still missing are asked for again, of
//! the same version of the object, so a reader never gets a shorter body or two versions spliced.

use std::ops::Range;
use std::sync::Arc;

use cloud_core::{Error, ErrorKind, Result};
use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt};

use crate::driver::ByteStream;
use crate::types::ByteRange;

/// How many times one read may resume.
pub const MAX_RESUMES: u32 = 5;

/// Asks a provider for bytes `from..to` of the version first read (by `If-Match` on its ETag, or the
/// provider's equivalent), checking the answer starts at `from` and is of that version.
pub type Refetch = Arc<dyn Fn(Range<u64>) -> BoxFuture<'static, Result<ByteStream>> + Send + Sync>;

struct Read {
    key: String,
    body: ByteStream,
    next: u64,
    end: u64,
    refetch: Option<Refetch>,
    resumes: u32,
}

impl Read {
    async fn resume(&mut self, cause: Error) -> Result<()> {
        let Some(refetch) = self.refetch.clone() else {
            // Without a version to hold the rest to, a resumed read could splice two versions.
            return Err(cause);
        };
        if self.resumes >= MAX_RESUMES {
            return Err(cause);
        }
        self.resumes += 1;
        tracing::debug!(key = %self.key, at = self.next, resumes = self.resumes, error = %cause, "resuming a read");
        self.body = refetch(self.next..self.end).await?;
        Ok(())
    }
}

/// `body`, the bytes `range` of `key`, resumed through `refetch` where it breaks (a transport error or
/// timeout, or an end before `range.end`), as often as [`MAX_RESUMES`]. With no `refetch` (the object
/// had no ETag) a break is the reader's error.
pub fn resumable(
    key: &str,
    body: ByteStream,
    range: Range<u64>,
    refetch: Option<Refetch>,
) -> ByteStream {
    let read = Read {
        key: key.to_owned(),
        body,
        next: range.start,
        end: range.end,
        refetch,
        resumes: 0,
    };
    stream::unfold(Some(read), |state| async move {
        let mut read = state?;
        loop {
            let failure = match read.body.next().await {
                Some(Ok(chunk)) => {
                    read.next += chunk.len() as u64;
                    return Some((Ok(chunk), Some(read)));
                }
                None if read.next >= read.end => return None,
                None => Error::new(
                    ErrorKind::Transport,
                    format!("the body ended after {} of {} bytes", read.next, read.end),
                ),
                Some(Err(err))
                    if matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout) =>
                {
                    err
                }
                Some(Err(err)) => return Some((Err(err), None)),
            };
            if let Err(err) = read.resume(failure).await {
                return Some((Err(err), None));
            }
        }
    })
    .boxed()
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
