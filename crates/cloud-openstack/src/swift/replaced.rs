//! Overwriting a Static Large Object replaces its manifest only: its segments would stay behind,
//! unreachable and still billed. So a write first asks whether it replaces a large object and, once
//! it has succeeded, deletes the segments the old manifest listed (as python-swiftclient does). The
//! write's outcome stands whatever the cleanup meets; a segment that cannot be deleted is logged.

use cloud_core::{Body, Error, ErrorKind, Result};
use futures_util::StreamExt;
use http::Method;
use serde::Deserialize;

use super::requests::{object, query, request};
use super::storage::SwiftInner;

/// One entry of a manifest read with `multipart-manifest=get`: `/container/object`.
#[derive(Deserialize)]
struct Segment {
    name: String,
}

/// The segments of the large object a write is about to replace.
#[derive(Debug, Default)]
pub(crate) struct Replaced {
    segments: Vec<(String, String)>,
}

impl SwiftInner {
    /// What writing `container/key` will replace: the old object's segments if it is a large object.
    pub(crate) async fn replaced(&self, container: &str, key: &str) -> Result<Replaced> {
        if self.keep_replaced_segments {
            return Ok(Replaced::default());
        }
        match self.head(container, key).await {
            Ok(meta) if meta.extra.contains_key("large_object") => {
                self.manifest(container, key).await
            }
            Ok(_) => Ok(Replaced::default()),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(Replaced::default()),
            Err(err) => Err(err),
        }
    }

    async fn manifest(&self, container: &str, key: &str) -> Result<Replaced> {
        let resource = format!("{container}/{key}");
        let base = self.base().await?;
        let url = object(
            &base,
            container,
            key,
            &query(&[("multipart-manifest", "get")]),
        );
        let body = self
            .call(
                "GetManifest",
                &resource,
                request(Method::GET, url, Body::empty())?,
            )
            .await?
            .into_body()
            .bytes()
            .await?;
        let entries: Vec<Segment> = serde_json::from_slice(&body).map_err(|_| {
            Error::unexpected("a large object's manifest is not a JSON list of segments")
                .with_resource(&resource)
        })?;
        let segments = entries
            .into_iter()
            .filter_map(|s| {
                let (container, name) = s.name.strip_prefix('/')?.split_once('/')?;
                Some((container.to_owned(), name.to_owned()))
            })
            .collect();
        Ok(Replaced { segments })
    }

    /// Deletes what a successful write replaced.
    pub(crate) async fn delete_replaced(&self, replaced: Replaced) {
        let mut deletions = futures_util::stream::iter(replaced.segments)
            .map(|(container, name)| async move {
                let result = self.delete_plain(&container, &name).await;
                (container, name, result)
            })
            .buffer_unordered(8);
        while let Some((container, name, result)) = deletions.next().await {
            if let Err(err) = result {
                tracing::warn!(
                    segment = %format!("{container}/{name}"),
                    error = %err,
                    "a replaced large object's segment could not be deleted"
                );
            }
        }
    }
}
