//! The data of compute: nodes and their states, sizes, images, locations, key pairs, volumes, snapshots.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use cloud_core::Secret;

/// Where a node is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum NodeState {
    /// Being created; not yet booted.
    Pending,
    /// Booting after a start.
    Starting,
    /// Up.
    Running,
    /// Restarting.
    Rebooting,
    /// Shutting down.
    Stopping,
    /// Shut down; can be started again.
    Stopped,
    /// Paused by the provider.
    Suspended,
    /// Being destroyed.
    Terminating,
    /// Destroyed.
    Terminated,
    /// Failed.
    Error,
    /// A state the driver does not know.
    Unknown,
}

impl NodeState {
    /// Whether the node is gone or failed for good: waiting for it to run is pointless.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            NodeState::Terminating | NodeState::Terminated | NodeState::Error
        )
    }
}

impl std::fmt::Display for NodeState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            NodeState::Pending => "pending",
            NodeState::Starting => "starting",
            NodeState::Running => "running",
            NodeState::Rebooting => "rebooting",
            NodeState::Stopping => "stopping",
            NodeState::Stopped => "stopped",
            NodeState::Suspended => "suspended",
            NodeState::Terminating => "terminating",
            NodeState::Terminated => "terminated",
            NodeState::Error => "error",
            NodeState::Unknown => "unknown",
        };
        f.write_str(name)
    }
}

/// A virtual machine.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Node {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: NodeState,
    /// Public addresses.
    pub public_ips: Vec<IpAddr>,
    /// Private addresses.
    pub private_ips: Vec<IpAddr>,
    /// The size (instance type) id.
    pub size: Option<String>,
    /// The image id it was started from.
    pub image: Option<String>,
    /// The location (zone or region) id.
    pub location: Option<String>,
    /// The key pair installed on it.
    pub key_pair: Option<String>,
    /// When it was created.
    pub created_at: Option<SystemTime>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl Node {
    /// A node with `id`, `name` and `state`, nothing else known.
    pub fn new(id: impl Into<String>, name: impl Into<String>, state: NodeState) -> Node {
        Node {
            id: id.into(),
            name: name.into(),
            state,
            public_ips: Vec::new(),
            private_ips: Vec::new(),
            size: None,
            image: None,
            location: None,
            key_pair: None,
            created_at: None,
            tags: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// A size (instance type, flavour).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Size {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: Option<u32>,
    /// Memory in MiB.
    pub ram_mib: Option<u64>,
    /// Included disk in GiB.
    pub disk_gib: Option<u64>,
    /// Price per hour in US dollars, when the provider says (often it does not).
    pub price_per_hour: Option<f64>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl Size {
    /// A size with `id` and `name`, nothing else known.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Size {
        Size {
            id: id.into(),
            name: name.into(),
            vcpus: None,
            ram_mib: None,
            disk_gib: None,
            price_per_hour: None,
            extra: BTreeMap::new(),
        }
    }
}

/// A machine image.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Image {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Who owns it (`self` for images made here, or the provider's owner id).
    pub owner: Option<String>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl Image {
    /// An image with `id` and `name`, nothing else known.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Image {
        Image {
            id: id.into(),
            name: name.into(),
            owner: None,
            extra: BTreeMap::new(),
        }
    }
}

/// Where nodes can run: a region or zone.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Location {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The country it is in, when known.
    pub country: Option<String>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl Location {
    /// A location with `id` and `name`, nothing else known.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Location {
        Location {
            id: id.into(),
            name: name.into(),
            country: None,
            extra: BTreeMap::new(),
        }
    }
}

/// An SSH key pair known to the provider.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyPair {
    /// Its name.
    pub name: String,
    /// The provider's fingerprint of it.
    pub fingerprint: Option<String>,
    /// The public key in OpenSSH format, when the provider returns it.
    pub public_key: Option<String>,
    /// The private key in OpenSSH format: only when the provider created the pair, and only then.
    pub private_key: Option<Secret>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl KeyPair {
    /// A key pair called `name`, nothing else known.
    pub fn new(name: impl Into<String>) -> KeyPair {
        KeyPair {
            name: name.into(),
            fingerprint: None,
            public_key: None,
            private_key: None,
            extra: BTreeMap::new(),
        }
    }
}

