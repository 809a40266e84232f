//! EC2's XML documents, as they travel (elements in camelCase; lists as `<item>`s). Parsed by local
//! name, so moto's namespace without its trailing slash reads the same.

use serde::Deserialize;

/// A list of `<item>`s.
#[derive(Debug, Deserialize)]
pub(crate) struct Items<T> {
    #[serde(rename = "item", default = "Vec::new")]
    pub(crate) item: Vec<T>,
}

impl<T> Default for Items<T> {
    fn default() -> Items<T> {
        Items { item: Vec::new() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeInstancesResponse {
    #[serde(default)]
    pub(crate) reservation_set: Items<Reservation>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Reservation {
    #[serde(default)]
    pub(crate) instances_set: Items<Instance>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunInstancesResponse {
    #[serde(default)]
    pub(crate) instances_set: Items<Instance>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Instance {
    pub(crate) instance_id: String,
    pub(crate) image_id: Option<String>,
    pub(crate) instance_state: Option<InstanceState>,
    pub(crate) instance_type: Option<String>,
    pub(crate) key_name: Option<String>,
    pub(crate) launch_time: Option<String>,
    pub(crate) placement: Option<Placement>,
    pub(crate) private_ip_address: Option<String>,
    pub(crate) ip_address: Option<String>,
    #[serde(default)]
    pub(crate) tag_set: Items<Tag>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct InstanceState {
    pub(crate) name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Placement {
    pub(crate) availability_zone: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Tag {
    pub(crate) key: String,
    #[serde(default)]
    pub(crate) value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeInstanceTypesResponse {
    #[serde(default)]
    pub(crate) instance_type_set: Items<InstanceType>,
    pub(crate) next_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InstanceType {
    pub(crate) instance_type: String,
    pub(crate) v_cpu_info: Option<VCpuInfo>,
    pub(crate) memory_info: Option<MemoryInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VCpuInfo {
    pub(crate) default_v_cpus: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MemoryInfo {
    pub(crate) size_in_mi_b: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeImagesResponse {
    #[serde(default)]
    pub(crate) images_set: Items<ImageItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageItem {
    pub(crate) image_id: String,
    pub(crate) name: Option<String>,
    pub(crate) image_owner_id: Option<String>,
    pub(crate) owner_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageIdResponse {
    pub(crate) image_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeAvailabilityZonesResponse {
    #[serde(default)]
    pub(crate) availability_zone_info: Items<Zone>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Zone {
    pub(crate) zone_name: String,
    pub(crate) region_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct KeyPairResponse {
    pub(crate) key_name: String,
    pub(crate) key_fingerprint: Option<String>,
    pub(crate) key_material: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeKeyPairsResponse {
    #[serde(default)]
    pub(crate) key_set: Items<KeyPairResponse>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VolumeItem {
    pub(crate) volume_id: String,
    pub(crate) size: Option<u64>,
    pub(crate) status: Option<String>,
    pub(crate) availability_zone: Option<String>,
    pub(crate) create_time: Option<String>,
    #[serde(default)]
    pub(crate) attachment_set: Items<Attachment>,
    #[serde(default)]
    pub(crate) tag_set: Items<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Attachment {
    pub(crate) instance_id: Option<String>,
    pub(crate) device: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeVolumesResponse {
    #[serde(default)]
    pub(crate) volume_set: Items<VolumeItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SnapshotItem {
    pub(crate) snapshot_id: String,
    pub(crate) volume_id: Option<String>,
    pub(crate) status: Option<String>,
    pub(crate) volume_size: Option<u64>,
    pub(crate) description: Option<String>,
    pub(crate) start_time: Option<String>,
    #[serde(default)]
    pub(crate) tag_set: Items<Tag>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DescribeSnapshotsResponse {
    #[serde(default)]
    pub(crate) snapshot_set: Items<SnapshotItem>,
}

/// Reads an EC2 document (its root was checked when it arrived, see `Ec2Inner::call`).
pub(crate) fn parse<'de, T: Deserialize<'de>>(what: &str, xml: &'de str) -> cloud_core::Result<T> {
    quick_xml::de::from_str(xml).map_err(|e| {
        cloud_core::Error::unexpected(format!("EC2 sent a {what} that could not be read"))
            .with_source(e)
    })
}
