//! The concurrency limit shared by every service of one client.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// A permit to have one more request in flight, when the client has a limit. The permit moves into
/// the response body, which releases it when finished or dropped, so the limit bounds open
/// connections, not just requests awaiting headers.
pub(crate) async fn permit(limit: Option<&Arc<Semaphore>>) -> Result<Option<OwnedSemaphorePermit>> {
    let Some(semaphore) = limit else {
        return Ok(None);
    };
    // The semaphore lives as long as the client and is never closed.
    semaphore
        .clone()
        .acquire_owned()
        .await
        .map(Some)
        .map_err(|_| Error::unexpected("the client's concurrency limiter was closed"))
}
