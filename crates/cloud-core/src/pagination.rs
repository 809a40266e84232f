//! Page-token APIs as lazy streams.
//!
//! [`paginate`] turns a function that fetches one page into a stream of items. Nothing is fetched until
//! the stream is polled; from then on the next page is asked for as soon as its token is known, while
//! the consumer takes the current page's items, so that a listing of many pages waits on the server
//! once rather than once a page. It runs at most one page ahead.
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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::stream::Stream;
use futures_util::task::{waker_ref, ArcWake, AtomicWaker};
use pin_project_lite::pin_project;

use crate::error::{Error, Result};

/// Empty pages in a row, each linking another, after which a listing ends with an error. Services do
/// send an empty page with a token now and then (a scan that ran out of time); a server that never
/// stops doing so would hold the consumer forever without a single item or error.
pub const EMPTY_PAGES_IN_A_ROW: u32 = 1000;

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
    /// The next page is being fetched, or there is none.
    Done,
}

/// A lazy stream of every item of every page. `fetch` gets `None` for the first page and then each
/// page's `next` token, as soon as that page has arrived: the next page is fetched while the consumer
/// takes the items of this one (the fetch makes progress whenever the stream is polled). An error
/// ends the stream after it is yielded, after the items fetched before it.
pub fn paginate<T, K, F, Fut>(fetch: F) -> impl Stream<Item = Result<T>>
where
    K: Hash,
    F: FnMut(Option<K>) -> Fut,
    Fut: Future<Output = Result<Page<T, K>>>,
{
    Paginate {
        fetch,
        pending: None,
        fetched: None,
        items: Vec::new().into_iter(),
        cursor: Cursor::Start,
        seen: (RandomState::new(), HashSet::new()),
        empty: 0,
        wake: Arc::new(FetchWake::default()),
    }
}

/// The waker the page on its way is polled with: it remembers that the fetch asked to be polled
/// again and passes the wake on to the consumer. The fetch is polled only then, not once for every
/// item the consumer takes while it waits (a poll of a request's future goes through the whole
/// pipeline).
#[derive(Default)]
struct FetchWake {
    woken: AtomicBool,
    consumer: AtomicWaker,
}

impl ArcWake for FetchWake {
    fn wake_by_ref(wake: &Arc<Self>) {
        wake.woken.store(true, Ordering::Release);
        wake.consumer.wake();
    }
}

