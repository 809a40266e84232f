//! EC2's parsed documents as the compute vocabulary: instances as nodes (named by their `Name` tag),
//! volumes, snapshots, key pairs and images.

use std::net::IpAddr;

use cloud_compute::{
    Image, KeyPair, Node, NodeState, Snapshot, SnapshotState, Volume, VolumeState,
};
use cloud_core::time::rfc3339;
use cloud_core::Secret;

use super::model::{self, Instance};

pub(crate) fn node_state(name: &str) -> NodeState {
    match name {
        "pending" => NodeState::Pending,
        "running" => NodeState::Running,
        "shutting-down" => NodeState::Terminating,
        "terminated" => NodeState::Terminated,
        "stopping" => NodeState::Stopping,
        "stopped" => NodeState::Stopped,
        _ => NodeState::Unknown,
    }
}

/// The nodes of a DescribeInstances page, across its reservations.
pub(crate) fn nodes_of(page: model::DescribeInstancesResponse) -> (Vec<Node>, Option<String>) {
    let nodes = page
        .reservation_set
        .item
        .into_iter()
        .flat_map(|r| r.instances_set.item)
        .map(to_node)
        .collect();
    (nodes, page.next_token.filter(|t| !t.is_empty()))
}

pub(crate) fn to_node(instance: Instance) -> Node {
    let state = instance
        .instance_state
        .as_ref()
        .map_or(NodeState::Unknown, |s| node_state(&s.name));
    let mut name = instance.instance_id.clone();
    let mut node = Node::new(instance.instance_id, "", state);
    for tag in instance.tag_set.item {
        if tag.key == "Name" {
            name = tag.value;
        } else {
            node.tags.insert(tag.key, tag.value);
        }
    }
    node.name = name;
    node.image = instance.image_id;
    node.size = instance.instance_type;
    node.key_pair = instance.key_name.filter(|k| !k.is_empty());
    node.created_at = instance.launch_time.as_deref().and_then(rfc3339);
    node.location = instance.placement.and_then(|p| p.availability_zone);
    node.private_ips = instance
        .private_ip_address
        .iter()
        .filter_map(|ip| ip.parse::<IpAddr>().ok())
        .collect();
    node.public_ips = instance
        .ip_address
        .iter()
        .filter_map(|ip| ip.parse::<IpAddr>().ok())
        .collect();
    node
}

pub(crate) fn volume_state(status: Option<&str>) -> VolumeState {
    match status {
        Some("creating") => VolumeState::Creating,
        Some("available") => VolumeState::Available,
        Some("in-use") => VolumeState::InUse,
        Some("deleting") | Some("deleted") => VolumeState::Deleting,
        Some("error") => VolumeState::Error,
        _ => VolumeState::Unknown,
    }
}

pub(crate) fn to_volume(item: model::VolumeItem) -> Volume {
    let name = item
        .tag_set
        .item
        .iter()
        .find(|t| t.key == "Name")
        .map_or_else(|| item.volume_id.clone(), |t| t.value.clone());
    let mut volume = Volume::new(item.volume_id, name, item.size.unwrap_or(0));
    volume.state = volume_state(item.status.as_deref());
    volume.location = item.availability_zone;
    volume.created_at = item.create_time.as_deref().and_then(rfc3339);
    if let Some(attachment) = item.attachment_set.item.into_iter().next() {
        volume.attached_to = attachment.instance_id;
        volume.device = attachment.device;
    }
    volume
}

pub(crate) fn to_snapshot(item: model::SnapshotItem) -> Snapshot {
    // The console shows the Name tag; snapshots made elsewhere may have only a description.
    let name = item
        .tag_set
        .item
        .into_iter()
        .find(|t| t.key == "Name")
        .map(|t| t.value)
        .or(item.description.filter(|d| !d.is_empty()))
        .unwrap_or_else(|| item.snapshot_id.clone());
    let mut snapshot = Snapshot::new(item.snapshot_id, name);
    snapshot.volume_id = item.volume_id;
    snapshot.size_gib = item.volume_size;
    snapshot.created_at = item.start_time.as_deref().and_then(rfc3339);
    snapshot.state = match item.status.as_deref() {
        Some("pending") => SnapshotState::Pending,
        Some("completed") => SnapshotState::Completed,
        Some("error") => SnapshotState::Error,
        _ => SnapshotState::Unknown,
    };
    snapshot
}

pub(crate) fn to_key_pair(item: model::KeyPairResponse) -> KeyPair {
    let mut pair = KeyPair::new(item.key_name);
    // EC2 and its emulators pad fingerprints with whitespace and newlines.
    pair.fingerprint = item
        .key_fingerprint
        .map(|f| f.trim().to_owned())
        .filter(|f| !f.is_empty());
    pair.private_key = item.key_material.map(Secret::new);
    pair
}

pub(crate) fn to_image(item: model::ImageItem) -> Image {
    let mut image = Image::new(
        &item.image_id,
        item.name.unwrap_or_else(|| item.image_id.clone()),
    );
    image.owner = item.image_owner_id.or(item.owner_id);
    image
}

#[cfg(test)]
#[path = "convert_tests.rs"]
mod tests;
