//! A simulated cloud in this process's memory: nodes change state on their own as time passes, with a
//! catalogue of sizes, images and locations, real OpenSSH key pairs, volumes and snapshots.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cloud_compute::{
    Capabilities, ComputeDriver, CreateNode, CreateVolume, Image, KeyPair, Location, Node,
    NodeState, Size, Snapshot, SnapshotState, Volume, VolumeState,
};
use cloud_core::{paginate, Clock, Error, ErrorKind, Page, Result, Secret, SystemClock};
use futures_util::stream::{BoxStream, StreamExt};

use crate::faults::{FaultState, Faults};

const PAGE_SIZE: usize = 50;

/// How long the simulated cloud takes to change a node's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timing {
    /// Pending to running, after a create or a start.
    pub boot: Duration,
    /// Stopping to stopped.
    pub stop: Duration,
    /// Rebooting to running.
    pub reboot: Duration,
    /// Terminating to terminated.
    pub terminate: Duration,
    /// A snapshot's pending to completed.
    pub snapshot: Duration,
}

impl Default for Timing {
    /// Two seconds to boot, one for everything else.
    fn default() -> Timing {
        Timing {
            boot: Duration::from_secs(2),
            stop: Duration::from_secs(1),
            reboot: Duration::from_secs(1),
            terminate: Duration::from_secs(1),
            snapshot: Duration::from_secs(1),
        }
    }
}

impl Timing {
    /// Every change takes `delay`.
    pub fn uniform(delay: Duration) -> Timing {
        Timing {
            boot: delay,
            stop: delay,
            reboot: delay,
            terminate: delay,
            snapshot: delay,
        }
    }
}

/// A simulated compute cloud, for tests and demos. Clones share the same cloud.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use cloud_compute::{wait_until_running, ComputeDriver, CreateNode, NodeState};
/// use cloud_core::{ManualClock, PollOptions};
/// use cloud_local::MemoryCompute;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let clock = ManualClock::new();
/// let cloud = MemoryCompute::builder().clock(Arc::new(clock.clone())).build();
/// let nodes = cloud.create_nodes(&CreateNode::new("web", "small", "ubuntu-24.04").count(3)).await?;
/// assert!(nodes.iter().all(|n| n.state == NodeState::Pending));
/// let ids: Vec<String> = nodes.into_iter().map(|n| n.id).collect();
/// let options = PollOptions::default().with_clock(Arc::new(clock));
/// let running = wait_until_running(&cloud, &ids, &options).await?;
/// assert_eq!(running.len(), 3);
/// # Ok::<(), cloud_core::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct MemoryCompute {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cloud: Mutex<Cloud>,
    clock: Arc<dyn Clock>,
    timing: Timing,
    faults: FaultState,
    fail_creates_every: Option<u64>,
    creates: AtomicU64,
    list_calls: AtomicU64,
    page_size: usize,
}

#[derive(Debug, Default)]
struct Cloud {
    nodes: BTreeMap<String, SimNode>,
    images: BTreeMap<String, Image>,
    key_pairs: BTreeMap<String, KeyPair>,
    volumes: BTreeMap<String, Volume>,
    snapshots: BTreeMap<String, (Snapshot, Instant)>,
    next_id: u64,
}

#[derive(Debug)]
struct SimNode {
    node: Node,
    /// From when each state holds; the last one reached is the state now.
    transitions: Vec<(Instant, NodeState)>,
}

impl SimNode {
    fn state(&self, now: Instant) -> NodeState {
        self.transitions
            .iter()
            .rev()
            .find(|(at, _)| *at <= now)
            .map_or(NodeState::Pending, |(_, state)| *state)
    }

    fn view(&self, now: Instant) -> Node {
        let mut node = self.node.clone();
        node.state = self.state(now);
        node
    }

    fn go(&mut self, now: Instant, through: NodeState, delay: Duration, to: NodeState) {
        self.transitions.retain(|(at, _)| *at <= now);
        self.transitions.push((now, through));
        self.transitions.push((now + delay, to));
    }
}

