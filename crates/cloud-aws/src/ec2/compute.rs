//! The EC2 [`ComputeDriver`], over the EC2 Query API.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use cloud_compute::{
    Capabilities, ComputeDriver, CreateNode, CreateVolume, Image, KeyPair, Location, Node, Size,
    Snapshot, Volume,
};
use cloud_core::{paginate, Body, Error, ErrorKind, HttpService, Operation, Page, Result};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::Method;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use super::convert::{nodes_of, to_image, to_key_pair, to_node, to_snapshot, to_volume};
use super::model;

const VERSION: &str = "2016-11-15";
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Ids per DescribeInstances filter or per TerminateInstances call.
const IDS_PER_CALL: usize = 200;
/// DescribeInstances calls one `list_nodes_by_id` keeps in flight.
const CHUNKS_AT_ONCE: usize = 8;

/// Compute on Amazon EC2 (or an EC2-compatible endpoint such as moto). Cheap to clone.
///
/// Built with [`Ec2Builder`](super::Ec2Builder).
#[derive(Clone, Debug)]
pub struct Ec2 {
    inner: Arc<Ec2Inner>,
}

#[derive(Debug)]
pub(crate) struct Ec2Inner {
    pub(crate) http: HttpService,
    pub(crate) endpoint: cloud_core::endpoint::Endpoint,
    pub(crate) region: String,
}

impl Ec2 {
    /// Sets the `Name` tag of each node but the first (launched with its name) to its name, a few
    /// calls at a time.
    async fn name_each(&self, nodes: &[Node]) -> Result<()> {
        let calls: Vec<Params> = nodes
            .iter()
            .skip(1)
            .map(|node| {
                Params::new()
                    .add("ResourceId.1", &node.id)
                    .add("Tag.1.Key", "Name")
                    .add("Tag.1.Value", &node.name)
            })
            .collect();
        futures_util::stream::iter(calls)
            .map(|params| {
                let inner = self.inner.clone();
                async move { inner.call("CreateTags", params).await }
            })
            .buffer_unordered(CHUNKS_AT_ONCE)
            .try_for_each(|_| async { Ok(()) })
            .await
    }

    pub(crate) fn from_inner(inner: Ec2Inner) -> Ec2 {
        Ec2 {
            inner: Arc::new(inner),
        }
    }

    /// The nodes among `ids` (at most [`IDS_PER_CALL`]), following NextToken to the end.
    async fn describe_ids(&self, ids: &[String]) -> Result<Vec<Node>> {
        let mut nodes = Vec::new();
        let mut token = None;
        loop {
            let params = Params::new()
                .add("Filter.1.Name", "instance-id")
                .list("Filter.1.Value", ids)
                .maybe("NextToken", token.as_deref());
            let (page, next) = self.inner.describe_instances(params).await?;
            nodes.extend(page);
            match next {
                Some(next) => token = Some(next),
                None => return Ok(nodes),
            }
        }
    }
}

/// The parameters of one Query API call.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn new() -> Params {
        Params::default()
    }

    fn add(mut self, name: impl Into<String>, value: impl Into<String>) -> Params {
        self.0.push((name.into(), value.into()));
        self
    }

    fn maybe(self, name: &str, value: Option<&str>) -> Params {
        match value {
            Some(value) => self.add(name, value),
            None => self,
        }
    }

    /// `Prefix.1=a&Prefix.2=b…`
    fn list<S: AsRef<str>>(mut self, prefix: &str, values: &[S]) -> Params {
        for (i, value) in values.iter().enumerate() {
            self.0
                .push((format!("{prefix}.{}", i + 1), value.as_ref().to_owned()));
        }
        self
    }
}

