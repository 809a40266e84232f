//! The DigitalOcean [`ComputeDriver`]: droplets here, the catalogue in `catalog.rs`, volumes and
//! snapshots in `volumes.rs`.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use cloud_compute::{
    Capabilities, ComputeDriver, CreateNode, CreateVolume, Image, KeyPair, Location, Node,
    NodeState, Size, Snapshot, Volume,
};
use cloud_core::json::JsonApi;
use cloud_core::redact::RedactedUrl;
use cloud_core::time::rfc3339;
use cloud_core::{paginate, Error, ErrorKind, Page, PollOptions, Result};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::Method;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::model::{self, Created, Droplet, DropletList, Listing, OneAction, OneDroplet};

/// The most a page holds (the API's limit).
pub(crate) const PER_PAGE: u32 = 200;
/// The most names one create request may carry.
const NAMES_PER_CREATE: usize = 10;

/// Compute on DigitalOcean: droplets, with images, sizes, regions, SSH keys, volumes and snapshots.
/// Cheap to clone; every clone shares one connection pool.
///
/// Built with [`DropletsBuilder`](super::DropletsBuilder). Node ids are droplet ids (numbers); tags
/// are written `name:value` (DigitalOcean's tags are plain words, so `role:web` reads back as the tag
/// `role` = `web`, and a bare word as a tag with an empty value).
#[derive(Clone, Debug)]
pub struct Droplets {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) api: JsonApi,
    /// `scheme://authority[/path]`, without a trailing slash.
    pub(crate) base: RedactedUrl,
    pub(crate) region: Option<String>,
    pub(crate) poll: PollOptions,
}

impl Droplets {
    pub(crate) fn from_inner(inner: Inner) -> Droplets {
        Droplets {
            inner: Arc::new(inner),
        }
    }

    /// Destroys every droplet tagged `tag`, in one request.
    pub async fn destroy_by_tag(&self, tag: &str) -> Result<()> {
        check_tag(tag)?;
        let path = format!(
            "/v2/droplets?{}",
            cloud_core::request::query(&[("tag_name", tag)])
        );
        self.inner.delete("DestroyDropletsByTag", &path).await
    }

    /// Shuts a droplet down gracefully (an ACPI shutdown), where [`stop_node`](ComputeDriver::stop_node)
    /// cuts its power.
    pub async fn shutdown_node(&self, id: &str) -> Result<()> {
        self.inner
            .droplet_action(id, json!({"type": "shutdown"}))
            .await
            .map(drop)
    }
}

/// A droplet id as the number the API wants; any other text names no droplet.
pub(crate) fn droplet_id(id: &str) -> Result<u64> {
    id.parse().map_err(|_| {
        Error::new(
            ErrorKind::NotFound,
            format!("droplet {id} does not exist (droplet ids are numbers)"),
        )
    })
}

/// DigitalOcean's tag rule: letters, digits, `:`, `-` and `_`, at most 255 characters.
pub(crate) fn check_tag(tag: &str) -> Result<()> {
    let valid = !tag.is_empty()
        && tag.len() <= 255
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_'));
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "DigitalOcean tags hold letters, digits, ':', '-' and '_' only: {tag:?}"
        )))
    }
}

/// A tag map as DigitalOcean tags: `name:value`, or `name` alone for an empty value.
fn tags_of(tags: &BTreeMap<String, String>) -> Result<Vec<String>> {
    tags.iter()
        .map(|(name, value)| {
            let tag = if value.is_empty() {
                name.clone()
            } else {
                format!("{name}:{value}")
            };
            check_tag(&tag).map(|()| tag)
        })
        .collect()
}

/// An image as the create request wants it: its id as a number, or its slug.
pub(crate) fn image_ref(image: &str) -> Value {
    match image.parse::<u64>() {
        Ok(id) => json!(id),
        Err(_) => json!(image),
    }
}

/// Where a listing goes on from, with the items seen so far.
#[derive(Hash)]
enum Next {
    /// The page to ask for.
    Page(u32, u64),
    /// A full page linked another but gave no total: reading on could go on without end.
    Unbounded(u64),
}