const SIZES: &[(&str, u32, u64, u64, f64)] = &[
    ("small", 1, 1024, 20, 0.01),
    ("medium", 2, 4096, 40, 0.04),
    ("large", 4, 16384, 80, 0.16),
];
const IMAGES: &[(&str, &str)] = &[
    ("ubuntu-24.04", "Ubuntu 24.04 LTS"),
    ("debian-12", "Debian 12"),
];
const LOCATIONS: &[(&str, &str)] = &[("mem-1a", "Memory zone A"), ("mem-1b", "Memory zone B")];

/// Settings for a [`MemoryCompute`].
#[derive(Debug)]
#[must_use]
pub struct MemoryComputeBuilder {
    clock: Arc<dyn Clock>,
    timing: Timing,
    faults: Faults,
    fail_creates_every: Option<u64>,
    page_size: usize,
}

impl MemoryComputeBuilder {
    /// The clock state changes follow (default: the system clock; a
    /// [`ManualClock`](cloud_core::ManualClock) makes tests instant).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long state changes take.
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Faults to inject in every call (throttling, delays, failing the Nth call).
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Fails every `n`th create request with [`ErrorKind::ServiceUnavailable`], creating nothing.
    pub fn fail_creates_every(mut self, n: u64) -> Self {
        self.fail_creates_every = Some(n.max(1));
        self
    }

    /// Nodes per page of a listing (default 50).
    pub fn page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Builds the cloud, with its catalogue and no nodes.
    pub fn build(self) -> MemoryCompute {
        let images = IMAGES
            .iter()
            .map(|(id, name)| {
                let mut image = Image::new(*id, *name);
                image.owner = Some("memory".to_owned());
                ((*id).to_owned(), image)
            })
            .collect();
        MemoryCompute {
            inner: Arc::new(Inner {
                cloud: Mutex::new(Cloud {
                    images,
                    ..Cloud::default()
                }),
                clock: self.clock,
                timing: self.timing,
                faults: FaultState::new(self.faults),
                fail_creates_every: self.fail_creates_every,
                creates: AtomicU64::new(0),
                list_calls: AtomicU64::new(0),
                page_size: self.page_size,
            }),
        }
    }
}

impl Default for MemoryCompute {
    fn default() -> MemoryCompute {
        MemoryCompute::builder().build()
    }
}

impl MemoryCompute {
    /// A cloud with the default timing and no faults.
    pub fn new() -> MemoryCompute {
        MemoryCompute::default()
    }

    /// A builder for a cloud with other timing, a fake clock or faults.
    pub fn builder() -> MemoryComputeBuilder {
        MemoryComputeBuilder {
            clock: Arc::new(SystemClock),
            timing: Timing::default(),
            faults: Faults::default(),
            fail_creates_every: None,
            page_size: PAGE_SIZE,
        }
    }

    /// How many node listing calls were made (each page of `list_nodes`, each `list_nodes_by_id`).
    pub fn list_calls(&self) -> u64 {
        self.inner.list_calls.load(Ordering::SeqCst)
    }
}

fn not_found(what: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{what} {id} does not exist"))
}

fn conflict(message: String) -> Error {
    Error::new(ErrorKind::Conflict, message)
}

impl Inner {
    fn cloud(&self) -> std::sync::MutexGuard<'_, Cloud> {
        self.cloud.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now(&self) -> Instant {
        self.clock.now()
    }

    /// Moves a node through `through` to `to`, if it is in one of `from`.
    async fn transition(
        &self,
        op: &'static str,
        id: &str,
        from: &[NodeState],
        through: NodeState,
        to: NodeState,
    ) -> Result<()> {
        self.faults.enter(op).await?;
        let now = self.now();
        let delay = match to {
            NodeState::Running if through == NodeState::Rebooting => self.timing.reboot,
            NodeState::Running => self.timing.boot,
            NodeState::Stopped => self.timing.stop,
            _ => self.timing.terminate,
        };
        let mut cloud = self.cloud();
        let node = cloud
            .nodes
            .get_mut(id)
            .ok_or_else(|| not_found("node", id))?;
        let state = node.state(now);
        if !from.contains(&state) {
            return Err(conflict(format!(
                "node {id} is {state}; cannot go {through} now"
            )));
        }
        node.go(now, through, delay, to);
        Ok(())
    }
}

