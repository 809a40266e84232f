//! Cinder volumes and snapshots, attached through Nova (`os-volume_attachments`). Attaching and
//! detaching return once Cinder reports the volume `in-use` or `available` again.

use cloud_compute::{CreateVolume, Snapshot, SnapshotState, Volume, VolumeState};
use cloud_core::{poll_until, Error, Result};
use futures_util::TryStreamExt;
use http::Method;
use serde_json::{json, Value};

use super::compute::{segment, Nova, Service};
use super::model::{self, OneSnapshot, OneVolume, SnapshotList, VolumeList};

fn volume_state(status: &str) -> VolumeState {
    match status {
        "creating" | "downloading" | "restoring-backup" => VolumeState::Creating,
        "available" => VolumeState::Available,
        "in-use" | "attaching" | "detaching" | "reserved" => VolumeState::InUse,
        "deleting" => VolumeState::Deleting,
        "error" | "error_deleting" | "error_restoring" | "error_extending" => VolumeState::Error,
        _ => VolumeState::Unknown,
    }
}

fn snapshot_state(status: &str) -> SnapshotState {
    match status {
        "creating" => SnapshotState::Pending,
        "available" => SnapshotState::Completed,
        "error" | "error_deleting" => SnapshotState::Error,
        _ => SnapshotState::Unknown,
    }
}

fn to_volume(volume: model::Volume) -> Volume {
    let mut out = Volume::new(
        &volume.id,
        volume.name.as_deref().unwrap_or(&volume.id),
        volume.size,
    );
    out.state = volume_state(&volume.status);
    if let Some(attachment) = volume.attachments.into_iter().next() {
        out.attached_to = attachment.server_id;
        out.device = attachment.device;
    }
    out.location = volume.availability_zone;
    out.created_at = volume
        .created_at
        .as_deref()
        .and_then(cloud_core::time::rfc3339);
    out.extra.insert("status".into(), volume.status);
    let texts = [
        ("snapshot_id", volume.snapshot_id),
        ("volume_type", volume.volume_type),
        ("bootable", volume.bootable),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            out.extra.insert(name.into(), value);
        }
    }
    out
}

fn to_snapshot(snapshot: model::Snapshot) -> Snapshot {
    let mut out = Snapshot::new(
        &snapshot.id,
        snapshot.name.as_deref().unwrap_or(&snapshot.id),
    );
    out.volume_id = snapshot.volume_id;
    out.size_gib = snapshot.size;
    out.state = snapshot_state(&snapshot.status);
    out.created_at = snapshot
        .created_at
        .as_deref()
        .and_then(cloud_core::time::rfc3339);
    out.extra.insert("status".into(), snapshot.status);
    out
}

pub(super) fn volumes_page(list: VolumeList) -> (Vec<Volume>, bool, Option<String>) {
    let linked = model::has_next(list.volumes_links.as_deref());
    let last = list.volumes.last().map(|v| v.id.clone());
    (
        list.volumes.into_iter().map(to_volume).collect(),
        linked,
        last,
    )
}

pub(super) fn snapshots_page(list: SnapshotList) -> (Vec<Snapshot>, bool, Option<String>) {
    let linked = model::has_next(list.snapshots_links.as_deref());
    let last = list.snapshots.last().map(|s| s.id.clone());
    (
        list.snapshots.into_iter().map(to_snapshot).collect(),
        linked,
        last,
    )
}

impl Nova {
    pub(crate) async fn volumes(&self) -> Result<Vec<Volume>> {
        self.inner
            .list(
                Service::Volume,
                "ListVolumes",
                "/volumes/detail",
                volumes_page,
            )
            .try_collect()
            .await
    }

    async fn volume(&self, id: &str) -> Result<Volume> {
        let path = format!("/volumes/{}", segment(id, "volume")?);
        let one: OneVolume = self
            .inner
            .get(Service::Volume, "GetVolume", &path)
            .await
            .map_err(|e| e.with_resource(format!("volume {id}")))?;
        Ok(to_volume(one.volume))
    }

