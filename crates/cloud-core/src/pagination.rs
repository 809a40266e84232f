//! Page-token APIs as lazy streams.
//!
//! [`paginate`] turns a function that fetches one page into a stream of items. Nothing is fetched until
//! the stream is polled, and the next page only when the consumer has taken every item of the current one.
//!
//! ```
//! use futures_util::TryStreamExt;
//! use cloud_core::{paginate, Page};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! // A fake API with three pages of two items each.
//! let items: Vec<u32> = paginate(|token: Option<u32>| async move {
//!     let page = token.unwrap_or(0);
//!     let next = (page < 2).then_some(page + 1);
//!     Ok(Page::new(vec![page * 2, page * 2 + 1], next))
//! })
//! .try_collect()
//! .await?;
//! assert_eq!(items, [0, 1, 2, 3, 4, 5]);
//! # Ok::<(), cloud_core::Error>(())
//! # }).unwrap();
//! ```

use std::collections::hash_map::RandomState;
use std::collections::HashSet;
use std::future::Future;
use std::hash::{BuildHasher, Hash};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use futures_util::stream::Stream;
use pin_project_lite::pin_project;

use crate::error::{Error, Result};

/// One page of results and the token for the next page, if there is one.
#[derive(Clone, Debug)]
pub struct Page<T, K> {
    /// The items on this page.
    pub items: Vec<T>,
    /// The token to fetch the next page; `None` on the last page.
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// A page of `items` followed by the page at `next`.
    pub fn new(items: Vec<T>, next: Option<K>) -> Page<T, K> {
        Page { items, next }
    }
}

enum Cursor<K> {
    Start,
    Next(K),
    /// Yield this error once the items already fetched are out.
    Fail(Error),
    Done,
}

/// A lazy stream of every item of every page. `fetch` gets `None` for the first page and then each
/// page's `next` token. An error ends the stream after it is yielded.
pub fn paginate<T, K, F, Fut>(fetch: F) -> impl Stream<Item = Result<T>>
where
    K: Hash,
    F: FnMut(Option<K>) -> Fut,
    Fut: Future<Output = Result<Page<T, K>>>,
{
    Paginate {
        fetch,
        pending: None,
        items: Vec::new().into_iter(),
        cursor: Cursor::Start,
        seen: (RandomState::new(), HashSet::new()),
    }
}

pin_project! {
    /// The stream of [`paginate`]: items are handed out of the page's own vector, each moved once.
    struct Paginate<T, K, F, Fut> {
        fetch: F,
        #[pin]
        pending: Option<Fut>,
        items: std::vec::IntoIter<T>,
        cursor: Cursor<K>,
        // Tokens already followed, by hash: a server that hands one out again would loop forever.
        seen: (RandomState, HashSet<u64>),
    }
}

impl<T, K, F, Fut> Stream for Paginate<T, K, F, Fut>
where
    K: Hash,
    F: FnMut(Option<K>) -> Fut,
    Fut: Future<Output = Result<Page<T, K>>>,
{
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let mut this = self.project();
        loop {
            if let Some(item) = this.items.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(fetching) = this.pending.as_mut().as_pin_mut() {
                let fetched = ready!(fetching.poll(cx));
                this.pending.set(None);
                match fetched {
                    Ok(page) => {
                        *this.items = page.items.into_iter();
                        *this.cursor = match page.next {
                            Some(next) if !this.seen.1.insert(this.seen.0.hash_one(&next)) => {
                                Cursor::Fail(Error::unexpected(
                                    "the server sent a continuation token it had sent before: \
                                     following it would repeat the listing forever",
                                ))
                            }
                            Some(next) => Cursor::Next(next),
                            None => Cursor::Done,
                        };
                    }
                    Err(err) => {
                        *this.cursor = Cursor::Done;
                        return Poll::Ready(Some(Err(err)));
                    }
                }
                continue;
            }
            let token = match std::mem::replace(this.cursor, Cursor::Done) {
                Cursor::Done => return Poll::Ready(None),
                Cursor::Fail(err) => return Poll::Ready(Some(Err(err))),
                Cursor::Start => None,
                Cursor::Next(token) => Some(token),
            };
            this.pending.set(Some((this.fetch)(token)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use futures_util::StreamExt;
    use std::cell::Cell;

    #[tokio::test]
    async fn fetches_the_next_page_only_when_needed() {
        let calls = Cell::new(0);
        let stream = paginate(|token: Option<u32>| {
            calls.set(calls.get() + 1);
            async move {
                Ok(Page::new(
                    vec![token.unwrap_or(0)],
                    Some(token.unwrap_or(0) + 1),
                ))
            }
        });
        futures_util::pin_mut!(stream);
        assert_eq!(calls.get(), 0, "nothing fetched before the first poll");
        assert_eq!(stream.next().await.unwrap().unwrap(), 0);
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        assert_eq!(calls.get(), 2);
    }

    #[tokio::test]
    async fn ends_after_yielding_an_error() {
        let stream = paginate(|token: Option<u32>| async move {
            match token {
                None => Ok(Page::new(vec![1], Some(1))),
                Some(_) => Err(Error::unexpected("page 2 failed")),
            }
        });
        let results: Vec<_> = stream.collect().await;
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok());
        assert!(results[1].is_err());
    }

    #[tokio::test]
    async fn skips_empty_pages() {
        let stream = paginate(|token: Option<u32>| async move {
            let page = token.unwrap_or(0);
            let items = if page == 1 { vec![] } else { vec![page] };
            Ok(Page::new(items, (page < 2).then_some(page + 1)))
        });
        let items: Vec<u32> = stream.map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [0, 2]);
    }

    #[tokio::test]
    async fn a_token_sent_twice_ends_the_listing_with_an_error() {
        // Pages 0 → 1 → 2 → 1 again.
        let stream = paginate(|token: Option<u32>| async move {
            let page = token.unwrap_or(0);
            Ok(Page::new(
                vec![page],
                Some(if page == 2 { 1 } else { page + 1 }),
            ))
        });
        let results: Vec<_> = stream.collect().await;
        assert_eq!(results.len(), 4, "{results:?}");
        let items: Vec<u32> = results[..3].iter().map(|r| *r.as_ref().unwrap()).collect();
        assert_eq!(items, [0, 1, 2], "every page fetched is yielded");
        let err = results[3].as_ref().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Unexpected);
        assert!(err.to_string().contains("continuation token"), "{err}");
    }
}