/// Where a volume is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VolumeState {
    /// Being created.
    Creating,
    /// Ready and detached.
    Available,
    /// Attached to a node.
    InUse,
    /// Being deleted.
    Deleting,
    /// Failed.
    Error,
    /// A state the driver does not know.
    Unknown,
}

/// A block storage volume.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Volume {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its size in GiB.
    pub size_gib: u64,
    /// Its state.
    pub state: VolumeState,
    /// The node it is attached to.
    pub attached_to: Option<String>,
    /// The device it is attached as.
    pub device: Option<String>,
    /// Its location.
    pub location: Option<String>,
    /// When it was created.
    pub created_at: Option<SystemTime>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl Volume {
    /// A volume with `id`, `name` and `size_gib`, nothing else known.
    pub fn new(id: impl Into<String>, name: impl Into<String>, size_gib: u64) -> Volume {
        Volume {
            id: id.into(),
            name: name.into(),
            size_gib,
            state: VolumeState::Unknown,
            attached_to: None,
            device: None,
            location: None,
            created_at: None,
            extra: BTreeMap::new(),
        }
    }
}

/// Where a snapshot is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SnapshotState {
    /// Being taken.
    Pending,
    /// Complete.
    Completed,
    /// Failed.
    Error,
    /// A state the driver does not know.
    Unknown,
}

/// A snapshot of a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// The provider's id.
    pub id: String,
    /// Its name or description.
    pub name: String,
    /// The volume it was taken of.
    pub volume_id: Option<String>,
    /// Its size in GiB.
    pub size_gib: Option<u64>,
    /// Its state.
    pub state: SnapshotState,
    /// When it was taken.
    pub created_at: Option<SystemTime>,
    /// Provider-specific details.
    pub extra: BTreeMap<String, String>,
}

impl Snapshot {
    /// A snapshot with `id` and `name`, nothing else known.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Snapshot {
        Snapshot {
            id: id.into(),
            name: name.into(),
            volume_id: None,
            size_gib: None,
            state: SnapshotState::Unknown,
            created_at: None,
            extra: BTreeMap::new(),
        }
    }
}

/// A request for one or more nodes.
///
/// ```
/// use cloud_compute::CreateNode;
///
/// let web = CreateNode::new("web", "t3.micro", "ami-0abc")
///     .count(10)
///     .key_pair("deploy")
///     .tag("role", "web")
///     .user_data("#!/bin/sh\necho hello");
/// assert_eq!(web.count, 10);
/// ```
///
/// Its `Debug` shows the size of the user data, never its text: it often carries a bootstrap secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateNode {
    /// The name (suffixed `-1`, `-2`, … when `count` > 1).
    pub name: String,
    /// The size id.
    pub size: String,
    /// The image id.
    pub image: String,
    /// The location id (the provider's default when unset).
    pub location: Option<String>,
    /// A key pair the provider knows, to install.
    pub key_pair: Option<String>,
    /// An OpenSSH public key to install, where the provider accepts one directly.
    pub public_key: Option<String>,
    /// User data (cloud-init) to pass.
    pub user_data: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Security groups (firewalls) by name or id.
    pub security_groups: Vec<String>,
    /// Networks to attach, by id (Nova network UUIDs; a DigitalOcean VPC UUID, of which one is used).
    pub networks: Vec<String>,
    /// How many identical nodes (in one request where the provider can).
    pub count: u32,
}

impl fmt::Debug for CreateNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user_data = self
            .user_data
            .as_ref()
            .map(|data| format!("<{} bytes>", data.len()));
        f.debug_struct("CreateNode")
            .field("name", &self.name)
            .field("size", &self.size)
            .field("image", &self.image)
            .field("location", &self.location)
            .field("key_pair", &self.key_pair)
            .field("public_key", &self.public_key)
            .field("user_data", &user_data)
            .field("tags", &self.tags)
            .field("security_groups", &self.security_groups)
            .field("networks", &self.networks)
            .field("count", &self.count)
            .finish()
    }
}

impl CreateNode {
    /// One node called `name` of `size` from `image`.
    pub fn new(
        name: impl Into<String>,
        size: impl Into<String>,
        image: impl Into<String>,
    ) -> CreateNode {
        CreateNode {
            name: name.into(),
            size: size.into(),
            image: image.into(),
            location: None,
            key_pair: None,
            public_key: None,
            user_data: None,
            tags: BTreeMap::new(),
            security_groups: Vec::new(),
            networks: Vec::new(),
            count: 1,
        }
    }

