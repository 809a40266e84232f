//! Flavors, images (Glance v2 or Nova's image proxy), availability zones and key pairs.

use cloud_compute::{Image, KeyPair, Location, Size};
use cloud_core::{Error, Result, Secret};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::Method;
use serde_json::json;

use super::compute::{segment, Nova, Service};
use super::config::ImageApi;
use super::model::{
    self, CreatedImage, FlavorList, GlanceImage, GlanceImageList, Key, KeyEntry, KeyList,
    NovaImage, NovaImageList, OneNovaImage, ZoneList,
};

pub(super) fn to_size(flavor: model::Flavor) -> Size {
    let id = flavor.id.into_string();
    let mut size = Size::new(&id, flavor.name.as_deref().unwrap_or(&id));
    size.vcpus = flavor.vcpus;
    size.ram_mib = flavor.ram;
    size.disk_gib = flavor.disk;
    if let Some(ephemeral) = flavor.ephemeral.filter(|e| *e > 0) {
        size.extra
            .insert("ephemeral_gib".into(), ephemeral.to_string());
    }
    if flavor.is_public == Some(false) {
        size.extra.insert("public".into(), "false".into());
    }
    size
}

fn from_glance(image: GlanceImage) -> Image {
    let mut out = Image::new(&image.id, image.name.as_deref().unwrap_or(&image.id));
    // Public and community images are the cloud's; private and shared ones a project's.
    out.owner = image.owner;
    let texts = [
        ("status", image.status),
        ("visibility", image.visibility),
        ("os_distro", image.os_distro),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            out.extra.insert(name.into(), value);
        }
    }
    let numbers = [("min_disk_gib", image.min_disk), ("size_bytes", image.size)];
    for (name, value) in numbers {
        if let Some(value) = value {
            out.extra.insert(name.into(), value.to_string());
        }
    }
    out
}

fn from_nova(image: NovaImage) -> Image {
    let mut out = Image::new(&image.id, image.name.as_deref().unwrap_or(&image.id));
    if let Some(status) = image.status {
        out.extra.insert("status".into(), status);
    }
    let numbers = [
        ("min_disk_gib", image.min_disk),
        ("min_ram_mib", image.min_ram),
    ];
    for (name, value) in numbers {
        if let Some(value) = value {
            out.extra.insert(name.into(), value.to_string());
        }
    }
    out
}

pub(super) fn glance_page(list: GlanceImageList) -> (Vec<Image>, bool, Option<String>) {
    let last = list.images.last().map(|i| i.id.clone());
    let linked = list.next.is_some();
    (
        list.images.into_iter().map(from_glance).collect(),
        linked,
        last,
    )
}

pub(super) fn nova_images_page(list: NovaImageList) -> (Vec<Image>, bool, Option<String>) {
    let last = list.images.last().map(|i| i.id.clone());
    let linked = model::has_next(list.images_links.as_deref());
    (
        list.images.into_iter().map(from_nova).collect(),
        linked,
        last,
    )
}

pub(super) fn to_key(key: Key) -> KeyPair {
    let mut pair = KeyPair::new(key.name);
    pair.fingerprint = key.fingerprint.map(|f| f.trim().to_owned());
    pair.public_key = key.public_key.map(|k| k.trim().to_owned());
    pair.private_key = key.private_key.map(Secret::new);
    if let Some(kind) = key.kind {
        pair.extra.insert("type".into(), kind);
    }
    pair
}

/// The path of Glance's images under its catalog URL: `/v2/images`, or `/images` when the catalog
/// already names the version.
async fn glance_images(nova: &Nova) -> Result<&'static str> {
    let base = nova.inner.url(Service::Image, "").await?;
    let versioned = base
        .trim_end_matches('/')
        .split('/')
        .skip(3)
        .any(|segment| segment == "v2" || segment == "v2.0");
    Ok(if versioned { "/images" } else { "/v2/images" })
}

impl Nova {
    /// Whether images go through Glance (else Nova's proxy).
    async fn glance(&self) -> Result<bool> {
        Ok(match self.inner.image_api {
            ImageApi::Glance => true,
            ImageApi::Nova => false,
            ImageApi::Auto => self.inner.has(Service::Image).await?,
        })
    }

    pub(crate) async fn flavors(&self) -> Result<Vec<Size>> {
        let list: FlavorList = self
            .inner
            .get(Service::Compute, "ListFlavors", "/flavors/detail")
            .await?;
        Ok(list.flavors.into_iter().map(to_size).collect())
    }

