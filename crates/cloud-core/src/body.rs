//! Request and response bodies.
//!
//! A request [`Body`] is either *replayable* (empty, one `Bytes`, or a list of `Bytes`; cloning it is a
//! reference-count bump, so a failed attempt can be sent again) or a *one-shot stream* that can be sent only
//! once and is therefore never retried. A [`ResponseBody`] is a stream of `Bytes` with a size hint; nothing
//! is buffered whole unless the caller asks for it with [`ResponseBody::bytes`].
//!
//! ```
//! use bytes::Bytes;
//! use cloud_core::Body;
//!
//! let body = Body::from_chunks(vec![Bytes::from_static(b"hello "), Bytes::from_static(b"world")]);
//! assert_eq!(body.content_length(), Some(11));
//! assert!(body.try_clone().is_some(), "a list of chunks can be replayed");
//!
//! let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"once"))]);
//! let body = Body::from_stream(stream, None);
//! assert!(body.try_clone().is_none(), "a stream cannot");
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{BoxStream, Stream, StreamExt};
use http_body::{Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;

use crate::client::pool::Lent;
use crate::error::{BoxError, Error, ErrorKind, Result};

/// The body of a request.
pub struct Body {
    inner: Inner,
}

enum Inner {
    Empty,
    Full(Option<Bytes>),
    Chunks {
        chunks: Arc<[Bytes]>,
        next: usize,
        len: u64,
    },
    Stream {
        stream: sync_wrapper::SyncWrapper<BoxStream<'static, std::result::Result<Bytes, BoxError>>>,
        len: Option<u64>,
    },
}

impl Body {
    /// No body.
    pub fn empty() -> Body {
        Body {
            inner: Inner::Empty,
        }
    }

    /// A replayable body of one buffer.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Body::empty();
        }
        Body {
            inner: Inner::Full(Some(bytes)),
        }
    }

    /// A replayable body sent as the concatenation of `chunks`, without copying them together.
    pub fn from_chunks(chunks: impl Into<Vec<Bytes>>) -> Body {
        let chunks: Vec<Bytes> = chunks
            .into()
            .into_iter()
            .filter(|c| !c.is_empty())
            .collect();
        let len = chunks.iter().map(|c| c.len() as u64).sum();
        Body {
            inner: Inner::Chunks {
                chunks: chunks.into(),
                next: 0,
                len,
            },
        }
    }

    /// A one-shot body read from `stream`. Pass `len` when the total length is known: it becomes the
    /// `Content-Length`, and a stream that yields a different number of bytes fails the request. Without it
    /// the body is sent with chunked transfer encoding. A request with a stream body is never retried.
    pub fn from_stream<S, E>(stream: S, len: Option<u64>) -> Body
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let stream = stream.map(|item| item.map_err(Into::into)).boxed();
        let stream = match len {
            Some(expected) => checked_length(stream, expected).boxed(),
            None => stream,
        };
        Body {
            inner: Inner::Stream {
                stream: sync_wrapper::SyncWrapper::new(stream),
                len,
            },
        }
    }

    /// A copy that sends the same bytes, if the body is replayable.
    pub fn try_clone(&self) -> Option<Body> {
        let inner = match &self.inner {
            Inner::Empty => Inner::Empty,
            Inner::Full(bytes) => Inner::Full(bytes.clone()),
            Inner::Chunks { chunks, len, .. } => Inner::Chunks {
                chunks: chunks.clone(),
                next: 0,
                len: *len,
            },
            Inner::Stream { .. } => return None,
        };
        Some(Body { inner })
    }

    /// Whether the body can be sent again (everything but a stream).
    pub fn is_replayable(&self) -> bool {
        !matches!(self.inner, Inner::Stream { .. })
    }

    /// The length in bytes, when known.
    pub fn content_length(&self) -> Option<u64> {
        match &self.inner {
            Inner::Empty => Some(0),
            Inner::Full(bytes) => Some(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Inner::Chunks { len, .. } => Some(*len),
            Inner::Stream { len, .. } => *len,
        }
    }

    /// The body's bytes when it is held in memory, for signers that hash the payload.
    ///
    /// `None` for a stream; a list of chunks is returned as its parts.
    pub fn as_chunks(&self) -> Option<&[Bytes]> {
        match &self.inner {
            Inner::Empty => Some(&[]),
            Inner::Full(Some(bytes)) => Some(std::slice::from_ref(bytes)),
            Inner::Full(None) => Some(&[]),
            Inner::Chunks { chunks, .. } => Some(chunks),
            Inner::Stream { .. } => None,
        }
    }
}

