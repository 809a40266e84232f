//! `cloud ls`: containers, or the objects and folders under a prefix.

use cloud::storage::{ListEntry, ListOptions};
use cloud::Result;
use futures_util::StreamExt;

use crate::location::Remote;
use crate::report::{bytes, container_json, object_json, timestamp, Output};

pub(crate) async fn run(remote: &Remote, recursive: bool, output: Output) -> Result<()> {
    let Some(container) = remote.url.container() else {
        let mut containers = remote.driver.list_containers();
        while let Some(container) = containers.next().await {
            let container = container?;
            if output.json {
                output.json(&container_json(&container));
            } else {
                output.line(&format!(
                    "{}  {}",
                    timestamp(container.created),
                    container.name
                ));
            }
        }
        return Ok(());
    };
    let mut options = ListOptions::new().prefix(remote.key());
    if !recursive {
        options = options.delimiter("/");
    }
    let mut entries = remote.driver.list_objects(container, &options);
    while let Some(entry) = entries.next().await {
        match entry? {
            ListEntry::Prefix(prefix) if output.json => output.json(
                &serde_json::json!({"type": "prefix", "container": container, "prefix": prefix}),
            ),
            ListEntry::Prefix(prefix) => {
                output.line(&format!("{:>20}  {:>10}  {prefix}", "", "PRE"))
            }
            ListEntry::Object(meta) if output.json => output.json(&object_json(container, &meta)),
            ListEntry::Object(meta) => output.line(&format!(
                "{:>20}  {:>10}  {}",
                timestamp(meta.last_modified),
                bytes(meta.size),
                meta.key
            )),
            _ => {}
        }
    }
    Ok(())
}
