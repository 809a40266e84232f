//! The Nova [`ComputeDriver`]: servers here, flavors, images, zones and key pairs in `catalog.rs`,
//! Cinder volumes and snapshots in `volumes.rs`.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use cloud_compute::{
    Capabilities, ComputeDriver, CreateNode, CreateVolume, Image, KeyPair, Location, Node,
    NodeState, Size, Snapshot, Volume,
};
use cloud_core::json::JsonApi;
use cloud_core::{paginate, Error, ErrorKind, Operation, Page, PollOptions, Result};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::config::ImageApi;
use super::model::{self, Created, OneServer, Server, ServerList};
use crate::auth::OpenStackAuth;

/// Requests one batch of creates or deletes keeps in flight.
const AT_ONCE: usize = 8;
/// Nova's limit on a server's user data, base64-encoded.
const MAX_USER_DATA: usize = 65_535;

/// The services a session carries endpoints for, in the order the builder asks for them.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Service {
    Compute = 0,
    Image = 1,
    Volume = 2,
}

/// Compute on OpenStack Nova: servers, with flavors, images (Glance or Nova's proxy), availability
/// zones, key pairs, and Cinder volumes and snapshots. Cheap to clone; every clone shares one
/// connection pool and one Keystone session.
///
/// Built with [`NovaBuilder`](super::NovaBuilder). Node tags are the server's metadata (key/value
/// pairs, as Nova keeps them).
#[derive(Clone, Debug)]
pub struct Nova {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) api: JsonApi,
    pub(crate) auth: Arc<OpenStackAuth>,
    pub(crate) zone: Option<String>,
    pub(crate) image_api: ImageApi,
    pub(crate) page_size: u32,
    pub(crate) poll: PollOptions,
}

impl Nova {
    pub(crate) fn from_inner(inner: Inner) -> Nova {
        Nova {
            inner: Arc::new(inner),
        }
    }

    /// Reboots a node by cutting its power (`HARD`), where [`reboot_node`](ComputeDriver::reboot_node)
    /// asks its operating system (`SOFT`).
    pub async fn reboot_node_hard(&self, id: &str) -> Result<()> {
        self.inner
            .action(id, "RebootServer", json!({"reboot": {"type": "HARD"}}))
            .await
    }
}

/// An id as one path segment; text that could leave it names nothing.
pub(crate) fn segment(id: &str, what: &str) -> Result<String> {
    if id.is_empty() || id.contains(['/', '?', '#']) || id == "." || id == ".." {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("{what} {id:?} does not exist"),
        ));
    }
    Ok(cloud_core::request::encode_path(id).to_string())
}

impl Inner {
    /// The URL of `path` on `service`, authenticating first if need be.
    pub(crate) async fn url(&self, service: Service, path: &str) -> Result<String> {
        let session = self.auth.session().await?;
        let base = session.url(service as usize).ok_or_else(|| {
            let what = match service {
                Service::Compute => "compute",
                Service::Image => "image (Glance)",
                Service::Volume => "block storage (Cinder)",
            };
            Error::unsupported(format!(
                "this cloud's catalog has no {what} service for the region and interface chosen"
            ))
        })?;
        Ok(format!("{base}{path}"))
    }

    pub(crate) async fn has(&self, service: Service) -> Result<bool> {
        Ok(self.auth.session().await?.url(service as usize).is_some())
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        service: Service,
        operation: &'static str,
        path: &str,
    ) -> Result<T> {
        self.api
            .get(operation, &self.url(service, path).await?)
            .await
    }

