//! The JSON of Nova (compute API v2.1), Glance (image API v2) and Cinder (block storage API v3), as
//! their API references document it. Listing fields are required: an answer without them is refused,
//! not read as an empty page.

use std::collections::BTreeMap;

use cloud_core::json::Id;
use serde::Deserialize;
use serde_json::Value;

/// A `rel`/`href` link; listings name their next page with `rel: next`.
#[derive(Debug, Deserialize)]
pub(crate) struct Link {
    #[serde(default)]
    pub(crate) rel: Option<String>,
    #[serde(default)]
    pub(crate) href: Option<String>,
}

/// Whether `links` names a next page.
pub(crate) fn has_next(links: Option<&[Link]>) -> bool {
    links
        .unwrap_or_default()
        .iter()
        .any(|l| l.rel.as_deref() == Some("next") && l.href.is_some())
}

#[derive(Debug, Deserialize)]
pub(crate) struct ServerList {
    pub(crate) servers: Vec<Server>,
    #[serde(default)]
    pub(crate) servers_links: Option<Vec<Link>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneServer {
    pub(crate) server: Server,
}

/// A server as `GET /servers/detail` and `GET /servers/{id}` write it.
#[derive(Debug, Deserialize)]
pub(crate) struct Server {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default, rename = "OS-EXT-STS:task_state")]
    pub(crate) task_state: Option<String>,
    #[serde(default)]
    pub(crate) addresses: Option<BTreeMap<String, Vec<Address>>>,
    /// `{"id": …}`; `{"original_name": …}` from microversion 2.47; `""` when booted from a volume.
    #[serde(default)]
    pub(crate) flavor: Option<Value>,
    #[serde(default)]
    pub(crate) image: Option<Value>,
    #[serde(default)]
    pub(crate) key_name: Option<String>,
    #[serde(default)]
    pub(crate) metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(crate) created: Option<String>,
    #[serde(default, rename = "OS-EXT-AZ:availability_zone")]
    pub(crate) availability_zone: Option<String>,
    #[serde(default)]
    pub(crate) fault: Option<Fault>,
    #[serde(default, rename = "hostId")]
    pub(crate) host_id: Option<String>,
    #[serde(default)]
    pub(crate) tenant_id: Option<String>,
    #[serde(default, rename = "accessIPv4")]
    pub(crate) access_ipv4: Option<String>,
    #[serde(default, rename = "accessIPv6")]
    pub(crate) access_ipv6: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Address {
    pub(crate) addr: String,
    #[serde(default, rename = "OS-EXT-IPS:type")]
    pub(crate) kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Fault {
    #[serde(default)]
    pub(crate) code: Option<u16>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// The answer to `POST /servers`: the new server's id, little else.
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    pub(crate) server: CreatedServer,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreatedServer {
    pub(crate) id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FlavorList {
    pub(crate) flavors: Vec<Flavor>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Flavor {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) ram: Option<u64>,
    #[serde(default)]
    pub(crate) disk: Option<u64>,
    #[serde(default)]
    pub(crate) vcpus: Option<u32>,
    #[serde(default, rename = "OS-FLV-EXT-DATA:ephemeral")]
    pub(crate) ephemeral: Option<u64>,
    #[serde(default, rename = "os-flavor-access:is_public")]
    pub(crate) is_public: Option<bool>,
}

/// Nova's image proxy (`GET /images/detail`), for clouds whose catalog has no Glance.
#[derive(Debug, Deserialize)]
pub(crate) struct NovaImageList {
    pub(crate) images: Vec<NovaImage>,
    #[serde(default)]
    pub(crate) images_links: Option<Vec<Link>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneNovaImage {
    pub(crate) image: NovaImage,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NovaImage {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default, rename = "minDisk")]
    pub(crate) min_disk: Option<u64>,
    #[serde(default, rename = "minRam")]
    pub(crate) min_ram: Option<u64>,
}

/// Glance v2's image listing: `next` is the path of the next page.
#[derive(Debug, Deserialize)]
pub(crate) struct GlanceImageList {
    pub(crate) images: Vec<GlanceImage>,
    #[serde(default)]
    pub(crate) next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GlanceImage {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) visibility: Option<String>,
    #[serde(default)]
    pub(crate) owner: Option<String>,
    #[serde(default)]
    pub(crate) os_distro: Option<String>,
    #[serde(default)]
    pub(crate) min_disk: Option<u64>,
    #[serde(default)]
    pub(crate) size: Option<u64>,
}

/// The answer to `createImage` from microversion 2.45 (earlier ones answer with a `Location`).
#[derive(Debug, Deserialize)]
pub(crate) struct CreatedImage {
    pub(crate) image_id: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ZoneList {
    #[serde(rename = "availabilityZoneInfo")]
    pub(crate) zones: Vec<Zone>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Zone {
    #[serde(rename = "zoneName")]
    pub(crate) name: String,
    #[serde(default, rename = "zoneState")]
    pub(crate) state: Option<ZoneState>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ZoneState {
    #[serde(default)]
    pub(crate) available: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyList {
    pub(crate) keypairs: Vec<KeyEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeyEntry {
    pub(crate) keypair: Key,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Key {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) fingerprint: Option<String>,
    #[serde(default)]
    pub(crate) public_key: Option<String>,
    #[serde(default)]
    pub(crate) private_key: Option<String>,
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct VolumeList {
    pub(crate) volumes: Vec<Volume>,
    #[serde(default)]
    pub(crate) volumes_links: Option<Vec<Link>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneVolume {
    pub(crate) volume: Volume,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Volume {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    pub(crate) size: u64,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) attachments: Vec<Attachment>,
    #[serde(default)]
    pub(crate) availability_zone: Option<String>,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) snapshot_id: Option<String>,
    #[serde(default)]
    pub(crate) volume_type: Option<String>,
    #[serde(default)]
    pub(crate) bootable: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Attachment {
    #[serde(default)]
    pub(crate) server_id: Option<String>,
    #[serde(default)]
    pub(crate) device: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SnapshotList {
    pub(crate) snapshots: Vec<Snapshot>,
    #[serde(default)]
    pub(crate) snapshots_links: Option<Vec<Link>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneSnapshot {
    pub(crate) snapshot: Snapshot,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) volume_id: Option<String>,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
}