impl Cloud {
    fn next_id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{:08x}", self.next_id)
    }
}

fn fingerprint(key: &ssh_key::PublicKey) -> String {
    key.fingerprint(ssh_key::HashAlg::Sha256).to_string()
}

#[async_trait]
impl ComputeDriver for MemoryCompute {
    fn provider(&self) -> &'static str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    fn list_nodes(&self) -> BoxStream<'static, Result<Node>> {
        let inner = self.inner.clone();
        paginate(move |after: Option<String>| {
            let inner = inner.clone();
            async move {
                inner.faults.enter("ListNodes").await?;
                inner.list_calls.fetch_add(1, Ordering::SeqCst);
                let now = inner.now();
                let cloud = inner.cloud();
                let range = match &after {
                    Some(after) => cloud.nodes.range::<String, _>((
                        std::ops::Bound::Excluded(after),
                        std::ops::Bound::Unbounded,
                    )),
                    None => cloud.nodes.range::<String, _>(..),
                };
                let page: Vec<Node> = range
                    .take(inner.page_size)
                    .map(|(_, n)| n.view(now))
                    .collect();
                let next = (page.len() == inner.page_size)
                    .then(|| page.last().map(|n| n.id.clone()))
                    .flatten();
                Ok(Page::new(page, next))
            }
        })
        .boxed()
    }

    async fn list_nodes_by_id(&self, ids: &[String]) -> Result<Vec<Node>> {
        self.inner.faults.enter("ListNodesById").await?;
        self.inner.list_calls.fetch_add(1, Ordering::SeqCst);
        let now = self.inner.now();
        let cloud = self.inner.cloud();
        Ok(ids
            .iter()
            .filter_map(|id| cloud.nodes.get(id))
            .map(|n| n.view(now))
            .collect())
    }