    pub(crate) fn images(&self) -> BoxStream<'static, Result<Image>> {
        let nova = self.clone();
        futures_util::stream::once(async move {
            let listing = if nova.glance().await? {
                let path = glance_images(&nova).await?;
                nova.inner
                    .list(Service::Image, "ListImages", path, glance_page)
            } else {
                nova.inner.list(
                    Service::Compute,
                    "ListImages",
                    "/images/detail",
                    nova_images_page,
                )
            };
            Ok::<_, Error>(listing)
        })
        .try_flatten()
        .boxed()
    }

    pub(crate) async fn image(&self, id: &str) -> Result<Image> {
        let id_segment = segment(id, "image")?;
        let found = if self.glance().await? {
            let path = format!("{}/{id_segment}", glance_images(self).await?);
            self.inner
                .get::<GlanceImage>(Service::Image, "GetImage", &path)
                .await
                .map(from_glance)
        } else {
            let path = format!("/images/{id_segment}");
            self.inner
                .get::<OneNovaImage>(Service::Compute, "GetImage", &path)
                .await
                .map(|one| from_nova(one.image))
        };
        found.map_err(|e| e.with_resource(format!("image {id}")))
    }

    /// `createImage`: the new image's id from the answer's body (microversion 2.45 on) or its
    /// `Location` (before); an answer with neither is an error, never a made-up id.
    pub(crate) async fn image_of(&self, node_id: &str, name: &str) -> Result<Image> {
        let path = format!("/servers/{}/action", segment(node_id, "server")?);
        let url = self.inner.url(Service::Compute, &path).await?;
        let body = json!({"createImage": {"name": name}});
        let request = cloud_core::json::request(Method::POST, url, &body)?;
        let response = self
            .inner
            .api
            .http()
            .send_buffered("CreateImage", request)
            .await
            .map_err(|e| e.with_resource(format!("server {node_id}")))?;
        let location = cloud_core::headers::text(response.headers(), "location");
        let body = response.into_body().bytes().await?;
        let from_body = serde_json::from_slice::<CreatedImage>(&body)
            .ok()
            .map(|c| c.image_id);
        let from_location = location.and_then(|l| {
            let (_, id) = l.trim_end_matches('/').rsplit_once("/images/")?;
            (!id.is_empty() && !id.contains('/')).then(|| id.to_owned())
        });
        let id = from_body.or(from_location).ok_or_else(|| {
            Error::unexpected("CreateImage answered without the new image's id (neither image_id nor a Location naming /images/ID)")
        })?;
        let mut image = Image::new(id, name);
        image.owner = Some("self".into());
        Ok(image)
    }

    pub(crate) async fn remove_image(&self, id: &str) -> Result<()> {
        let id_segment = segment(id, "image")?;
        let result = if self.glance().await? {
            let path = format!("{}/{id_segment}", glance_images(self).await?);
            self.inner
                .call(Service::Image, "DeleteImage", Method::DELETE, &path, None)
                .await
        } else {
            let path = format!("/images/{id_segment}");
            self.inner
                .call(Service::Compute, "DeleteImage", Method::DELETE, &path, None)
                .await
        };
        result.map_err(|e| e.with_resource(format!("image {id}")))
    }

    /// The availability zones (`os-availability-zone`), those unavailable marked in `extra`.
    pub(crate) async fn zones(&self) -> Result<Vec<Location>> {
        let list: ZoneList = self
            .inner
            .get(
                Service::Compute,
                "ListAvailabilityZones",
                "/os-availability-zone",
            )
            .await?;
        Ok(list
            .zones
            .into_iter()
            .map(|zone| {
                let mut location = Location::new(&zone.name, &zone.name);
                let available = zone.state.is_some_and(|s| s.available);
                location
                    .extra
                    .insert("available".into(), available.to_string());
                location
            })
            .collect())
    }

    pub(crate) async fn keys(&self) -> Result<Vec<KeyPair>> {
        let list: KeyList = self
            .inner
            .get(Service::Compute, "ListKeypairs", "/os-keypairs")
            .await?;
        Ok(list
            .keypairs
            .into_iter()
            .map(|e| to_key(e.keypair))
            .collect())
    }

    /// Registers `public_key` under `name`, or has Nova make a pair (its private key returned this
    /// once). Not repeated once it may have reached Nova: a second try could lose the private key.
    pub(crate) async fn new_key(&self, name: &str, public_key: Option<&str>) -> Result<KeyPair> {
        if name.is_empty() || name.len() > 255 {
            return Err(Error::invalid_input(format!(
                "a Nova key pair name has 1 to 255 characters: {name:?}"
            )));
        }
        let mut keypair = json!({"name": name});
        if let Some(key) = public_key {
            keypair["public_key"] = json!(key.trim());
        }
        let created: KeyEntry = self
            .inner
            .send(
                Service::Compute,
                "CreateKeypair",
                Method::POST,
                "/os-keypairs",
                &json!({ "keypair": keypair }),
            )
            .await
            .map_err(|e| e.with_resource(format!("key pair {name}")))?;
        Ok(to_key(created.keypair))
    }

    pub(crate) async fn delete_key(&self, name: &str) -> Result<()> {
        let path = format!("/os-keypairs/{}", segment(name, "key pair")?);
        self.inner
            .call(
                Service::Compute,
                "DeleteKeypair",
                Method::DELETE,
                &path,
                None,
            )
            .await
            .map_err(|e| e.with_resource(format!("key pair {name}")))
    }
}