pin_project! {
    /// The stream of [`paginate`]: items are handed out of the page's own vector, each moved once.
    struct Paginate<T, K, F, Fut> {
        fetch: F,
        #[pin]
        pending: Option<Fut>,
        // The next page, arrived while the consumer was still taking this one's items.
        fetched: Option<Result<Page<T, K>>>,
        items: std::vec::IntoIter<T>,
        cursor: Cursor<K>,
        // Tokens already followed, by hash: a server that hands one out again would loop forever.
        seen: (RandomState, HashSet<u64>),
        // Empty pages in a row so far.
        empty: u32,
        wake: Arc<FetchWake>,
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
            // Ask for the next page as soon as its token is known.
            if this.pending.is_none() && this.fetched.is_none() {
                let token = match std::mem::replace(this.cursor, Cursor::Done) {
                    Cursor::Start => Some(None),
                    Cursor::Next(token) => Some(Some(token)),
                    other => {
                        *this.cursor = other;
                        None
                    }
                };
                if let Some(token) = token {
                    this.pending.set(Some((this.fetch)(token)));
                    // A new fetch is polled once to start it.
                    this.wake.woken.store(true, Ordering::Release);
                }
            }
            // Keep it moving while the consumer takes this page's items: polled when it has asked to
            // be, with a waker that also wakes the consumer.
            if let Some(fetching) = this.pending.as_mut().as_pin_mut() {
                this.wake.consumer.register(cx.waker());
                if this.wake.woken.swap(false, Ordering::AcqRel) {
                    let waker = waker_ref(this.wake);
                    if let Poll::Ready(result) = fetching.poll(&mut Context::from_waker(&waker)) {
                        this.pending.set(None);
                        *this.fetched = Some(result);
                    }
                }
            }
            if let Some(item) = this.items.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match this.fetched.take() {
                Some(Ok(page)) => {
                    *this.empty = if page.items.is_empty() {
                        *this.empty + 1
                    } else {
                        0
                    };
                    *this.items = page.items.into_iter();
                    *this.cursor = match page.next {
                        Some(_) if *this.empty >= EMPTY_PAGES_IN_A_ROW => {
                            Cursor::Fail(Error::unexpected(format!(
                                "the server sent {EMPTY_PAGES_IN_A_ROW} empty pages in a row, each \
                                 linking another: the listing stops rather than wait without end"
                            )))
                        }
                        Some(next) if !this.seen.1.insert(this.seen.0.hash_one(&next)) => {
                            Cursor::Fail(Error::unexpected(
                                "the server sent a continuation token it had sent before: \
                                 following it would repeat the listing forever",
                            ))
                        }
                        Some(next) => Cursor::Next(next),
                        None => Cursor::Done,
                    };
                    continue;
                }
                Some(Err(err)) => {
                    *this.cursor = Cursor::Done;
                    return Poll::Ready(Some(Err(err)));
                }
                None => {}
            }
            if this.pending.is_some() {
                return Poll::Pending;
            }
            return match std::mem::replace(this.cursor, Cursor::Done) {
                Cursor::Fail(err) => Poll::Ready(Some(Err(err))),
                _ => Poll::Ready(None),
            };
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
    async fn fetches_one_page_ahead_and_no_more() {
        let calls = Cell::new(0);
        let stream = paginate(|token: Option<u32>| {
            calls.set(calls.get() + 1);
            async move {
                let page = token.unwrap_or(0);
                Ok(Page::new(vec![page * 2, page * 2 + 1], Some(page + 1)))
            }
        });
        futures_util::pin_mut!(stream);
        assert_eq!(calls.get(), 0, "nothing fetched before the first poll");
        assert_eq!(stream.next().await.unwrap().unwrap(), 0);
        assert_eq!(calls.get(), 2, "page 1 is asked for while page 0 is read");
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        assert_eq!(calls.get(), 2, "not two pages ahead");
        assert_eq!(stream.next().await.unwrap().unwrap(), 2);
        assert_eq!(calls.get(), 3);
    }

    /// The next page's request is under way while the consumer holds this page's items: a consumer
    /// that takes its time waits on the server once, not once a page.
    #[tokio::test(start_paused = true)]
    async fn the_next_page_arrives_while_this_one_is_read() {
        let stream = paginate(|token: Option<u32>| async move {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let page = token.unwrap_or(0);
            Ok(Page::new(vec![page], (page < 3).then_some(page + 1)))
        });
        futures_util::pin_mut!(stream);
        let start = tokio::time::Instant::now();
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item.unwrap());
            // The consumer's own work on each item, as long as a page takes to come.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        assert_eq!(items, [0, 1, 2, 3]);
        // Waits of 1 s for the first page, then each page's fetch overlaps the work on the one before.
        assert!(
            start.elapsed() < std::time::Duration::from_millis(5500),
            "{:?}",
            start.elapsed()
        );
    }

    /// The page on its way is polled when it asks to be, not once for every item taken meanwhile.
    #[tokio::test]
    async fn the_next_page_is_polled_when_it_wakes_not_per_item() {
        use std::sync::atomic::AtomicUsize;
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        let stream = paginate(move |token: Option<u32>| {
            let polls = counted.clone();
            let page = token.unwrap_or(0);
            // A page that is never ready, counting its polls.
            let fetch = futures_util::future::poll_fn(move |_| {
                polls.fetch_add(1, Ordering::Relaxed);
                Poll::<Result<Page<u32, u32>>>::Pending
            });
            async move {
                if page == 0 {
                    return Ok(Page::new((0..1000).collect(), Some(1)));
                }
                fetch.await
            }
        });
        futures_util::pin_mut!(stream);
        for expected in 0..1000 {
            assert_eq!(stream.next().await.unwrap().unwrap(), expected);
        }
        assert_eq!(
            polls.load(Ordering::Relaxed),
            1,
            "started once, then left until it wakes"
        );
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
    async fn empty_pages_without_end_end_the_listing_with_an_error() {
        let calls = Cell::new(0u32);
        // One item, then empty pages, each with a new token, for ever.
        let stream = paginate(|token: Option<u32>| {
            calls.set(calls.get() + 1);
            async move {
                let page = token.unwrap_or(0);
                let items = if page == 0 { vec![7] } else { vec![] };
                Ok(Page::new(items, Some(page + 1)))
            }
        });
        let results: Vec<_> = stream.collect().await;
        assert_eq!(results.len(), 2, "the item, then the error");
        assert_eq!(*results[0].as_ref().unwrap(), 7);
        let err = results[1].as_ref().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Unexpected);
        assert!(err.to_string().contains("empty pages"), "{err}");
        assert_eq!(calls.get(), 1 + EMPTY_PAGES_IN_A_ROW);
    }

    #[tokio::test]
    async fn an_item_between_empty_pages_starts_the_count_again() {
        // Empty pages, with an item on every 999th, then the end.
        let stream = paginate(|token: Option<u32>| async move {
            let page = token.unwrap_or(0);
            let items = if page % 999 == 998 {
                vec![page]
            } else {
                vec![]
            };
            Ok(Page::new(items, (page < 5000).then_some(page + 1)))
        });
        let items: Vec<u32> = stream.map(|r| r.unwrap()).collect().await;
        assert_eq!(items, [998, 1997, 2996, 3995, 4994]);
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
