//! The `ComputeDriver` trait every compute provider implements.

use std::fmt;

use async_trait::async_trait;
use cloud_core::{Error, ErrorKind, Result};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};

use crate::types::{
    Capabilities, CreateNode, CreateVolume, Image, KeyPair, Location, Node, Size, Snapshot, Volume,
};

fn unsupported(provider: &str, what: &str) -> Error {
    Error::unsupported(format!("{provider} does not support {what}"))
}

/// Deletes [`ComputeDriver::destroy_nodes`] keeps in flight by default, for APIs without a batch delete.
pub const DESTROYS_AT_ONCE: usize = 8;

/// Virtual machines and what goes with them, on any provider.
///
/// Every method is reachable through `Arc<dyn ComputeDriver>`. Listings of nodes and images are lazy
/// streams (providers page them); the shorter catalogues come whole. Operations a provider lacks fail with
/// [`ErrorKind::Unsupported`], as [`capabilities`](ComputeDriver::capabilities) says they will.
#[async_trait]
pub trait ComputeDriver: Send + Sync + fmt::Debug + 'static {
    /// The provider's short name (`memory`, `ec2`, …).
    fn provider(&self) -> &'static str;

    /// What this provider supports.
    fn capabilities(&self) -> Capabilities;

    /// Every node, lazily.
    fn list_nodes(&self) -> BoxStream<'static, Result<Node>>;

    /// The nodes with these ids, in one request where the provider can (EC2 filters by id), so watching
    /// many nodes costs one call per look. Ids the provider does not know are left out. The default
    /// filters [`list_nodes`](ComputeDriver::list_nodes).
    async fn list_nodes_by_id(&self, ids: &[String]) -> Result<Vec<Node>> {
        self.list_nodes()
            .try_filter(|node| std::future::ready(ids.contains(&node.id)))
            .try_collect()
            .await
    }

    /// One node; [`ErrorKind::NotFound`] if there is no such node.
    async fn get_node(&self, id: &str) -> Result<Node> {
        let found = self.list_nodes_by_id(&[id.to_owned()]).await?;
        found
            .into_iter()
            .next()
            .ok_or_else(|| Error::new(ErrorKind::NotFound, format!("node {id} does not exist")))
    }

    /// Creates `request.count` nodes (in one request where the provider can) and returns them, usually
    /// still pending.
    async fn create_nodes(&self, request: &CreateNode) -> Result<Vec<Node>>;

    /// Reboots a node.
    async fn reboot_node(&self, id: &str) -> Result<()>;

    /// Starts a stopped node.
    async fn start_node(&self, id: &str) -> Result<()> {
        let _ = id;
        Err(unsupported(self.provider(), "starting nodes"))
    }

    /// Stops a running node.
    async fn stop_node(&self, id: &str) -> Result<()> {
        let _ = id;
        Err(unsupported(self.provider(), "stopping nodes"))
    }

    /// Destroys a node.
    async fn destroy_node(&self, id: &str) -> Result<()>;

    /// Destroys several nodes, in as few requests as the provider allows. The default, for APIs that
    /// delete one node a request, keeps [`DESTROYS_AT_ONCE`] deletes in flight; the first error is
    /// returned.
    async fn destroy_nodes(&self, ids: &[String]) -> Result<()> {
        let deletes: Vec<_> = ids.iter().map(|id| self.destroy_node(id)).collect();
        futures_util::stream::iter(deletes)
            .buffer_unordered(DESTROYS_AT_ONCE)
            .try_collect::<Vec<()>>()
            .await
            .map(drop)
    }

    /// The sizes nodes can have.
    async fn list_sizes(&self) -> Result<Vec<Size>>;

    /// The images nodes can start from, lazily.
    fn list_images(&self) -> BoxStream<'static, Result<Image>>;

    /// One image; [`ErrorKind::NotFound`] if there is no such image.
    async fn get_image(&self, id: &str) -> Result<Image> {
        let mut images = self.list_images();
        while let Some(image) = images.try_next().await? {
            if image.id == id {
                return Ok(image);
            }
        }
        Err(Error::new(
            ErrorKind::NotFound,
            format!("image {id} does not exist"),
        ))
    }

    /// Makes an image of a node.
    async fn create_image(&self, node_id: &str, name: &str) -> Result<Image> {
        let _ = (node_id, name);
        Err(unsupported(self.provider(), "making images"))
    }

    /// Deletes an image made here.
    async fn delete_image(&self, id: &str) -> Result<()> {
        let _ = id;
        Err(unsupported(self.provider(), "deleting images"))
    }

    /// Copies an image (to another region, where the provider has several), under `name`.
    async fn copy_image(
        &self,
        id: &str,
        source_location: Option<&str>,
        name: &str,
    ) -> Result<Image> {
        let _ = (id, source_location, name);
        Err(unsupported(self.provider(), "copying images"))
    }

    /// Where nodes can run.
    async fn list_locations(&self) -> Result<Vec<Location>>;

    /// The key pairs the provider knows.
    async fn list_key_pairs(&self) -> Result<Vec<KeyPair>> {
        Err(unsupported(self.provider(), "key pairs"))
    }

    /// One key pair; [`ErrorKind::NotFound`] if there is none of that name.
    async fn get_key_pair(&self, name: &str) -> Result<KeyPair> {
        self.list_key_pairs()
            .await?
            .into_iter()
            .find(|k| k.name == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("key pair {name} does not exist"),
                )
            })
    }

    /// Has the provider make a key pair; the result carries the private key, this once.
    async fn create_key_pair(&self, name: &str) -> Result<KeyPair> {
        let _ = name;
        Err(unsupported(self.provider(), "creating key pairs"))
    }

    /// Registers an OpenSSH public key under `name`.
    async fn import_key_pair(&self, name: &str, public_key: &str) -> Result<KeyPair> {
        let _ = (name, public_key);
        Err(unsupported(self.provider(), "importing key pairs"))
    }

    /// Forgets a key pair.
    async fn delete_key_pair(&self, name: &str) -> Result<()> {
        let _ = name;
        Err(unsupported(self.provider(), "deleting key pairs"))
    }

    /// The block storage volumes.
    async fn list_volumes(&self) -> Result<Vec<Volume>> {
        Err(unsupported(self.provider(), "volumes"))
    }

    /// Creates a volume.
    async fn create_volume(&self, request: &CreateVolume) -> Result<Volume> {
        let _ = request;
        Err(unsupported(self.provider(), "creating volumes"))
    }

    /// Attaches a volume to a node, as `device` where the provider wants one (`/dev/sdf`).
    async fn attach_volume(
        &self,
        volume_id: &str,
        node_id: &str,
        device: Option<&str>,
    ) -> Result<()> {
        let _ = (volume_id, node_id, device);
        Err(unsupported(self.provider(), "attaching volumes"))
    }

    /// Detaches a volume.
    async fn detach_volume(&self, volume_id: &str) -> Result<()> {
        let _ = volume_id;
        Err(unsupported(self.provider(), "detaching volumes"))
    }

    /// Destroys a volume.
    async fn destroy_volume(&self, volume_id: &str) -> Result<()> {
        let _ = volume_id;
        Err(unsupported(self.provider(), "destroying volumes"))
    }

    /// The snapshots.
    async fn list_snapshots(&self) -> Result<Vec<Snapshot>> {
        Err(unsupported(self.provider(), "snapshots"))
    }

    /// Takes a snapshot of a volume.
    async fn create_snapshot(&self, volume_id: &str, name: &str) -> Result<Snapshot> {
        let _ = (volume_id, name);
        Err(unsupported(self.provider(), "creating snapshots"))
    }

    /// Destroys a snapshot.
    async fn destroy_snapshot(&self, id: &str) -> Result<()> {
        let _ = id;
        Err(unsupported(self.provider(), "destroying snapshots"))
    }
}