    async fn create_nodes(&self, request: &CreateNode) -> Result<Vec<Node>> {
        let inner = &self.inner;
        inner.faults.enter("CreateNodes").await?;
        let n = inner.creates.fetch_add(1, Ordering::SeqCst) + 1;
        if inner
            .fail_creates_every
            .is_some_and(|every| n.is_multiple_of(every))
        {
            return Err(Error::new(
                ErrorKind::ServiceUnavailable,
                format!("injected fault: create request {n} fails"),
            ));
        }
        if !SIZES.iter().any(|s| s.0 == request.size) {
            return Err(not_found("size", &request.size));
        }
        if let Some(location) = &request.location {
            if !LOCATIONS.iter().any(|l| l.0 == location) {
                return Err(not_found("location", location));
            }
        }
        if let Some(key) = &request.public_key {
            ssh_key::PublicKey::from_openssh(key).map_err(|e| {
                Error::invalid_input("the public key is not an OpenSSH public key").with_source(e)
            })?;
        }
        let now = inner.now();
        let created = inner.clock.system_time();
        let mut cloud = inner.cloud();
        if !cloud.images.contains_key(&request.image) {
            return Err(not_found("image", &request.image));
        }
        if let Some(key_pair) = &request.key_pair {
            if !cloud.key_pairs.contains_key(key_pair) {
                return Err(not_found("key pair", key_pair));
            }
        }
        let mut nodes = Vec::with_capacity(request.count as usize);
        for i in 0..request.count {
            let id = cloud.next_id("node");
            let name = if request.count > 1 {
                format!("{}-{}", request.name, i + 1)
            } else {
                request.name.clone()
            };
            let serial = cloud.next_id;
            let mut node = Node::new(&id, name, NodeState::Pending);
            node.private_ips = vec![IpAddr::V4(Ipv4Addr::new(
                10,
                0,
                (serial >> 8) as u8,
                serial as u8,
            ))];
            node.public_ips = vec![IpAddr::V4(Ipv4Addr::new(203, 0, 113, serial as u8))];
            node.size = Some(request.size.clone());
            node.image = Some(request.image.clone());
            node.location = Some(
                request
                    .location
                    .clone()
                    .unwrap_or_else(|| LOCATIONS[0].0.to_owned()),
            );
            node.key_pair = request.key_pair.clone();
            node.created_at = Some(created);
            node.tags = request.tags.clone();
            if request.user_data.is_some() {
                node.extra.insert("user_data".to_owned(), "set".to_owned());
            }
            let sim = SimNode {
                transitions: vec![
                    (now, NodeState::Pending),
                    (now + inner.timing.boot, NodeState::Running),
                ],
                node,
            };
            nodes.push(sim.view(now));
            cloud.nodes.insert(id, sim);
        }
        Ok(nodes)
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.inner
            .transition(
                "RebootNode",
                id,
                &[NodeState::Running],
                NodeState::Rebooting,
                NodeState::Running,
            )
            .await
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        self.inner
            .transition(
                "StartNode",
                id,
                &[NodeState::Stopped],
                NodeState::Pending,
                NodeState::Running,
            )
            .await
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        self.inner
            .transition(
                "StopNode",
                id,
                &[NodeState::Running],
                NodeState::Stopping,
                NodeState::Stopped,
            )
            .await
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        let alive = [
            NodeState::Pending,
            NodeState::Starting,
            NodeState::Running,
            NodeState::Rebooting,
            NodeState::Stopping,
            NodeState::Stopped,
            NodeState::Suspended,
            NodeState::Error,
            NodeState::Unknown,
        ];
        match self
            .inner
            .transition(
                "DestroyNode",
                id,
                &alive,
                NodeState::Terminating,
                NodeState::Terminated,
            )
            .await
        {
            // Destroying what is already going or gone is done.
            Err(err) if err.kind() == ErrorKind::Conflict => Ok(()),
            other => other,
        }
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        self.inner.faults.enter("ListSizes").await?;
        Ok(SIZES
            .iter()
            .map(|(id, vcpus, ram, disk, price)| {
                let mut size = Size::new(*id, *id);
                size.vcpus = Some(*vcpus);
                size.ram_mib = Some(*ram);
                size.disk_gib = Some(*disk);
                size.price_per_hour = Some(*price);
                size
            })
            .collect())
    }

