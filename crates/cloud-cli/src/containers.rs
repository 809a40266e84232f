//! `cloud mb` and `cloud rb`: making and removing containers.

use cloud::Result;

use crate::location::Remote;
use crate::report::{container_json, Output};
use crate::rm;

pub(crate) async fn make(remote: &Remote, output: Output) -> Result<()> {
    let container = remote.driver.create_container(remote.container()?).await?;
    if output.json {
        output.json(&container_json(&container));
    } else {
        output.line(&format!("make_bucket: {}", remote.url));
    }
    Ok(())
}

pub(crate) async fn remove(
    remote: &Remote,
    force: bool,
    concurrency: usize,
    output: Output,
) -> Result<()> {
    let container = remote.container()?;
    if force {
        let whole = Remote {
            driver: remote.driver.clone(),
            url: remote.url.with_key(""),
        };
        rm::remove_all(&whole, concurrency, output).await?;
    }
    remote.driver.delete_container(container).await?;
    if output.json {
        output.json(&serde_json::json!({"type": "removed", "container": container}));
    } else {
        output.line(&format!("remove_bucket: {}", remote.url));
    }
    Ok(())
}