/// Fails the stream if it yields more or fewer bytes than promised, so a short upload is never
/// sent as if it were complete.
fn checked_length(
    stream: BoxStream<'static, std::result::Result<Bytes, BoxError>>,
    expected: u64,
) -> impl Stream<Item = std::result::Result<Bytes, BoxError>> + Send {
    futures_util::stream::unfold(
        (stream, 0u64, false),
        move |(mut stream, seen, done)| async move {
            if done {
                return None;
            }
            match stream.next().await {
                Some(Ok(chunk)) => {
                    let seen = seen + chunk.len() as u64;
                    if seen > expected {
                        let err = Error::invalid_input(format!(
                            "body stream yielded more than the {expected} bytes declared"
                        ));
                        return Some((Err(err.into()), (stream, seen, true)));
                    }
                    Some((Ok(chunk), (stream, seen, false)))
                }
                Some(Err(e)) => Some((Err(e), (stream, seen, true))),
                None if seen != expected => {
                    let err = Error::invalid_input(format!(
                        "body stream ended after {seen} of the {expected} bytes declared"
                    ));
                    Some((Err(err.into()), (stream, seen, true)))
                }
                None => None,
            }
        },
    )
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body::from_bytes(bytes)
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::from_bytes(bytes)
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from_bytes(text)
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body::from_bytes(Bytes::from_static(text.as_bytes()))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner {
            Inner::Empty => "empty",
            Inner::Full(_) => "bytes",
            Inner::Chunks { .. } => "chunks",
            Inner::Stream { .. } => "stream",
        };
        f.debug_struct("Body")
            .field("kind", &kind)
            .field("len", &self.content_length())
            .finish()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, BoxError>>> {
        match &mut self.inner {
            Inner::Empty => Poll::Ready(None),
            Inner::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Inner::Chunks { chunks, next, .. } => {
                let chunk = chunks.get(*next).cloned();
                *next += 1;
                Poll::Ready(chunk.map(|c| Ok(Frame::data(c))))
            }
            Inner::Stream { stream, .. } => stream
                .get_mut()
                .poll_next_unpin(cx)
                .map(|item| item.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.inner {
            Inner::Empty => true,
            Inner::Full(bytes) => bytes.is_none(),
            Inner::Chunks { chunks, next, .. } => *next >= chunks.len(),
            Inner::Stream { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self.content_length() {
            Some(len) => SizeHint::with_exact(len),
            None => SizeHint::default(),
        }
    }
}

/// The body of a response: a stream of `Bytes`.
///
/// Errors while reading (a connection reset, a body shorter than its `Content-Length`) come out of the
/// stream as [`ErrorKind::Transport`] errors, so a truncated download is never mistaken for a complete one.
pub struct ResponseBody {
    inner: ResponseInner,
    len: Option<u64>,
    idle: Option<Idle>,
    // Holds the client's concurrency permit until the body is finished or dropped, so the limit counts
    // connections in use, not just requests waiting for headers.
    permit: Option<OwnedSemaphorePermit>,
    /// The pooled connection the body arrives on, back in the pool once the body has been read to its
    /// end; dropped with a body left unread, as hyper cannot reuse it.
    lent: Option<Lent>,
}

/// The read-idle timer: armed while a read waits, measured from when the body was last found to have
/// nothing more. The time is read only when a read must wait: a body that arrives with its headers,
/// as most small ones do, costs no clock reads.
struct Idle {
    limit: Duration,
    /// When the current wait began; `None` while data keeps coming.
    waiting_since: Option<Instant>,
    /// Made on the first wait: a body that arrives with its headers never needs one.
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Idle {
    fn new(limit: Duration) -> Idle {
        Idle {
            limit,
            waiting_since: None,
            timer: None,
        }
    }

    /// Data came: the next wait is a new one.
    fn data(&mut self) {
        self.waiting_since = None;
    }

    /// Whether the body has been silent for the whole limit; re-arms the timer when data came since
    /// it was set (cheaper than resetting it for every frame).
    fn expired_now(&mut self, cx: &mut Context<'_>) -> bool {
        let since = *self.waiting_since.get_or_insert_with(Instant::now);
        let deadline = since + self.limit;
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline.into())));
        loop {
            if timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            if Instant::now() >= deadline {
                return true;
            }
            timer.as_mut().reset(deadline.into());
        }
    }
}

enum ResponseInner {
    Incoming(hyper::body::Incoming),
    Buffered(Option<Bytes>),
}

impl ResponseBody {
    pub(crate) fn incoming(
        body: hyper::body::Incoming,
        len: Option<u64>,
        idle: Option<Duration>,
    ) -> ResponseBody {
        ResponseBody {
            inner: ResponseInner::Incoming(body),
            len,
            idle: idle.map(Idle::new),
            permit: None,
            lent: None,
        }
    }

    /// A body already held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> ResponseBody {
        let bytes = bytes.into();
        ResponseBody {
            len: Some(bytes.len() as u64),
            inner: ResponseInner::Buffered(Some(bytes)),
            idle: None,
            permit: None,
            lent: None,
        }
    }

    /// Gives the body its connection to hand back to the pool when it has been read: at once if there is
    /// nothing to read.
    pub(crate) fn lend(&mut self, lent: Lent) {
        self.lent = Some(lent);
        if self.is_finished() {
            Lent::give_back(&mut self.lent);
        }
    }

    pub(crate) fn set_permit(&mut self, permit: OwnedSemaphorePermit) {
        if !self.is_finished() {
            self.permit = Some(permit);
        }
    }

    /// The length announced by the server (`Content-Length`), or the length of a buffered body.
    pub fn content_length(&self) -> Option<u64> {
        self.len
    }

    fn is_finished(&self) -> bool {
        match &self.inner {
            ResponseInner::Incoming(body) => http_body::Body::is_end_stream(body),
            ResponseInner::Buffered(bytes) => bytes.is_none(),
        }
    }

    /// Reads the whole body into memory.
    pub async fn bytes(self) -> Result<Bytes> {
        if let ResponseInner::Buffered(bytes) = self.inner {
            return Ok(bytes.unwrap_or_default());
        }
        let mut stream = self;
        // Most bodies arrive in one frame: return it without copying or allocating.
        let first = match stream.next().await {
            None => return Ok(Bytes::new()),
            Some(frame) => frame?,
        };
        let Some(second) = stream.next().await else {
            return Ok(first);
        };
        let second = second?;
        let expected = stream.len.map_or(0, |len| len.min(1 << 30) as usize);
        let mut buf = BytesMut::with_capacity(expected.max(first.len() + second.len()));
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        while let Some(frame) = stream.next().await {
            buf.extend_from_slice(&frame?);
        }
        Ok(buf.freeze())
    }

    /// Reads the whole body into memory, failing with [`ErrorKind::InvalidInput`] past `limit` bytes.
    pub async fn bytes_limited(self, limit: usize) -> Result<Bytes> {
        let mut stream = self;
        let mut buf = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if buf.len() + chunk.len() > limit {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("response body is larger than the {limit} bytes allowed"),
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

impl Stream for ResponseBody {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let polled = match &mut this.inner {
            ResponseInner::Buffered(bytes) => Poll::Ready(bytes.take().map(Ok)),
            ResponseInner::Incoming(body) => loop {
                match http_body::Body::poll_frame(Pin::new(&mut *body), cx) {
                    Poll::Pending => {
                        let stalled = match &mut this.idle {
                            Some(idle) => idle.expired_now(cx).then_some(idle.limit),
                            None => None,
                        };
                        break match stalled {
                            Some(limit) => Poll::Ready(Some(Err(Error::exchange(
                                ErrorKind::Timeout,
                                &format!(
                                    "the response body sent nothing for {limit:?} (the read-idle timeout)"
                                ),
                                None,
                            )))),
                            None => Poll::Pending,
                        };
                    }
                    Poll::Ready(None) => {
                        Lent::give_back(&mut this.lent);
                        break Poll::Ready(None);
                    }
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Some(idle) = &mut this.idle {
                            idle.data();
                        }
                        // Trailers are not data; skip them.
                        if let Ok(data) = frame.into_data() {
                            // With its last bytes read the connection is free, whether or not the
                            // reader asks for the end.
                            if http_body::Body::is_end_stream(&*body) {
                                Lent::give_back(&mut this.lent);
                            }
                            break Poll::Ready(Some(Ok(data)));
                        }
                    }
                    Poll::Ready(Some(Err(e))) => {
                        break Poll::Ready(Some(Err(Error::exchange(
                            ErrorKind::Transport,
                            "response body interrupted",
                            Some(e.into()),
                        ))))
                    }
                }
            },
        };
        if let Poll::Ready(None) | Poll::Ready(Some(Err(_))) = polled {
            this.permit = None;
        }
        polled
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, None)
    }
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("content_length", &self.len)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn chunks_replay_from_the_start() {
        let body = Body::from_chunks(vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cd")]);
        let copy = body.try_clone().unwrap();
        let first = body.collect().await.unwrap().to_bytes();
        let second = copy.collect().await.unwrap().to_bytes();
        assert_eq!(first, "abcd");
        assert_eq!(second, "abcd");
    }

    #[tokio::test]
    async fn stream_shorter_than_declared_fails() {
        let stream =
            futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"abc"))]);
        let body = Body::from_stream(stream, Some(5));
        let err = body.collect().await.unwrap_err();
        assert!(err.to_string().contains("3 of the 5 bytes"), "{err}");
    }

    #[tokio::test]
    async fn stream_longer_than_declared_fails() {
        let stream =
            futures_util::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"abcdef"))]);
        let body = Body::from_stream(stream, Some(5));
        assert!(body.collect().await.is_err());
    }

    #[tokio::test]
    async fn buffered_response_body_reads_back() {
        let body = ResponseBody::from_bytes("hello");
        assert_eq!(body.content_length(), Some(5));
        assert_eq!(body.bytes().await.unwrap(), "hello");
        let limited = ResponseBody::from_bytes("hello").bytes_limited(3).await;
        assert_eq!(limited.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