impl Inner {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.expose())
    }

    /// `GET path`, its answer read as `T`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
    ) -> Result<T> {
        self.api.get(operation, &self.url(path)).await
    }

    /// `method path` with a JSON body, its answer read as `T`. POSTs are not repeated once they may
    /// have reached the API: it takes no idempotency token.
    pub(crate) async fn send_json<T: DeserializeOwned, B: Serialize + Sync + ?Sized>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: &B,
    ) -> Result<T> {
        self.api
            .send(operation, method, &self.url(path), body)
            .await
    }

    /// `DELETE path` (answered `204 No Content`).
    pub(crate) async fn delete(&self, operation: &'static str, path: &str) -> Result<()> {
        self.api
            .call::<()>(operation, Method::DELETE, &self.url(path), None)
            .await
    }

    /// Every item of a listing at `path` (which carries its own query, if any), page by page. Another
    /// page is asked for only while the API links one, the last page was full, and fewer items than
    /// its `total` were seen: a server that links pages forever cannot hold a listing forever. A page
    /// that links another without the `meta.total` the API documents could go on without end: its
    /// items are listed, then the listing ends with an error.
    pub(crate) fn list<L: Listing>(
        self: &Arc<Self>,
        operation: &'static str,
        path: &str,
    ) -> BoxStream<'static, Result<L::Item>> {
        let inner = self.clone();
        let separator = if path.contains('?') { '&' } else { '?' };
        let path = format!("{path}{separator}per_page={PER_PAGE}");
        paginate(move |cursor: Option<Next>| {
            let inner = inner.clone();
            let path = path.clone();
            async move {
                let (page, seen) = match cursor.unwrap_or(Next::Page(1, 0)) {
                    Next::Page(page, seen) => (page, seen),
                    Next::Unbounded(seen) => {
                        return Err(Error::unexpected(format!(
                            "{operation} linked page after page without the total the API \
                             documents (meta.total); stopped after {seen} items rather than read \
                             without end"
                        )))
                    }
                };
                let page_list: L = inner.get(operation, &format!("{path}&page={page}")).await?;
                let (items, linked, total) = page_list.into_parts();
                let seen = seen + items.len() as u64;
                let full = items.len() as u64 == u64::from(PER_PAGE);
                let next = match total {
                    _ if !(linked && full) => None,
                    Some(total) => (seen < total).then_some(Next::Page(page + 1, seen)),
                    None => Some(Next::Unbounded(seen)),
                };
                Ok(Page::new(items, next))
            }
        })
        .boxed()
    }

    /// Starts an action on a droplet; the action as the API first reports it.
    pub(crate) async fn droplet_action(&self, id: &str, body: Value) -> Result<model::Action> {
        let path = format!("/v2/droplets/{}/actions", droplet_id(id)?);
        let answer: OneAction = self
            .send_json("DropletAction", Method::POST, &path, &body)
            .await
            .map_err(|e| e.with_resource(format!("droplet {id}")))?;
        Ok(answer.action)
    }
}

fn node_state(status: &str) -> NodeState {
    match status {
        "new" => NodeState::Pending,
        "active" => NodeState::Running,
        "off" => NodeState::Stopped,
        "archive" => NodeState::Terminated,
        _ => NodeState::Unknown,
    }
}

pub(crate) fn to_node(droplet: Droplet) -> Node {
    let mut node = Node::new(
        droplet.id.into_string(),
        droplet.name,
        node_state(&droplet.status),
    );
    node.created_at = droplet.created_at.as_deref().and_then(rfc3339);
    node.size = droplet.size_slug;
    node.location = droplet.region.map(|r| r.slug);
    if let Some(image) = droplet.image {
        node.image = image.id.map(String::from);
        if let Some(slug) = image.slug {
            node.extra.insert("image_slug".into(), slug);
        }
        if let Some(name) = image.name {
            let name = match image.distribution {
                Some(distribution) => format!("{distribution} {name}"),
                None => name,
            };
            node.extra.insert("image_name".into(), name);
        }
    }
    let networks = droplet.networks.unwrap_or_default();
    let addresses = networks
        .v4
        .into_iter()
        .flatten()
        .chain(networks.v6.into_iter().flatten());
    for address in addresses {
        let Ok(ip) = address.ip_address.parse::<IpAddr>() else {
            continue;
        };
        match address.kind.as_str() {
            "public" => node.public_ips.push(ip),
            _ => node.private_ips.push(ip),
        }
    }
    for tag in droplet.tags.into_iter().flatten() {
        let (name, value) = tag.split_once(':').unwrap_or((tag.as_str(), ""));
        node.tags.insert(name.to_owned(), value.to_owned());
    }
    let numbers = [("memory_mib", droplet.memory), ("disk_gib", droplet.disk)];
    for (name, value) in numbers {
        if let Some(value) = value {
            node.extra.insert(name.into(), value.to_string());
        }
    }
    if let Some(vcpus) = droplet.vcpus {
        node.extra.insert("vcpus".into(), vcpus.to_string());
    }
    if let Some(vpc) = droplet.vpc_uuid {
        node.extra.insert("vpc_uuid".into(), vpc);
    }
    if droplet.locked == Some(true) {
        node.extra.insert("locked".into(), "true".into());
    }
    let volumes: Vec<String> = droplet
        .volume_ids
        .into_iter()
        .flatten()
        .map(String::from)
        .collect();
    if !volumes.is_empty() {
        node.extra.insert("volume_ids".into(), volumes.join(","));
    }
    node
}