    /// The names of the nodes this request makes: its name, or `name-1` … `name-N` for a count of N.
    ///
    /// ```
    /// use cloud_compute::CreateNode;
    ///
    /// assert_eq!(CreateNode::new("web", "s", "i").names(), ["web"]);
    /// assert_eq!(CreateNode::new("web", "s", "i").count(2).names(), ["web-1", "web-2"]);
    /// ```
    pub fn names(&self) -> Vec<String> {
        if self.count <= 1 {
            return vec![self.name.clone()];
        }
        (1..=self.count)
            .map(|i| format!("{}-{i}", self.name))
            .collect()
    }

    /// How many nodes (at least 1).
    pub fn count(mut self, count: u32) -> CreateNode {
        self.count = count.max(1);
        self
    }

    /// The location.
    pub fn location(mut self, location: impl Into<String>) -> CreateNode {
        self.location = Some(location.into());
        self
    }

    /// The key pair to install.
    pub fn key_pair(mut self, name: impl Into<String>) -> CreateNode {
        self.key_pair = Some(name.into());
        self
    }

    /// An OpenSSH public key to install.
    pub fn public_key(mut self, key: impl Into<String>) -> CreateNode {
        self.public_key = Some(key.into());
        self
    }

    /// User data.
    pub fn user_data(mut self, data: impl Into<String>) -> CreateNode {
        self.user_data = Some(data.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, name: impl Into<String>, value: impl Into<String>) -> CreateNode {
        self.tags.insert(name.into(), value.into());
        self
    }

    /// Adds a security group.
    pub fn security_group(mut self, group: impl Into<String>) -> CreateNode {
        self.security_groups.push(group.into());
        self
    }

    /// Adds a network to attach.
    pub fn network(mut self, network: impl Into<String>) -> CreateNode {
        self.networks.push(network.into());
        self
    }
}

/// A request for a volume.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreateVolume {
    /// Its name.
    pub name: String,
    /// Its size in GiB.
    pub size_gib: u64,
    /// Its location (the provider's default when unset).
    pub location: Option<String>,
    /// A snapshot to restore it from.
    pub snapshot: Option<String>,
}

impl CreateVolume {
    /// A volume called `name` of `size_gib` GiB.
    pub fn new(name: impl Into<String>, size_gib: u64) -> CreateVolume {
        CreateVolume {
            name: name.into(),
            size_gib,
            location: None,
            snapshot: None,
        }
    }

    /// The location.
    pub fn location(mut self, location: impl Into<String>) -> CreateVolume {
        self.location = Some(location.into());
        self
    }

    /// Restores the volume from `snapshot`.
    pub fn from_snapshot(mut self, snapshot: impl Into<String>) -> CreateVolume {
        self.snapshot = Some(snapshot.into());
        self
    }
}

/// What a provider's compute can do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Start and stop (not only create and destroy).
    pub start_stop: bool,
    /// Images made from nodes, and deleted.
    pub manage_images: bool,
    /// Images copied under a new id (to another region, where the provider has several).
    pub copy_images: bool,
    /// Key pairs created by the provider.
    pub create_key_pairs: bool,
    /// Key pairs imported from a public key.
    pub import_key_pairs: bool,
    /// Block storage volumes.
    pub volumes: bool,
    /// Volume snapshots.
    pub snapshots: bool,
    /// Tags on nodes.
    pub tags: bool,
}

impl Capabilities {
    /// Everything: providers start here and switch off what they lack.
    pub fn all() -> Capabilities {
        Capabilities {
            start_stop: true,
            manage_images: true,
            copy_images: true,
            create_key_pairs: true,
            import_key_pairs: true,
            volumes: true,
            snapshots: true,
            tags: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_request_never_shows_its_user_data() {
        let request = CreateNode::new("web", "t3.micro", "ami-1").user_data("TOKEN=PLANTED");
        let shown = format!("{request:?} {request:#?}");
        assert!(
            shown.contains("web") && shown.contains("<13 bytes>"),
            "{shown}"
        );
        assert!(!shown.contains("PLANTED"), "{shown}");
    }
}
