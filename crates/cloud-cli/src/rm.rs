//! `cloud rm`: removing an object, or everything under a prefix.

use cloud::storage::ListOptions;
use cloud::{Error, Result};
use futures_util::{StreamExt, TryStreamExt};

use crate::location::Remote;
use crate::report::Output;

pub(crate) async fn run(
    remote: &Remote,
    recursive: bool,
    concurrency: usize,
    output: Output,
) -> Result<()> {
    let container = remote.container()?;
    if recursive {
        let deleted = remove_all(remote, concurrency, output).await?;
        if output.json {
            output.json(
                &serde_json::json!({"type": "summary", "action": "deleted", "files": deleted}),
            );
        } else {
            output.line(&format!("deleted {deleted} objects"));
        }
        return Ok(());
    }
    let key = remote.url.key().ok_or_else(|| {
        Error::invalid_input(format!(
            "{} names a container: use `cloud rb` to remove it",
            remote.url
        ))
    })?;
    remote.driver.delete_object(container, key).await?;
    if output.json {
        output.json(&serde_json::json!({"type": "deleted", "container": container, "key": key}));
    } else {
        output.line(&format!("delete: {}", remote.url));
    }
    Ok(())
}

/// Deletes every object under the URL's folder prefix, `concurrency` at a time, printing a line for each
/// (in text mode); returns how many were deleted.
pub(crate) async fn remove_all(remote: &Remote, concurrency: usize, output: Output) -> Result<u64> {
    let container = remote.container()?.to_owned();
    let prefix = remote.folder_prefix();
    let driver = remote.driver.clone();
    let deleted = driver
        .list_objects(&container, &ListOptions::new().prefix(prefix))
        .try_filter_map(|entry| async move { Ok(entry.into_object()) })
        .map(|meta| {
            let driver = driver.clone();
            let container = container.clone();
            async move {
                let meta = meta?;
                driver.delete_object(&container, &meta.key).await?;
                Ok::<_, Error>(meta.key)
            }
        })
        .buffer_unordered(concurrency)
        .try_fold(0u64, |count, key| {
            if !output.json {
                output.line(&format!("delete: {}", remote.url.with_key(&key)));
            }
            async move { Ok(count + 1) }
        })
        .await?;
    Ok(deleted)
}
