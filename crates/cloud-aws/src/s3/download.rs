//! Downloads that survive a broken connection: the rest is asked for with `Range`, and `If-Match` on
//! the ETag, so bytes of a newer version of the object are never spliced onto an older one.

use std::ops::Range;
use std::sync::Arc;

use cloud_core::Result;
use cloud_storage::resume::{fetch_by_etag, ReadOf, Refetch};
use cloud_storage::ByteStream;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;

use super::storage::S3Inner;

/// Asks S3 for the rest of an object, of the ETag first read.
pub(crate) struct Rest(pub(crate) Arc<S3Inner>);

impl Refetch for Rest {
    fn refetch(&self, read: &ReadOf, rest: Range<u64>) -> BoxFuture<'static, Result<ByteStream>> {
        let (inner, read) = (self.0.clone(), read.clone());
        async move {
            let url = inner.addressing.url(read.container(), read.key(), "");
            fetch_by_etag(&read, &rest, url, |req| {
                inner.stream("GetObject", read.resource(), req)
            })
            .await
        }
        .boxed()
    }
}
