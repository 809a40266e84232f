//! `cloud cat`: an object's content to standard output, streamed.

use cloud::storage::GetOptions;
use cloud::{Error, ErrorKind, Result};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::location::Remote;

pub(crate) async fn run(remote: &Remote) -> Result<()> {
    let key = remote
        .url
        .key()
        .ok_or_else(|| Error::invalid_input(format!("{} names no object", remote.url)))?;
    let object = remote
        .driver
        .get_object(remote.container()?, key, &GetOptions::new())
        .await?;
    let expected = object.range.end - object.range.start;
    let mut stdout = tokio::io::stdout();
    let mut body = object.body;
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        written += chunk.len() as u64;
        match stdout.write_all(&chunk).await {
            Ok(()) => {}
            // The reader went away (`cloud cat … | head`): that is not a failure.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Err(e) => return Err(Error::from(e)),
        }
    }
    let _ = stdout.flush().await;
    if written != expected {
        return Err(Error::new(
            ErrorKind::ChecksumMismatch,
            format!("{key}: received {written} of {expected} bytes"),
        ));
    }
    Ok(())
}