/// A fresh idempotency token, sent unchanged on every attempt of one call.
fn client_token() -> String {
    format!("cloud-{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Calls that may be repeated safely after they may have reached EC2: reads, calls that carry a
/// `ClientToken`, and writes whose second run changes nothing. The rest (CreateKeyPair, whose private
/// key is shown once; CreateSnapshot, CreateImage, ImportKeyPair, CopyImage) are retried only when
/// they provably never left or were refused by throttling.
pub(crate) fn is_idempotent(action: &str) -> bool {
    action.starts_with("Describe")
        || matches!(
            action,
            "RunInstances" | "CreateVolume" // carry a ClientToken
                | "StartInstances"
                | "StopInstances"
                | "RebootInstances"
                | "TerminateInstances"
                | "DeregisterImage"
                | "DeleteKeyPair"
                | "DeleteVolume"
                | "DetachVolume"
                | "DeleteSnapshot"
                | "CreateTags" // setting a tag to the value it has changes nothing
        )
}

impl Ec2Inner {
    async fn call(&self, action: &'static str, params: Params) -> Result<String> {
        let mut form = format!("Action={action}&Version={VERSION}");
        for (name, value) in &params.0 {
            form.push('&');
            form.extend(utf8_percent_encode(name, FORM));
            form.push('=');
            form.extend(utf8_percent_encode(value, FORM));
        }
        let uri = self.endpoint.uri().clone();
        let mut request = http::Request::new(Body::from(form));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        request.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let operation = Operation::new(action).idempotent(is_idempotent(action));
        let body = self
            .http
            .send_buffered(operation, request)
            .await?
            .into_body()
            .bytes()
            .await?;
        let xml = String::from_utf8(body.to_vec()).map_err(|_| {
            Error::unexpected(format!("{action} answered with text that is not UTF-8"))
        })?;
        // Every EC2 action answers `<{Action}Response>`; anything else would read as an empty result.
        cloud_core::xml::expect_root("EC2", &format!("{action}Response"), &xml)?;
        Ok(xml)
    }

    async fn describe_instances(&self, params: Params) -> Result<(Vec<Node>, Option<String>)> {
        let xml = self.call("DescribeInstances", params).await?;
        Ok(nodes_of(model::parse("instance list", &xml)?))
    }

    async fn instances_action(&self, action: &'static str, ids: &[String]) -> Result<()> {
        for chunk in ids.chunks(IDS_PER_CALL) {
            self.call(action, Params::new().list("InstanceId", chunk))
                .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl ComputeDriver for Ec2 {
    fn provider(&self) -> &'static str {
        "ec2"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::all()
    }

    fn list_nodes(&self) -> BoxStream<'static, Result<Node>> {
        let inner = self.inner.clone();
        paginate(move |token: Option<String>| {
            let inner = inner.clone();
            async move {
                let params = Params::new()
                    .add("MaxResults", "1000")
                    .maybe("NextToken", token.as_deref());
                let (nodes, next) = inner.describe_instances(params).await?;
                Ok(Page::new(nodes, next))
            }
        })
        .boxed()
    }

    async fn list_nodes_by_id(&self, ids: &[String]) -> Result<Vec<Node>> {
        // A filter, not InstanceId.N: unknown ids are left out instead of failing the whole call.
        // Chunks are asked for side by side: a look at 1,000 nodes waits one round trip, not five.
        let looks: Vec<_> = ids
            .chunks(IDS_PER_CALL)
            .map(|chunk| self.describe_ids(chunk))
            .collect();
        let pages = futures_util::stream::iter(looks).buffered(CHUNKS_AT_ONCE);
        let chunks: Vec<Vec<Node>> = pages.try_collect().await?;
        Ok(chunks.into_iter().flatten().collect())
    }

    async fn create_nodes(&self, request: &CreateNode) -> Result<Vec<Node>> {
        let count = request.count.to_string();
        // The same token on every attempt: a retried RunInstances never launches twice.
        let client_token = client_token();
        let mut params = Params::new()
            .add("ImageId", &request.image)
            .add("InstanceType", &request.size)
            .add("MinCount", &count)
            .add("MaxCount", &count)
            .add("ClientToken", client_token)
            .maybe("KeyName", request.key_pair.as_deref())
            .maybe("Placement.AvailabilityZone", request.location.as_deref())
            .list("SecurityGroup", &request.security_groups);
        if let Some(user_data) = &request.user_data {
            params = params.add(
                "UserData",
                base64::engine::general_purpose::STANDARD.encode(user_data),
            );
        }
        let names = request.names();
        // Launched under the first name; with a count, each is then renamed to its own.
        let mut tags: Vec<(&str, &str)> = vec![("Name", names[0].as_str())];
        tags.extend(request.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        params = params.add("TagSpecification.1.ResourceType", "instance");
        for (i, (key, value)) in tags.iter().enumerate() {
            params = params
                .add(format!("TagSpecification.1.Tag.{}.Key", i + 1), *key)
                .add(format!("TagSpecification.1.Tag.{}.Value", i + 1), *value);
        }
        if request.public_key.is_some() {
            return Err(Error::unsupported(
                "EC2 installs keys through key pairs: import the public key first",
            ));
        }
        let xml = self.inner.call("RunInstances", params).await?;
        let started: model::RunInstancesResponse = model::parse("launch result", &xml)?;
        let mut nodes: Vec<Node> = started
            .instances_set
            .item
            .into_iter()
            .map(to_node)
            .collect();
        if nodes.len() != names.len() {
            return Err(Error::unexpected(format!(
                "EC2 launched {} instances when {} were asked for: {}",
                nodes.len(),
                names.len(),
                nodes
                    .iter()
                    .map(|n| n.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        // The answer need not list the tags just set: report what was asked for, which EC2 keeps.
        for (node, name) in nodes.iter_mut().zip(&names) {
            node.name = name.clone();
            node.tags = request.tags.clone();
        }
        if names.len() > 1 {
            if let Err(err) = self.name_each(&nodes).await {
                // Nodes that do not carry the names asked for are not what was asked for.
                let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
                let _ = self
                    .inner
                    .instances_action("TerminateInstances", &ids)
                    .await;
                return Err(err);
            }
        }
        Ok(nodes)
    }

    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.inner
            .instances_action("RebootInstances", &[id.to_owned()])
            .await
    }

    async fn start_node(&self, id: &str) -> Result<()> {
        self.inner
            .instances_action("StartInstances", &[id.to_owned()])
            .await
    }

    async fn stop_node(&self, id: &str) -> Result<()> {
        self.inner
            .instances_action("StopInstances", &[id.to_owned()])
            .await
    }

    async fn destroy_node(&self, id: &str) -> Result<()> {
        self.inner
            .instances_action("TerminateInstances", &[id.to_owned()])
            .await
    }

    async fn destroy_nodes(&self, ids: &[String]) -> Result<()> {
        self.inner.instances_action("TerminateInstances", ids).await
    }

    async fn list_sizes(&self) -> Result<Vec<Size>> {
        let mut sizes = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let xml = self
                .inner
                .call(
                    "DescribeInstanceTypes",
                    Params::new().maybe("NextToken", token.as_deref()),
                )
                .await?;
            let page: model::DescribeInstanceTypesResponse =
                model::parse("instance type list", &xml)?;
            for item in page.instance_type_set.item {
                let mut size = Size::new(&item.instance_type, &item.instance_type);
                size.vcpus = item.v_cpu_info.and_then(|v| v.default_v_cpus);
                size.ram_mib = item.memory_info.and_then(|m| m.size_in_mi_b);
                sizes.push(size);
            }
            match page.next_token.filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next),
                None => return Ok(sizes),
            }
        }
    }

    fn list_images(&self) -> BoxStream<'static, Result<Image>> {
        let inner = self.inner.clone();
        paginate(move |_: Option<()>| {
            let inner = inner.clone();
            async move {
                // Public images number in the hundreds of thousands: list the account's own and Amazon's.
                let xml = inner
                    .call(
                        "DescribeImages",
                        Params::new().list("Owner", &["self", "amazon"]),
                    )
                    .await?;
                let listed: model::DescribeImagesResponse = model::parse("image list", &xml)?;
                Ok(Page::new(
                    listed.images_set.item.into_iter().map(to_image).collect(),
                    None,
                ))
            }
        })
        .boxed()
    }

    async fn get_image(&self, id: &str) -> Result<Image> {
        let xml = match self
            .inner
            .call("DescribeImages", Params::new().list("ImageId", &[id]))
            .await
        {
            Ok(xml) => xml,
            // A malformed id names no image either.
            Err(err) if err.code().is_some_and(|c| c.starts_with("InvalidAMIID")) => {
                return Err(err.with_kind(ErrorKind::NotFound));
            }
            Err(err) => return Err(err),
        };
        let listed: model::DescribeImagesResponse = model::parse("image list", &xml)?;
        listed
            .images_set
            .item
            .into_iter()
            .next()
            .map(to_image)
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("image {id} does not exist")))
    }

    async fn create_image(&self, node_id: &str, name: &str) -> Result<Image> {
        let xml = self
            .inner
            .call(
                "CreateImage",
                Params::new().add("InstanceId", node_id).add("Name", name),
            )
            .await?;
        let created: model::ImageIdResponse = model::parse("image", &xml)?;
        let mut image = Image::new(created.image_id, name);
        image.owner = Some("self".to_owned());
        Ok(image)
    }

    async fn delete_image(&self, id: &str) -> Result<()> {
        self.inner
            .call("DeregisterImage", Params::new().add("ImageId", id))
            .await
            .map(drop)
    }

    async fn copy_image(
        &self,
        id: &str,
        source_location: Option<&str>,
        name: &str,
    ) -> Result<Image> {
        let params = Params::new()
            .add("SourceImageId", id)
            .add(
                "SourceRegion",
                source_location.unwrap_or(&self.inner.region),
            )
            .add("Name", name);
        let xml = self.inner.call("CopyImage", params).await?;
        let copied: model::ImageIdResponse = model::parse("image", &xml)?;
        let mut image = Image::new(copied.image_id, name);
        image.owner = Some("self".to_owned());
        Ok(image)
    }

    async fn list_locations(&self) -> Result<Vec<Location>> {
        let xml = self
            .inner
            .call("DescribeAvailabilityZones", Params::new())
            .await?;
        let zones: model::DescribeAvailabilityZonesResponse = model::parse("zone list", &xml)?;
        Ok(zones
            .availability_zone_info
            .item
            .into_iter()
            .map(|zone| {
                let mut location = Location::new(&zone.zone_name, &zone.zone_name);
                if let Some(region) = zone.region_name {
                    location.extra.insert("region".to_owned(), region);
                }
                location
            })
            .collect())
    }

    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        let xml = self.inner.call("DescribeKeyPairs", Params::new()).await?;
        let listed: model::DescribeKeyPairsResponse = model::parse("key pair list", &xml)?;
        Ok(listed.key_set.item.into_iter().map(to_key_pair).collect())
    }

    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        let xml = self
            .inner
            .call("CreateKeyPair", Params::new().add("KeyName", name))
            .await?;
        Ok(to_key_pair(model::parse("key pair", &xml)?))
    }

    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        let material = base64::engine::general_purpose::STANDARD.encode(public_key.trim());
        let xml = self
            .inner
            .call(
                "ImportKeyPair",
                Params::new()
                    .add("KeyName", name)
                    .add("PublicKeyMaterial", material),
            )
            .await?;
        let mut pair = to_key_pair(model::parse("key pair", &xml)?);
        pair.public_key = Some(public_key.trim().to_owned());
        Ok(pair)
    }

    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        self.inner
            .call("DeleteKeyPair", Params::new().add("KeyName", name))
            .await
            .map(drop)
    }

    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        let xml = self.inner.call("DescribeVolumes", Params::new()).await?;
        let listed: model::DescribeVolumesResponse = model::parse("volume list", &xml)?;
        Ok(listed.volume_set.item.into_iter().map(to_volume).collect())
    }

    async fn create_volume(&self, request: &CreateVolume) -> Result<Volume> {
        let zone = request
            .location
            .clone()
            .unwrap_or_else(|| format!("{}a", self.inner.region));
        // The same token on every attempt: a retried CreateVolume never makes two volumes.
        let params = Params::new()
            .add("ClientToken", client_token())
            .add("Size", request.size_gib.to_string())
            .add("AvailabilityZone", zone)
            .maybe("SnapshotId", request.snapshot.as_deref())
            .add("TagSpecification.1.ResourceType", "volume")
            .add("TagSpecification.1.Tag.1.Key", "Name")
            .add("TagSpecification.1.Tag.1.Value", &request.name);
        let xml = self.inner.call("CreateVolume", params).await?;
        let mut volume = to_volume(model::parse("volume", &xml)?);
        volume.name = request.name.clone();
        Ok(volume)
    }

    async fn attach_volume(
        &self,
        volume_id: &str,
        node_id: &str,
        device: Option<&str>,
    ) -> Result<()> {
        let params = Params::new()
            .add("VolumeId", volume_id)
            .add("InstanceId", node_id)
            .add("Device", device.unwrap_or("/dev/sdf"));
        self.inner.call("AttachVolume", params).await.map(drop)
    }

    async fn detach_volume(&self, volume_id: &str) -> Result<()> {
        // Name the instance too: optional for EC2, and some emulators (moto) need it.
        let xml = self
            .inner
            .call(
                "DescribeVolumes",
                Params::new().list("VolumeId", &[volume_id]),
            )
            .await?;
        let listed: model::DescribeVolumesResponse = model::parse("volume list", &xml)?;
        let instance = listed
            .volume_set
            .item
            .into_iter()
            .next()
            .and_then(|v| v.attachment_set.item.into_iter().next())
            .and_then(|a| a.instance_id);
        let params = Params::new()
            .add("VolumeId", volume_id)
            .maybe("InstanceId", instance.as_deref());
        self.inner.call("DetachVolume", params).await.map(drop)
    }

    async fn destroy_volume(&self, volume_id: &str) -> Result<()> {
        self.inner
            .call("DeleteVolume", Params::new().add("VolumeId", volume_id))
            .await
            .map(drop)
    }

    async fn list_snapshots(&self) -> Result<Vec<Snapshot>> {
        let xml = self
            .inner
            .call("DescribeSnapshots", Params::new().list("Owner", &["self"]))
            .await?;
        let listed: model::DescribeSnapshotsResponse = model::parse("snapshot list", &xml)?;
        Ok(listed
            .snapshot_set
            .item
            .into_iter()
            .map(to_snapshot)
            .collect())
    }

    async fn create_snapshot(&self, volume_id: &str, name: &str) -> Result<Snapshot> {
        let params = Params::new()
            .add("VolumeId", volume_id)
            .add("Description", name)
            .add("TagSpecification.1.ResourceType", "snapshot")
            .add("TagSpecification.1.Tag.1.Key", "Name")
            .add("TagSpecification.1.Tag.1.Value", name);
        let xml = self.inner.call("CreateSnapshot", params).await?;
        let mut snapshot = to_snapshot(model::parse("snapshot", &xml)?);
        snapshot.name = name.to_owned();
        Ok(snapshot)
    }

    async fn destroy_snapshot(&self, id: &str) -> Result<()> {
        self.inner
            .call("DeleteSnapshot", Params::new().add("SnapshotId", id))
            .await
            .map(drop)
    }
}
