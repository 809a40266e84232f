//! Sizes, images, regions and SSH keys.

use cloud_compute::{Image, KeyPair, Location, Size};
use cloud_core::{Error, ErrorKind, Result};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::Method;
use serde_json::json;

use super::compute::{droplet_id, Droplets};
use super::model::{
    self, ImageList, KeyList, OneImage, OneKey, RegionList, SizeList, SnapshotList,
};

pub(super) fn to_size(size: model::Size) -> Size {
    let mut out = Size::new(
        &size.slug,
        size.description.as_deref().unwrap_or(&size.slug),
    );
    out.vcpus = size.vcpus;
    out.ram_mib = size.memory;
    out.disk_gib = size.disk;
    out.price_per_hour = size.price_hourly;
    if let Some(monthly) = size.price_monthly {
        out.extra
            .insert("price_monthly".into(), monthly.to_string());
    }
    if let Some(transfer) = size.transfer {
        out.extra
            .insert("transfer_tib".into(), transfer.to_string());
    }
    if let Some(regions) = size.regions {
        out.extra.insert("regions".into(), regions.join(","));
    }
    if size.available == Some(false) {
        out.extra.insert("available".into(), "false".into());
    }
    out
}

pub(super) fn to_image(image: model::Image) -> Image {
    let name = match (image.distribution, image.name) {
        (Some(distribution), Some(name)) => format!("{distribution} {name}"),
        (None, Some(name)) => name,
        (Some(distribution), None) => distribution,
        (None, None) => image.id.to_string(),
    };
    let mut out = Image::new(image.id.into_string(), name);
    // Public images are DigitalOcean's; the rest (snapshots, backups, custom images) the account's.
    out.owner = Some(
        if image.public == Some(true) {
            "digitalocean"
        } else {
            "self"
        }
        .into(),
    );
    let texts = [
        ("slug", image.slug),
        ("type", image.kind),
        ("status", image.status),
        ("created_at", image.created_at),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            out.extra.insert(name.into(), value);
        }
    }
    if let Some(regions) = image.regions {
        out.extra.insert("regions".into(), regions.join(","));
    }
    if let Some(min) = image.min_disk_size {
        out.extra.insert("min_disk_gib".into(), min.to_string());
    }
    out
}

pub(super) fn to_key(key: model::SshKey) -> KeyPair {
    let mut pair = KeyPair::new(key.name);
    pair.fingerprint = key.fingerprint;
    pair.public_key = key.public_key;
    pair.extra.insert("id".into(), key.id.into_string());
    pair
}

/// The images of one kind: `distribution`, `application`, or the account's own (`private`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageKind {
    /// Operating system images (`type=distribution`).
    Distribution,
    /// One-click application images (`type=application`).
    Application,
    /// The account's snapshots, backups and custom images (`private=true`).
    Private,
}

impl Droplets {
    pub(crate) async fn sizes(&self) -> Result<Vec<Size>> {
        self.inner
            .list::<SizeList>("ListSizes", "/v2/sizes")
            .map_ok(to_size)
            .try_collect()
            .await
    }