    /// A POST (not repeated once it may have reached the server: these APIs take no idempotency
    /// token) or PUT with a JSON body, its answer read as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(
        &self,
        service: Service,
        operation: &'static str,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<T> {
        let url = self.url(service, path).await?;
        self.api.send(operation, method, &url, body).await
    }

    /// A call whose answer carries no data (`202`, `204`).
    pub(crate) async fn call(
        &self,
        service: Service,
        operation: impl Into<Operation> + Send,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<()> {
        let url = self.url(service, path).await?;
        self.api.call(operation, method, &url, body).await
    }

    /// `POST /servers/{id}/action`.
    pub(crate) async fn action(
        &self,
        id: &str,
        operation: &'static str,
        body: Value,
    ) -> Result<()> {
        let path = format!("/servers/{}/action", segment(id, "server")?);
        self.call(
            Service::Compute,
            operation,
            Method::POST,
            &path,
            Some(&body),
        )
        .await
        .map_err(|e| e.with_resource(format!("server {id}")))
    }

    /// Every item of a listing at `path` (which carries its own query, if any), page by page with
    /// `limit` and `marker`. Another page is asked for only while the last one was full and linked a
    /// next; a server that answers the same page twice is an error, not a listing without end.
    pub(crate) fn list<L, T, F>(
        self: &Arc<Self>,
        service: Service,
        operation: &'static str,
        path: &str,
        parts: F,
    ) -> BoxStream<'static, Result<T>>
    where
        L: DeserializeOwned + Send + 'static,
        T: Send + 'static,
        F: Fn(L) -> (Vec<T>, bool, Option<String>) + Send + Sync + Copy + 'static,
    {
        let inner = self.clone();
        let separator = if path.contains('?') { '&' } else { '?' };
        let path = format!("{path}{separator}limit={}", self.page_size);
        paginate(move |marker: Option<String>| {
            let inner = inner.clone();
            let path = path.clone();
            async move {
                let page_path = match &marker {
                    Some(marker) => format!(
                        "{path}&marker={}",
                        cloud_core::request::encode_value(marker)
                    ),
                    None => path,
                };
                let page: L = inner.get(service, operation, &page_path).await?;
                let (items, linked, last) = parts(page);
                let full = items.len() as u64 >= u64::from(inner.page_size);
                let next = match last {
                    Some(last) if linked && full => {
                        if marker.as_deref() == Some(last.as_str()) {
                            return Err(Error::unexpected(format!(
                                "{operation} answered the page after {last} with the same page again"
                            )));
                        }
                        Some(last)
                    }
                    _ => None,
                };
                Ok(Page::new(items, next))
            }
        })
        .boxed()
    }
}

fn node_state(status: &str, task_state: Option<&str>) -> NodeState {
    if task_state == Some("deleting") {
        return NodeState::Terminating;
    }
    match status {
        "BUILD" | "REBUILD" => NodeState::Pending,
        "ACTIVE" => NodeState::Running,
        "REBOOT" | "HARD_REBOOT" => NodeState::Rebooting,
        "SHUTOFF" | "STOPPED" | "SHELVED" | "SHELVED_OFFLOADED" => NodeState::Stopped,
        "PAUSED" | "SUSPENDED" => NodeState::Suspended,
        "DELETED" | "SOFT_DELETED" => NodeState::Terminated,
        "ERROR" => NodeState::Error,
        _ => NodeState::Unknown,
    }
}

/// Whether an address is one the internet cannot reach.
fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (v4.octets()[0] == 100 && v4.octets()[1] & 0xc0 == 64)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

/// Public or private: a floating address is public; otherwise the network's name says (`public`,
/// `external`, `private`), and failing that the address's range.
fn is_public(network: &str, kind: Option<&str>, ip: IpAddr) -> bool {
    if kind == Some("floating") {
        return true;
    }
    match network.to_ascii_lowercase().as_str() {
        "public" | "external" | "internet" | "ext-net" => true,
        "private" | "internal" => false,
        _ => !is_private(ip),
    }
}