    pub(crate) async fn new_volume(&self, request: &CreateVolume) -> Result<Volume> {
        let mut volume = json!({"size": request.size_gib, "name": request.name});
        if let Some(zone) = request.location.as_ref().or(self.inner.zone.as_ref()) {
            volume["availability_zone"] = json!(zone);
        }
        if let Some(snapshot) = &request.snapshot {
            volume["snapshot_id"] = json!(snapshot);
        }
        let created: OneVolume = self
            .inner
            .send(
                Service::Volume,
                "CreateVolume",
                Method::POST,
                "/volumes",
                &json!({ "volume": volume }),
            )
            .await?;
        Ok(to_volume(created.volume))
    }

    /// Waits until the volume is in `state` (or has failed).
    async fn settle(&self, id: &str, state: cloud_compute::VolumeState) -> Result<()> {
        let settled = poll_until(
            &self.inner.poll,
            || self.volume(id),
            |v| v.state == state || v.state == VolumeState::Error,
        )
        .await?;
        if settled.state == VolumeState::Error {
            return Err(Error::unexpected(format!(
                "volume {id} went into the error state"
            )));
        }
        Ok(())
    }

    pub(crate) async fn attach(
        &self,
        volume_id: &str,
        node_id: &str,
        device: Option<&str>,
    ) -> Result<()> {
        let mut attachment = json!({"volumeId": volume_id});
        if let Some(device) = device {
            attachment["device"] = json!(device);
        }
        let path = format!(
            "/servers/{}/os-volume_attachments",
            segment(node_id, "server")?
        );
        self.inner
            .send::<Value>(
                Service::Compute,
                "AttachVolume",
                Method::POST,
                &path,
                &json!({ "volumeAttachment": attachment }),
            )
            .await
            .map_err(|e| e.with_resource(format!("volume {volume_id}")))?;
        self.settle(volume_id, VolumeState::InUse).await
    }

    pub(crate) async fn detach(&self, volume_id: &str) -> Result<()> {
        let volume = self.volume(volume_id).await?;
        let Some(server) = volume.attached_to else {
            return Err(Error::invalid_input(format!(
                "volume {volume_id} is not attached"
            )));
        };
        let path = format!(
            "/servers/{}/os-volume_attachments/{}",
            segment(&server, "server")?,
            segment(volume_id, "volume")?
        );
        self.inner
            .call(
                Service::Compute,
                "DetachVolume",
                Method::DELETE,
                &path,
                None,
            )
            .await
            .map_err(|e| e.with_resource(format!("volume {volume_id}")))?;
        self.settle(volume_id, VolumeState::Available).await
    }

    pub(crate) async fn remove_volume(&self, id: &str) -> Result<()> {
        let path = format!("/volumes/{}", segment(id, "volume")?);
        self.inner
            .call(Service::Volume, "DeleteVolume", Method::DELETE, &path, None)
            .await
            .map_err(|e| e.with_resource(format!("volume {id}")))
    }

    pub(crate) async fn snapshots(&self) -> Result<Vec<Snapshot>> {
        self.inner
            .list(
                Service::Volume,
                "ListSnapshots",
                "/snapshots/detail",
                snapshots_page,
            )
            .try_collect()
            .await
    }

    pub(crate) async fn snapshot_volume(&self, volume_id: &str, name: &str) -> Result<Snapshot> {
        let snapshot = json!({"volume_id": volume_id, "name": name});
        let created: OneSnapshot = self
            .inner
            .send(
                Service::Volume,
                "CreateSnapshot",
                Method::POST,
                "/snapshots",
                &json!({ "snapshot": snapshot }),
            )
            .await
            .map_err(|e| e.with_resource(format!("volume {volume_id}")))?;
        Ok(to_snapshot(created.snapshot))
    }

    pub(crate) async fn remove_snapshot(&self, id: &str) -> Result<()> {
        let path = format!("/snapshots/{}", segment(id, "snapshot")?);
        self.inner
            .call(
                Service::Volume,
                "DeleteSnapshot",
                Method::DELETE,
                &path,
                None,
            )
            .await
            .map_err(|e| e.with_resource(format!("snapshot {id}")))
    }
}