#[async_trait]
impl ComputeDriver for Droplets {
    fn provider(&self) -> &'static str {
        "digitalocean"
    }

    fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::all();
        // The API registers keys; it does not make them. Images are transferred between regions
        // under the same id (`transfer_image`), not copied.
        capabilities.create_key_pairs = false;
        capabilities.copy_images = false;
        capabilities
    }

    fn list_nodes(&self) -> BoxStream<'static, Result<Node>> {
        self.inner
            .list::<DropletList>("ListDroplets", "/v2/droplets")
            .map_ok(to_node)
            .boxed()
    }

    async fn get_node(&self, id: &str) -> Result<Node> {
        let path = format!("/v2/droplets/{}", droplet_id(id)?);
        let answer: OneDroplet = self
            .inner
            .get("GetDroplet", &path)
            .await
            .map_err(|e| e.with_resource(format!("droplet {id}")))?;
        Ok(to_node(answer.droplet))
    }

    async fn create_nodes(&self, request: &CreateNode) -> Result<Vec<Node>> {
        if !request.security_groups.is_empty() {
            return Err(Error::unsupported(
                "DigitalOcean applies firewalls to droplets after they exist, not at creation",
            ));
        }
        if request.public_key.is_some() {
            return Err(Error::unsupported(
                "DigitalOcean installs registered keys only: import the key with import_key_pair and name it with key_pair",
            ));
        }
        let mut body = serde_json::Map::new();
        body.insert("size".into(), json!(request.size));
        body.insert("image".into(), image_ref(&request.image));
        if let Some(region) = request.location.as_ref().or(self.inner.region.as_ref()) {
            body.insert("region".into(), json!(region));
        }
        if let Some(key) = &request.key_pair {
            body.insert("ssh_keys".into(), json!([self.key_ref(key).await?]));
        }
        if let Some(user_data) = &request.user_data {
            body.insert("user_data".into(), json!(user_data));
        }
        let tags = tags_of(&request.tags)?;
        if !tags.is_empty() {
            body.insert("tags".into(), json!(tags));
        }
        if let Some(vpc) = request.networks.first() {
            body.insert("vpc_uuid".into(), json!(vpc));
        }
        let mut nodes = Vec::new();
        for chunk in request.names().chunks(NAMES_PER_CREATE) {
            let mut body = body.clone();
            if let [name] = chunk {
                body.insert("name".into(), json!(name));
            } else {
                body.insert("names".into(), json!(chunk));
            }
            let created: Created = self
                .inner
                .send_json("CreateDroplets", Method::POST, "/v2/droplets", &body)
                .await?;
            let droplets = created
                .droplets
                .into_iter()
                .flatten()
                .chain(created.droplet);
            let before = nodes.len();
            nodes.extend(droplets.map(to_node));
            if nodes.len() == before {
                return Err(Error::unexpected(
                    "CreateDroplets answered without the droplets it made",
                ));
            }
        }
        Ok(nodes)
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.inner
            .droplet_action(id, json!({"type": "reboot"}))
            .await
            .map(drop)
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        self.inner
            .droplet_action(id, json!({"type": "power_on"}))
            .await
            .map(drop)
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        self.inner
            .droplet_action(id, json!({"type": "power_off"}))
            .await
            .map(drop)
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        let path = format!("/v2/droplets/{}", droplet_id(id)?);
        self.inner
            .delete("DestroyDroplet", &path)
            .await
            .map_err(|e| e.with_resource(format!("droplet {id}")))
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        self.sizes().await
    }

    fn list_images(&self) -> BoxStream<'static, Result<Image>> {
        self.images(None)
    }

    async fn get_image(&self, id: &str) -> Result<Image> {
        self.image(id).await
    }

    async fn create_image(&self, node_id: &str, name: &str) -> Result<Image> {
        self.snapshot_droplet(node_id, name).await
    }

    async fn delete_image(&self, id: &str) -> Result<()> {
        self.remove_image(id).await
    }

    async fn list_locations(&self) -> Result<Vec<Location>> {
        self.regions().await
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        self.keys().await
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        self.import_key(name, public_key).await
    }

    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        self.delete_key(name).await
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        self.volumes().await
    }

    async fn create_volume(&self, request: &CreateVolume) -> Result<Volume> {
        self.new_volume(request).await
    }

    async fn attach_volume(
        &self,
        volume_id: &str,
        node_id: &str,
        _device: Option<&str>,
    ) -> Result<()> {
        self.attach(volume_id, node_id).await
    }

    async fn detach_volume(&self, volume_id: &str) -> Result<()> {
        self.detach(volume_id).await
    }

    async fn destroy_volume(&self, volume_id: &str) -> Result<()> {
        self.remove_volume(volume_id).await
    }

    async fn list_snapshots(&self) -> Result<Vec<Snapshot>> {
        self.snapshots().await
    }

    async fn create_snapshot(&self, volume_id: &str, name: &str) -> Result<Snapshot> {
        self.snapshot_volume(volume_id, name).await
    }

    async fn destroy_snapshot(&self, id: &str) -> Result<()> {
        self.remove_snapshot(id).await
    }
}
