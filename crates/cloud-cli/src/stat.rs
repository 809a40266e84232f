//! `cloud stat`: what is known about a container or an object.

use cloud::Result;

use crate::location::Remote;
use crate::report::{bytes, container_json, object_json, timestamp, Output};

pub(crate) async fn run(remote: &Remote, output: Output) -> Result<()> {
    let container = remote.container()?;
    let Some(key) = remote.url.key() else {
        let found = remote.driver.get_container(container).await?;
        if output.json {
            output.json(&container_json(&found));
        } else {
            output.line(&format!(
                "container: {}\ncreated:   {}",
                found.name,
                timestamp(found.created)
            ));
        }
        return Ok(());
    };
    let meta = remote.driver.head_object(container, key).await?;
    if output.json {
        output.json(&object_json(container, &meta));
        return Ok(());
    }
    let mut lines = vec![
        format!("key:           {}", meta.key),
        format!("size:          {} ({})", meta.size, bytes(meta.size)),
        format!("last modified: {}", timestamp(meta.last_modified)),
        format!("etag:          {}", meta.etag.as_deref().unwrap_or("-")),
        format!(
            "content type:  {}",
            meta.content_type.as_deref().unwrap_or("-")
        ),
    ];
    if let Some(checksum) = &meta.checksum {
        lines.push(format!("checksum:      {checksum}"));
    }
    for (name, value) in &meta.metadata {
        lines.push(format!("metadata:      {name}={value}"));
    }
    output.line(&lines.join("\n"));
    Ok(())
}
