//! Block storage volumes, attached and detached by actions, and their snapshots.

use cloud_compute::{CreateVolume, Snapshot, SnapshotState, Volume, VolumeState};
use cloud_core::time::rfc3339;
use cloud_core::{Error, Result};
use http::Method;
use serde_json::json;

use super::compute::{droplet_id, Droplets};
use super::model::{self, OneAction, OneSnapshot, OneVolume, SnapshotList, VolumeList};
use futures_util::TryStreamExt;

pub(super) fn to_volume(volume: model::Volume) -> Volume {
    let mut out = Volume::new(
        volume.id.into_string(),
        volume.name,
        volume.size_gigabytes.unwrap_or(0),
    );
    out.location = volume.region.map(|r| r.slug);
    out.created_at = volume.created_at.as_deref().and_then(rfc3339);
    // The API reports no state: a volume is in use while a droplet holds it.
    out.attached_to = volume
        .droplet_ids
        .into_iter()
        .flatten()
        .next()
        .map(String::from);
    out.state = if out.attached_to.is_some() {
        VolumeState::InUse
    } else {
        VolumeState::Available
    };
    for (name, value) in [
        ("description", volume.description),
        ("filesystem_type", volume.filesystem_type),
    ] {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.extra.insert(name.into(), value);
        }
    }
    out
}

pub(super) fn to_snapshot(snapshot: model::Snapshot) -> Snapshot {
    let mut out = Snapshot::new(snapshot.id.into_string(), snapshot.name);
    out.volume_id = snapshot.resource_id.map(String::from);
    out.size_gib = snapshot.min_disk_size;
    out.created_at = snapshot.created_at.as_deref().and_then(rfc3339);
    // The API answers a snapshot request once the snapshot is taken.
    out.state = SnapshotState::Completed;
    if let Some(regions) = snapshot.regions {
        out.extra.insert("regions".into(), regions.join(","));
    }
    out
}

/// DigitalOcean's volume name rule: lowercase letters, digits and `-`, starting with a letter, at most
/// 64 characters.
fn check_volume_name(name: &str) -> Result<()> {
    let valid = name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "DigitalOcean volume names are lowercase letters, digits and '-', starting with a letter, at most 64: {name:?}"
        )))
    }
}

fn volume_path(id: &str) -> String {
    format!("/v2/volumes/{}", cloud_core::request::encode_value(id))
}

impl Droplets {
    pub(crate) async fn volumes(&self) -> Result<Vec<Volume>> {
        self.inner
            .list::<VolumeList>("ListVolumes", "/v2/volumes")
            .map_ok(to_volume)
            .try_collect()
            .await
    }

    async fn volume(&self, id: &str) -> Result<Volume> {
        let answer: OneVolume = self
            .inner
            .get("GetVolume", &volume_path(id))
            .await
            .map_err(|e| e.with_resource(format!("volume {id}")))?;
        Ok(to_volume(answer.volume))
    }

    pub(crate) async fn new_volume(&self, request: &CreateVolume) -> Result<Volume> {
        check_volume_name(&request.name)?;
        let mut body = json!({"name": request.name, "size_gigabytes": request.size_gib});
        match request.location.as_ref().or(self.inner.region.as_ref()) {
            Some(region) => body["region"] = json!(region),
            // From a snapshot, the volume goes where the snapshot is.
            None if request.snapshot.is_some() => {}
            None => {
                return Err(Error::invalid_input(
                    "a DigitalOcean volume needs a region: name a location, or set one on the builder (DIGITALOCEAN_REGION)",
                ))
            }
        }
        if let Some(snapshot) = &request.snapshot {
            body["snapshot_id"] = json!(snapshot);
        }
        let answer: OneVolume = self
            .inner
            .send_json("CreateVolume", Method::POST, "/v2/volumes", &body)
            .await
            .map_err(|e| e.with_resource(format!("volume {}", request.name)))?;
        Ok(to_volume(answer.volume))
    }

    /// Runs an attach or detach action on a volume and waits for it.
    async fn volume_action(&self, kind: &str, volume: &Volume, node_id: &str) -> Result<()> {
        let mut body = json!({"type": kind, "droplet_id": droplet_id(node_id)?});
        if let Some(region) = &volume.location {
            body["region"] = json!(region);
        }
        let path = format!("{}/actions", volume_path(&volume.id));
        let answer: OneAction = self
            .inner
            .send_json("VolumeAction", Method::POST, &path, &body)
            .await
            .map_err(|e| e.with_resource(format!("volume {}", volume.id)))?;
        self.inner.wait_for(answer.action).await.map(drop)
    }

    pub(crate) async fn attach(&self, volume_id: &str, node_id: &str) -> Result<()> {
        let volume = self.volume(volume_id).await?;
        self.volume_action("attach", &volume, node_id).await
    }

    pub(crate) async fn detach(&self, volume_id: &str) -> Result<()> {
        let volume = self.volume(volume_id).await?;
        let Some(node) = volume.attached_to.clone() else {
            return Err(Error::invalid_input(format!(
                "volume {volume_id} is not attached to a droplet"
            )));
        };
        self.volume_action("detach", &volume, &node).await
    }

    pub(crate) async fn remove_volume(&self, id: &str) -> Result<()> {
        self.inner
            .delete("DeleteVolume", &volume_path(id))
            .await
            .map_err(|e| e.with_resource(format!("volume {id}")))
    }

    pub(crate) async fn snapshots(&self) -> Result<Vec<Snapshot>> {
        self.inner
            .list::<SnapshotList>("ListSnapshots", "/v2/snapshots?resource_type=volume")
            .map_ok(to_snapshot)
            .try_collect()
            .await
    }

    pub(crate) async fn snapshot_volume(&self, volume_id: &str, name: &str) -> Result<Snapshot> {
        let path = format!("{}/snapshots", volume_path(volume_id));
        let answer: OneSnapshot = self
            .inner
            .send_json(
                "CreateVolumeSnapshot",
                Method::POST,
                &path,
                &json!({"name": name}),
            )
            .await
            .map_err(|e| e.with_resource(format!("volume {volume_id}")))?;
        let mut snapshot = to_snapshot(answer.snapshot);
        snapshot
            .volume_id
            .get_or_insert_with(|| volume_id.to_owned());
        Ok(snapshot)
    }

    pub(crate) async fn remove_snapshot(&self, id: &str) -> Result<()> {
        let path = format!("/v2/snapshots/{}", cloud_core::request::encode_value(id));
        self.inner
            .delete("DeleteSnapshot", &path)
            .await
            .map_err(|e| e.with_resource(format!("snapshot {id}")))
    }
}
