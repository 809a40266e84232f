//! The API's JSON, as documented in DigitalOcean's OpenAPI description. Listing fields are required:
//! an answer without them is refused, not read as an empty page.

use cloud_core::json::Id;
use serde::Deserialize;

/// `links.pages` of a listing page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Links {
    #[serde(default)]
    pub(crate) pages: Option<Pages>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Pages {
    #[serde(default)]
    pub(crate) next: Option<String>,
}

/// `meta` of a listing page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Meta {
    #[serde(default)]
    pub(crate) total: Option<u64>,
}

/// One page of a listing: its items, whether the API says another page follows, and the total.
pub(crate) trait Listing: for<'de> Deserialize<'de> + Send + 'static {
    type Item: Send + 'static;
    fn into_parts(self) -> (Vec<Self::Item>, bool, Option<u64>);
}

macro_rules! listing {
    ($name:ident, $field:ident, $item:ty) => {
        #[derive(Debug, Deserialize)]
        pub(crate) struct $name {
            pub(crate) $field: Vec<$item>,
            #[serde(default)]
            links: Option<Links>,
            #[serde(default)]
            meta: Option<Meta>,
        }

        impl Listing for $name {
            type Item = $item;
            fn into_parts(self) -> (Vec<$item>, bool, Option<u64>) {
                let next = self
                    .links
                    .and_then(|l| l.pages)
                    .is_some_and(|p| p.next.is_some());
                (self.$field, next, self.meta.and_then(|m| m.total))
            }
        }
    };
}

listing!(DropletList, droplets, Droplet);
listing!(SizeList, sizes, Size);
listing!(ImageList, images, Image);
listing!(RegionList, regions, Region);
listing!(KeyList, ssh_keys, SshKey);
listing!(VolumeList, volumes, Volume);
listing!(SnapshotList, snapshots, Snapshot);

#[derive(Debug, Deserialize)]
pub(crate) struct Droplet {
    pub(crate) id: Id,
    pub(crate) name: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) memory: Option<u64>,
    #[serde(default)]
    pub(crate) vcpus: Option<u32>,
    #[serde(default)]
    pub(crate) disk: Option<u64>,
    #[serde(default)]
    pub(crate) locked: Option<bool>,
    #[serde(default)]
    pub(crate) image: Option<DropletImage>,
    #[serde(default)]
    pub(crate) size_slug: Option<String>,
    #[serde(default)]
    pub(crate) region: Option<RegionRef>,
    #[serde(default)]
    pub(crate) networks: Option<Networks>,
    #[serde(default)]
    pub(crate) tags: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) volume_ids: Option<Vec<Id>>,
    #[serde(default)]
    pub(crate) vpc_uuid: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DropletImage {
    #[serde(default)]
    pub(crate) id: Option<Id>,
    #[serde(default)]
    pub(crate) slug: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) distribution: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RegionRef {
    pub(crate) slug: String,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Networks {
    #[serde(default)]
    pub(crate) v4: Option<Vec<Address>>,
    #[serde(default)]
    pub(crate) v6: Option<Vec<Address>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Address {
    pub(crate) ip_address: String,
    #[serde(rename = "type")]
    pub(crate) kind: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneDroplet {
    pub(crate) droplet: Droplet,
}

/// The answer to a create: `droplet` for one name, `droplets` for several.
#[derive(Debug, Deserialize)]
pub(crate) struct Created {
    #[serde(default)]
    pub(crate) droplet: Option<Droplet>,
    #[serde(default)]
    pub(crate) droplets: Option<Vec<Droplet>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Action {
    pub(crate) id: Id,
    pub(crate) status: String,
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneAction {
    pub(crate) action: Action,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Size {
    pub(crate) slug: String,
    #[serde(default)]
    pub(crate) memory: Option<u64>,
    #[serde(default)]
    pub(crate) vcpus: Option<u32>,
    #[serde(default)]
    pub(crate) disk: Option<u64>,
    #[serde(default)]
    pub(crate) transfer: Option<f64>,
    #[serde(default)]
    pub(crate) price_monthly: Option<f64>,
    #[serde(default)]
    pub(crate) price_hourly: Option<f64>,
    #[serde(default)]
    pub(crate) regions: Option<Vec<String>>,
    #[serde(default)]
    pub(crate) available: Option<bool>,
    #[serde(default)]
    pub(crate) description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Image {
    pub(crate) id: Id,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) distribution: Option<String>,
    #[serde(default)]
    pub(crate) slug: Option<String>,
    #[serde(default)]
    pub(crate) public: Option<bool>,
    #[serde(default)]
    pub(crate) regions: Option<Vec<String>>,
    #[serde(rename = "type", default)]
    pub(crate) kind: Option<String>,
    #[serde(default)]
    pub(crate) min_disk_size: Option<u64>,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneImage {
    pub(crate) image: Image,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Region {
    pub(crate) slug: String,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default)]
    pub(crate) available: Option<bool>,
    #[serde(default)]
    pub(crate) features: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SshKey {
    pub(crate) id: Id,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) fingerprint: Option<String>,
    #[serde(default)]
    pub(crate) public_key: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneKey {
    pub(crate) ssh_key: SshKey,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Volume {
    pub(crate) id: Id,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) size_gigabytes: Option<u64>,
    #[serde(default)]
    pub(crate) region: Option<RegionRef>,
    #[serde(default)]
    pub(crate) droplet_ids: Option<Vec<Id>>,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) description: Option<String>,
    #[serde(default)]
    pub(crate) filesystem_type: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneVolume {
    pub(crate) volume: Volume,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Snapshot {
    pub(crate) id: Id,
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) resource_id: Option<Id>,
    #[serde(default)]
    pub(crate) min_disk_size: Option<u64>,
    #[serde(default)]
    pub(crate) regions: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OneSnapshot {
    pub(crate) snapshot: Snapshot,
}

/// An error answer: `{"id": "not_found", "message": "…", "request_id": "…"}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) request_id: Option<String>,
}
