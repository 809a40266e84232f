//! The bytes of one part, cut from a stream without copying: each part is the stream's own buffers,
//! sliced where a part boundary falls inside one (`Bytes` slices share their buffer).

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// The bytes of one part: the source's own buffers, in order.
///
/// ```
/// use bytes::Bytes;
/// use cloud_storage::multipart::PartData;
///
/// let part = PartData::from(vec![Bytes::from_static(b"abc"), Bytes::from_static(b"de")]);
/// assert_eq!(part.len(), 5);
/// assert_eq!(part.to_bytes(), "abcde");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PartData {
    chunks: Vec<Bytes>,
    len: usize,
}

impl PartData {
    /// How many bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The buffers, in order.
    pub fn chunks(&self) -> &[Bytes] {
        &self.chunks
    }

    /// The buffers, to send as a body of several chunks.
    pub fn into_chunks(self) -> Vec<Bytes> {
        self.chunks
    }

    /// The bytes in one buffer: the one there is, or a copy of several.
    pub fn to_bytes(&self) -> Bytes {
        match self.chunks.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            many => {
                let mut joined = BytesMut::with_capacity(self.len);
                many.iter()
                    .for_each(|chunk| joined.extend_from_slice(chunk));
                joined.freeze()
            }
        }
    }
}

impl From<Vec<Bytes>> for PartData {
    fn from(chunks: Vec<Bytes>) -> PartData {
        let chunks: Vec<Bytes> = chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let len = chunks.iter().map(Bytes::len).sum();
        PartData { chunks, len }
    }
}

impl From<Bytes> for PartData {
    fn from(bytes: Bytes) -> PartData {
        PartData::from(vec![bytes])
    }
}

/// What the stream has given that no part has taken yet.
#[derive(Debug, Default)]
pub(crate) struct Pending {
    chunks: VecDeque<Bytes>,
    len: usize,
}

impl Pending {
    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds the stream's next buffer.
    pub(crate) fn push(&mut self, chunk: Bytes) {
        if !chunk.is_empty() {
            self.len += chunk.len();
            self.chunks.push_back(chunk);
        }
    }

    /// The first `take` bytes (all there are, if fewer), slicing the buffer a boundary falls in.
    pub(crate) fn take(&mut self, take: usize) -> PartData {
        let mut part = Vec::new();
        let mut wanted = take.min(self.len);
        let len = wanted;
        while wanted > 0 {
            let Some(mut chunk) = self.chunks.pop_front() else {
                break;
            };
            if chunk.len() > wanted {
                let rest = chunk.split_off(wanted);
                self.chunks.push_front(rest);
            }
            wanted -= chunk.len();
            part.push(chunk);
        }
        self.len -= len;
        PartData { chunks: part, len }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_slices_of_the_stream_buffers_in_order() {
        let source = Bytes::from((0..=255u8).collect::<Vec<u8>>());
        let mut pending = Pending::default();
        pending.push(source.slice(..100));
        pending.push(Bytes::new());
        pending.push(source.slice(100..));
        assert_eq!(pending.len(), 256);
        let first = pending.take(150);
        assert_eq!(first.len(), 150);
        assert_eq!(
            first.chunks().len(),
            2,
            "one whole buffer and the head of the next"
        );
        assert_eq!(first.to_bytes(), source.slice(..150));
        // No copy: the part's bytes are the source's.
        assert_eq!(first.chunks()[0].as_ptr(), source.as_ptr());
        let second = pending.take(1000);
        assert_eq!(second.to_bytes(), source.slice(150..));
        assert_eq!(second.chunks()[0].as_ptr(), source.slice(150..).as_ptr());
        assert_eq!(pending.len(), 0);
        assert!(pending.take(10).is_empty());
    }
}