    fn list_images(&self) -> BoxStream<'static, Result<Image>> {
        let inner = self.inner.clone();
        paginate(move |_: Option<()>| {
            let inner = inner.clone();
            async move {
                inner.faults.enter("ListImages").await?;
                let images = inner.cloud().images.values().cloned().collect();
                Ok(Page::new(images, None))
            }
        })
        .boxed()
    }

    async fn create_image(&self, node_id: &str, name: &str) -> Result<Image> {
        self.inner.faults.enter("CreateImage").await?;
        let now = self.inner.now();
        let mut cloud = self.inner.cloud();
        let node = cloud
            .nodes
            .get(node_id)
            .ok_or_else(|| not_found("node", node_id))?;
        if node.state(now).is_final() {
            return Err(conflict(format!(
                "node {node_id} is gone; no image can be made of it"
            )));
        }
        let id = cloud.next_id("image");
        let mut image = Image::new(&id, name);
        image.owner = Some("self".to_owned());
        image
            .extra
            .insert("source_node".to_owned(), node_id.to_owned());
        cloud.images.insert(id, image.clone());
        Ok(image)
    }

    async fn delete_image(&self, id: &str) -> Result<()> {
        self.inner.faults.enter("DeleteImage").await?;
        let mut cloud = self.inner.cloud();
        let image = cloud.images.get(id).ok_or_else(|| not_found("image", id))?;
        if image.owner.as_deref() != Some("self") {
            return Err(Error::new(
                ErrorKind::PermissionDenied,
                format!("image {id} belongs to the catalogue"),
            ));
        }
        cloud.images.remove(id);
        Ok(())
    }

    async fn copy_image(
        &self,
        id: &str,
        _source_location: Option<&str>,
        name: &str,
    ) -> Result<Image> {
        self.inner.faults.enter("CopyImage").await?;
        let mut cloud = self.inner.cloud();
        let source = cloud
            .images
            .get(id)
            .ok_or_else(|| not_found("image", id))?
            .clone();
        let new_id = cloud.next_id("image");
        let mut image = Image::new(&new_id, name);
        image.owner = Some("self".to_owned());
        image.extra.insert("copied_from".to_owned(), source.id);
        cloud.images.insert(new_id, image.clone());
        Ok(image)
    }

    async fn list_locations(&self) -> Result<Vec<Location>> {
        self.inner.faults.enter("ListLocations").await?;
        Ok(LOCATIONS
            .iter()
            .map(|(id, name)| Location::new(*id, *name))
            .collect())
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        self.inner.faults.enter("ListKeyPairs").await?;
        Ok(self.inner.cloud().key_pairs.values().cloned().collect())
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.inner.faults.enter("CreateKeyPair").await?;
        let private = ssh_key::PrivateKey::random(
            &mut ssh_key::rand_core::OsRng,
            ssh_key::Algorithm::Ed25519,
        )
        .map_err(|e| Error::unexpected("generating a key pair failed").with_source(e))?;
        let public = private.public_key();
        let mut pair = KeyPair::new(name);
        pair.fingerprint = Some(fingerprint(public));
        pair.public_key = Some(
            public
                .to_openssh()
                .map_err(|e| Error::unexpected("encoding a key").with_source(e))?,
        );
        let mut cloud = self.inner.cloud();
        if cloud.key_pairs.contains_key(name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("key pair {name} exists"),
            ));
        }
        cloud.key_pairs.insert(name.to_owned(), pair.clone());
        let encoded = private
            .to_openssh(ssh_key::LineEnding::LF)
            .map_err(|e| Error::unexpected("encoding a key").with_source(e))?;
        pair.private_key = Some(Secret::new(encoded.as_str()));
        Ok(pair)
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        self.inner.faults.enter("ImportKeyPair").await?;
        let key = ssh_key::PublicKey::from_openssh(public_key.trim()).map_err(|e| {
            Error::invalid_input("the public key is not an OpenSSH public key").with_source(e)
        })?;
        let mut pair = KeyPair::new(name);
        pair.fingerprint = Some(fingerprint(&key));
        pair.public_key = Some(public_key.trim().to_owned());
        let mut cloud = self.inner.cloud();
        if cloud.key_pairs.contains_key(name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("key pair {name} exists"),
            ));
        }
        cloud.key_pairs.insert(name.to_owned(), pair.clone());
        Ok(pair)
    }

    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        self.inner.faults.enter("DeleteKeyPair").await?;
        self.inner.cloud().key_pairs.remove(name);
        Ok(())
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        self.inner.faults.enter("ListVolumes").await?;
        Ok(self.inner.cloud().volumes.values().cloned().collect())
    }

    async fn create_volume(&self, request: &CreateVolume) -> Result<Volume> {
        self.inner.faults.enter("CreateVolume").await?;
        if request.size_gib == 0 {
            return Err(Error::invalid_input("a volume needs at least 1 GiB"));
        }
        let created = self.inner.clock.system_time();
        let mut cloud = self.inner.cloud();
        if let Some(snapshot) = &request.snapshot {
            if !cloud.snapshots.contains_key(snapshot) {
                return Err(not_found("snapshot", snapshot));
            }
        }
        let id = cloud.next_id("vol");
        let mut volume = Volume::new(&id, &request.name, request.size_gib);
        volume.state = VolumeState::Available;
        volume.location = Some(
            request
                .location
                .clone()
                .unwrap_or_else(|| LOCATIONS[0].0.to_owned()),
        );
        volume.created_at = Some(created);
        cloud.volumes.insert(id, volume.clone());
        Ok(volume)
    }

    async fn attach_volume(
        &self,
        volume_id: &str,
        node_id: &str,
        device: Option<&str>,
    ) -> Result<()> {
        self.inner.faults.enter("AttachVolume").await?;
        let now = self.inner.now();
        let mut cloud = self.inner.cloud();
        let node_state = cloud
            .nodes
            .get(node_id)
            .ok_or_else(|| not_found("node", node_id))?
            .state(now);
        if node_state.is_final() {
            return Err(conflict(format!("node {node_id} is {node_state}")));
        }
        let volume = cloud
            .volumes
            .get_mut(volume_id)
            .ok_or_else(|| not_found("volume", volume_id))?;
        if volume.state != VolumeState::Available {
            return Err(conflict(format!(
                "volume {volume_id} is attached to {:?}",
                volume.attached_to
            )));
        }
        volume.state = VolumeState::InUse;
        volume.attached_to = Some(node_id.to_owned());
        volume.device = Some(device.unwrap_or("/dev/vdb").to_owned());
        Ok(())
    }

    async fn detach_volume(&self, volume_id: &str) -> Result<()> {
        self.inner.faults.enter("DetachVolume").await?;
        let mut cloud = self.inner.cloud();
        let volume = cloud
            .volumes
            .get_mut(volume_id)
            .ok_or_else(|| not_found("volume", volume_id))?;
        if volume.state != VolumeState::InUse {
            return Err(conflict(format!("volume {volume_id} is not attached")));
        }
        volume.state = VolumeState::Available;
        volume.attached_to = None;
        volume.device = None;
        Ok(())
    }

    async fn destroy_volume(&self, volume_id: &str) -> Result<()> {
        self.inner.faults.enter("DestroyVolume").await?;
        let mut cloud = self.inner.cloud();
        let volume = cloud
            .volumes
            .get(volume_id)
            .ok_or_else(|| not_found("volume", volume_id))?;
        if volume.state == VolumeState::InUse {
            return Err(conflict(format!(
                "volume {volume_id} is attached; detach it first"
            )));
        }
        cloud.volumes.remove(volume_id);
        Ok(())
    }

    async fn list_snapshots(&self) -> Result<Vec<Snapshot>> {
        self.inner.faults.enter("ListSnapshots").await?;
        let now = self.inner.now();
        let timing = self.inner.timing.snapshot;
        Ok(self
            .inner
            .cloud()
            .snapshots
            .values()
            .map(|(snapshot, started)| {
                let mut snapshot = snapshot.clone();
                snapshot.state = if now >= *started + timing {
                    SnapshotState::Completed
                } else {
                    SnapshotState::Pending
                };
                snapshot
            })
            .collect())
    }

    async fn create_snapshot(&self, volume_id: &str, name: &str) -> Result<Snapshot> {
        self.inner.faults.enter("CreateSnapshot").await?;
        let now = self.inner.now();
        let created = self.inner.clock.system_time();
        let mut cloud = self.inner.cloud();
        let size = cloud
            .volumes
            .get(volume_id)
            .ok_or_else(|| not_found("volume", volume_id))?
            .size_gib;
        let id = cloud.next_id("snap");
        let mut snapshot = Snapshot::new(&id, name);
        snapshot.volume_id = Some(volume_id.to_owned());
        snapshot.size_gib = Some(size);
        snapshot.state = SnapshotState::Pending;
        snapshot.created_at = Some(created);
        cloud.snapshots.insert(id, (snapshot.clone(), now));
        Ok(snapshot)
    }

    async fn destroy_snapshot(&self, id: &str) -> Result<()> {
        self.inner.faults.enter("DestroySnapshot").await?;
        self.inner
            .cloud()
            .snapshots
            .remove(id)
            .map(drop)
            .ok_or_else(|| not_found("snapshot", id))
    }
}