    pub(crate) fn images(&self, kind: Option<ImageKind>) -> BoxStream<'static, Result<Image>> {
        let path = match kind {
            None => "/v2/images",
            Some(ImageKind::Distribution) => "/v2/images?type=distribution",
            Some(ImageKind::Application) => "/v2/images?type=application",
            Some(ImageKind::Private) => "/v2/images?private=true",
        };
        self.inner
            .list::<ImageList>("ListImages", path)
            .map_ok(to_image)
            .boxed()
    }

    /// The images of one kind, lazily.
    pub fn list_images_of(&self, kind: ImageKind) -> BoxStream<'static, Result<Image>> {
        self.images(Some(kind))
    }

    /// An image by id or slug (`ubuntu-24-04-x64`).
    pub(crate) async fn image(&self, id: &str) -> Result<Image> {
        let path = format!("/v2/images/{}", cloud_core::request::encode_value(id));
        let answer: OneImage = self
            .inner
            .get("GetImage", &path)
            .await
            .map_err(|e| e.with_resource(format!("image {id}")))?;
        Ok(to_image(answer.image))
    }

    pub(crate) async fn remove_image(&self, id: &str) -> Result<()> {
        let number: u64 = id.parse().map_err(|_| {
            Error::invalid_input(format!(
                "only the account's images, by number, can be deleted: {id}"
            ))
        })?;
        self.inner
            .delete("DeleteImage", &format!("/v2/images/{number}"))
            .await
            .map_err(|e| e.with_resource(format!("image {id}")))
    }

    /// Makes an image of a droplet (a `snapshot` action), waits until it is done, and finds it
    /// among the droplet's snapshots by name.
    pub(crate) async fn snapshot_droplet(&self, node_id: &str, name: &str) -> Result<Image> {
        let action = self
            .inner
            .droplet_action(node_id, json!({"type": "snapshot", "name": name}))
            .await?;
        self.inner.wait_for(action).await?;
        let path = format!("/v2/droplets/{}/snapshots", droplet_id(node_id)?);
        let mut snapshots = self
            .inner
            .list::<SnapshotList>("ListDropletSnapshots", &path);
        let mut found = None;
        while let Some(snapshot) = snapshots.try_next().await? {
            if snapshot.name == name {
                found = Some(snapshot);
            }
        }
        let snapshot = found.ok_or_else(|| {
            Error::unexpected(format!(
                "the snapshot action finished, but droplet {node_id} lists no snapshot named {name:?}"
            ))
        })?;
        self.image(snapshot.id.as_str()).await
    }

    /// Makes an image available in another region too (a `transfer` action); it keeps its id.
    pub async fn transfer_image(&self, id: &str, region: &str) -> Result<()> {
        let number: u64 = id.parse().map_err(|_| {
            Error::invalid_input(format!(
                "only the account's images can be transferred: {id}"
            ))
        })?;
        let path = format!("/v2/images/{number}/actions");
        let body = json!({"type": "transfer", "region": region});
        let answer: model::OneAction = self
            .inner
            .send_json("TransferImage", Method::POST, &path, &body)
            .await?;
        self.inner.wait_for(answer.action).await.map(drop)
    }

    pub(crate) async fn regions(&self) -> Result<Vec<Location>> {
        self.inner
            .list::<RegionList>("ListRegions", "/v2/regions")
            .map_ok(|region| {
                let mut location =
                    Location::new(&region.slug, region.name.as_deref().unwrap_or(&region.slug));
                if region.available == Some(false) {
                    location.extra.insert("available".into(), "false".into());
                }
                if let Some(features) = region.features {
                    location.extra.insert("features".into(), features.join(","));
                }
                location
            })
            .try_collect()
            .await
    }

    pub(crate) async fn keys(&self) -> Result<Vec<KeyPair>> {
        self.inner
            .list::<KeyList>("ListSshKeys", "/v2/account/keys")
            .map_ok(to_key)
            .try_collect()
            .await
    }

    /// How a create request names a key: by its id, found by name.
    pub(crate) async fn key_ref(&self, name: &str) -> Result<serde_json::Value> {
        let key = cloud_compute::ComputeDriver::get_key_pair(self, name).await?;
        let id = key.extra.get("id").and_then(|id| id.parse::<u64>().ok());
        match (id, key.fingerprint) {
            (Some(id), _) => Ok(json!(id)),
            (None, Some(fingerprint)) => Ok(json!(fingerprint)),
            (None, None) => Err(Error::unexpected(format!(
                "the key {name} is listed without an id or a fingerprint"
            ))),
        }
    }

    pub(crate) async fn import_key(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        cloud_compute::check_public_key(public_key)?;
        // Names are how this API's callers know keys; DigitalOcean itself refuses only a second
        // copy of the same material.
        if self.keys().await?.iter().any(|k| k.name == name) {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("key pair {name} exists"),
            ));
        }
        let body = json!({"name": name, "public_key": public_key.trim()});
        let answer: OneKey = self
            .inner
            .send_json("CreateSshKey", Method::POST, "/v2/account/keys", &body)
            .await
            .map_err(|e| e.with_resource(format!("key pair {name}")))?;
        Ok(to_key(answer.ssh_key))
    }

    pub(crate) async fn delete_key(&self, name: &str) -> Result<()> {
        let key = cloud_compute::ComputeDriver::get_key_pair(self, name).await?;
        let id = key
            .extra
            .get("id")
            .ok_or_else(|| Error::unexpected(format!("the key {name} is listed without an id")))?;
        self.inner
            .delete(
                "DeleteSshKey",
                &format!("/v2/account/keys/{}", cloud_core::request::encode_value(id)),
            )
            .await
            .map_err(|e| e.with_resource(format!("key pair {name}")))
    }
}