/// An `id` (or, from microversion 2.47, an `original_name`) of a flavor or image reference.
fn reference(value: Option<&Value>) -> Option<String> {
    let value = value?;
    value
        .get("id")
        .or_else(|| value.get("original_name"))
        .and_then(|v| match v {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

pub(crate) fn to_node(server: Server) -> Node {
    let mut node = Node::new(
        server.id,
        server.name,
        node_state(&server.status, server.task_state.as_deref()),
    );
    node.size = reference(server.flavor.as_ref());
    node.image = reference(server.image.as_ref());
    node.key_pair = server.key_name.filter(|k| !k.is_empty());
    node.location = server.availability_zone.filter(|z| !z.is_empty());
    node.created_at = server
        .created
        .as_deref()
        .and_then(cloud_core::time::rfc3339);
    for (network, addresses) in server.addresses.unwrap_or_default() {
        for address in addresses {
            let Ok(ip) = address.addr.parse::<IpAddr>() else {
                continue;
            };
            if is_public(&network, address.kind.as_deref(), ip) {
                node.public_ips.push(ip);
            } else {
                node.private_ips.push(ip);
            }
        }
    }
    node.tags = server.metadata.unwrap_or_default();
    node.extra.insert("status".into(), server.status);
    if let Some(fault) = server.fault {
        node.state = NodeState::Error;
        if let Some(message) = fault.message {
            node.extra.insert("fault".into(), message);
        }
        if let Some(code) = fault.code {
            node.extra.insert("fault_code".into(), code.to_string());
        }
    }
    let texts = [
        ("task_state", server.task_state),
        ("host_id", server.host_id),
        ("tenant_id", server.tenant_id),
        ("access_ipv4", server.access_ipv4),
        ("access_ipv6", server.access_ipv6),
    ];
    for (name, value) in texts {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            node.extra.insert(name.into(), value);
        }
    }
    node
}

/// A page's nodes, whether it links a next one, and its last id (the next page's marker).
pub(super) fn servers_page(list: ServerList) -> (Vec<Node>, bool, Option<String>) {
    let linked = model::has_next(list.servers_links.as_deref());
    let last = list.servers.last().map(|s| s.id.clone());
    (
        list.servers.into_iter().map(to_node).collect(),
        linked,
        last,
    )
}

impl Nova {
    /// The body of `POST /servers` for `request`, without its name.
    fn server_body(&self, request: &CreateNode) -> Result<serde_json::Map<String, Value>> {
        use base64::Engine as _;
        if request.public_key.is_some() {
            return Err(Error::unsupported(
                "Nova installs registered key pairs only: import the key with import_key_pair and name it with key_pair",
            ));
        }
        let mut server = serde_json::Map::new();
        server.insert("flavorRef".into(), json!(request.size));
        server.insert("imageRef".into(), json!(request.image));
        if let Some(zone) = request.location.as_ref().or(self.inner.zone.as_ref()) {
            server.insert("availability_zone".into(), json!(zone));
        }
        if let Some(key) = &request.key_pair {
            server.insert("key_name".into(), json!(key));
        }
        if let Some(user_data) = &request.user_data {
            let encoded = base64::engine::general_purpose::STANDARD.encode(user_data);
            if encoded.len() > MAX_USER_DATA {
                return Err(Error::invalid_input(format!(
                    "Nova takes at most {MAX_USER_DATA} bytes of base64 user data; this is {}",
                    encoded.len()
                )));
            }
            server.insert("user_data".into(), json!(encoded));
        }
        if !request.tags.is_empty() {
            server.insert("metadata".into(), json!(request.tags));
        }
        if !request.networks.is_empty() {
            let networks: Vec<Value> = request
                .networks
                .iter()
                .map(|n| json!({"uuid": n}))
                .collect();
            server.insert("networks".into(), json!(networks));
        }
        if !request.security_groups.is_empty() {
            let groups: Vec<Value> = request
                .security_groups
                .iter()
                .map(|g| json!({"name": g}))
                .collect();
            server.insert("security_groups".into(), json!(groups));
        }
        Ok(server)
    }

    async fn create_one(
        &self,
        body: &serde_json::Map<String, Value>,
        name: &str,
        request: &CreateNode,
    ) -> Result<Node> {
        let mut server = body.clone();
        server.insert("name".into(), json!(name));
        let created: Created = self
            .inner
            .send(
                Service::Compute,
                "CreateServer",
                Method::POST,
                "/servers",
                &json!({ "server": server }),
            )
            .await?;
        // Nova answers with the id alone; the rest is what was asked for, until it is listed.
        let mut node = Node::new(created.server.id, name, NodeState::Pending);
        node.size = Some(request.size.clone());
        node.image = Some(request.image.clone());
        node.key_pair = request.key_pair.clone();
        node.location = request.location.clone().or_else(|| self.inner.zone.clone());
        node.tags = request.tags.clone();
        Ok(node)
    }
}

#[async_trait]
impl ComputeDriver for Nova {
    fn provider(&self) -> &'static str {
        "openstack"
    }

    fn capabilities(&self) -> Capabilities {
        let mut capabilities = Capabilities::all();
        // Images live in one region's Glance; copying between clouds is not an API call.
        capabilities.copy_images = false;
        capabilities
    }

    fn list_nodes(&self) -> BoxStream<'static, Result<Node>> {
        self.inner.list(
            Service::Compute,
            "ListServers",
            "/servers/detail",
            servers_page,
        )
    }

    /// Nova forgets a server once it is deleted: an id the listing no longer holds is reported as a
    /// terminated node (with `extra["gone"]`), so that waiting on it fails at once.
    async fn list_nodes_by_id(&self, ids: &[String]) -> Result<Vec<Node>> {
        let wanted: std::collections::BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        let mut found: Vec<Node> = self
            .list_nodes()
            .try_filter(|node| std::future::ready(wanted.contains(node.id.as_str())))
            .try_collect()
            .await?;
        let listed: std::collections::BTreeSet<String> =
            found.iter().map(|n| n.id.clone()).collect();
        for id in ids.iter().filter(|id| !listed.contains(*id)) {
            let mut gone = Node::new(id, "", NodeState::Terminated);
            gone.extra.insert("gone".into(), "true".into());
            found.push(gone);
        }
        Ok(found)
    }

    async fn get_node(&self, id: &str) -> Result<Node> {
        let path = format!("/servers/{}", segment(id, "server")?);
        let answer: OneServer = self
            .inner
            .get(Service::Compute, "GetServer", &path)
            .await
            .map_err(|e| e.with_resource(format!("server {id}")))?;
        Ok(to_node(answer.server))
    }

    async fn create_nodes(&self, request: &CreateNode) -> Result<Vec<Node>> {
        let body = self.server_body(request)?;
        let names = request.names();
        let creates: Vec<_> = names
            .iter()
            .map(|name| self.create_one(&body, name, request))
            .collect();
        let results: Vec<Result<Node>> = futures_util::stream::iter(creates)
            .buffered(AT_ONCE)
            .collect()
            .await;
        let mut nodes = Vec::with_capacity(results.len());
        let mut failure = None;
        for result in results {
            match result {
                Ok(node) => nodes.push(node),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        if let Some(err) = failure {
            // Nothing half-made is left running: the servers this call did make go again.
            let ids: Vec<String> = nodes.into_iter().map(|n| n.id).collect();
            if let Err(cleanup) = self.destroy_nodes(&ids).await {
                tracing::warn!(error = %cleanup, "destroying the servers of a failed create");
            }
            return Err(err);
        }
        Ok(nodes)
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.inner
            .action(id, "RebootServer", json!({"reboot": {"type": "SOFT"}}))
            .await
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        self.inner
            .action(id, "StartServer", json!({"os-start": null}))
            .await
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        self.inner
            .action(id, "StopServer", json!({"os-stop": null}))
            .await
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        let path = format!("/servers/{}", segment(id, "server")?);
        self.inner
            .call(
                Service::Compute,
                "DeleteServer",
                Method::DELETE,
                &path,
                None,
            )
            .await
            .map_err(|e| e.with_resource(format!("server {id}")))
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        self.flavors().await
    }

    fn list_images(&self) -> BoxStream<'static, Result<Image>> {
        self.images()
    }

    async fn get_image(&self, id: &str) -> Result<Image> {
        self.image(id).await
    }

    async fn create_image(&self, node_id: &str, name: &str) -> Result<Image> {
        self.image_of(node_id, name).await
    }

    async fn delete_image(&self, id: &str) -> Result<()> {
        self.remove_image(id).await
    }

    async fn list_locations(&self) -> Result<Vec<Location>> {
        self.zones().await
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        self.keys().await
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.new_key(name, None).await
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        self.new_key(name, Some(public_key)).await
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
        device: Option<&str>,
    ) -> Result<()> {
        self.attach(volume_id, node_id, device).await
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
