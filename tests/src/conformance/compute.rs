//! The compute conformance suite: what every [`ComputeDriver`] must do, written once against
//! `dyn ComputeDriver`; see [`compute_conformance!`](crate::compute_conformance!).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cloud_compute::{
    wait_until_running, watch_nodes, ComputeDriver, CreateNode, CreateVolume, NodeState,
    SnapshotState, VolumeState,
};
use cloud_core::{poll_until, ErrorKind, PollOptions};
use futures_util::{StreamExt, TryStreamExt};

/// A known gap of a test server (not of the driver). A behaviour that meets one asserts that the gap is
/// still there, so the quirk is dropped as soon as the server is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Quirk {
    /// Nodes are created from images that do not exist.
    AcceptsUnknownImages,
    /// The server fails with a 500 on key material that is not a key, instead of refusing it.
    FailsOnMalformedKeys,
    /// The server takes any text as a public key.
    AcceptsMalformedKeys,
    /// The server registers a second key pair under a name already taken.
    AcceptsDuplicateKeyNames,
    /// The server fails with a 500 when asked to make a key pair (it only imports).
    FailsToGenerateKeys,
    /// The server refuses the start and stop actions as unknown (400).
    RefusesStartStop,
    /// The server lists volumes but cannot make them (405).
    CannotCreateVolumes,
    /// The server makes images of nodes but does not say their ids.
    HidesNewImageIds,
    /// The server has no availability zone listing (404).
    ListsNoZones,
}

/// A compute driver under test, with what the suite needs to know about its catalogue.
pub struct ComputeFixture {
    /// The driver.
    pub cloud: Arc<dyn ComputeDriver>,
    /// How to wait (a fake clock for simulated clouds).
    pub poll: PollOptions,
    /// A size to create nodes of.
    pub size: String,
    /// An image to create nodes from.
    pub image: String,
    /// How many node-listing calls the provider has answered, where that can be counted.
    pub list_calls: Option<Box<dyn Fn() -> u64 + Send + Sync>>,
    quirks: Vec<Quirk>,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl ComputeFixture {
    /// A fixture for `cloud` creating nodes of `size` from `image`, waiting with `poll`.
    pub fn new(
        cloud: Arc<dyn ComputeDriver>,
        poll: PollOptions,
        size: &str,
        image: &str,
        keep: impl std::any::Any + Send + Sync,
    ) -> ComputeFixture {
        ComputeFixture {
            cloud,
            poll,
            size: size.to_owned(),
            image: image.to_owned(),
            list_calls: None,
            quirks: Vec::new(),
            _keep: Box::new(keep),
        }
    }

    /// Declares the server's known gaps.
    pub fn with_quirks(mut self, quirks: &[Quirk]) -> ComputeFixture {
        self.quirks = quirks.to_vec();
        self
    }

    fn has(&self, quirk: Quirk) -> bool {
        self.quirks.contains(&quirk)
    }

    /// Counts listing calls with `counter`.
    pub fn counting_list_calls(
        mut self,
        counter: impl Fn() -> u64 + Send + Sync + 'static,
    ) -> ComputeFixture {
        self.list_calls = Some(Box::new(counter));
        self
    }

    fn request(&self, name: &str) -> CreateNode {
        CreateNode::new(name, &self.size, &self.image)
    }

    /// The ids of `count` nodes created in one call.
    async fn create_ids<C: FromIterator<String>>(&self, name: &str, count: u32) -> C {
        self.cloud
            .create_nodes(&self.request(name).count(count))
            .await
            .expect("create nodes")
            .into_iter()
            .map(|n| n.id)
            .collect()
    }

    async fn running(&self, name: &str) -> String {
        let ids: Vec<String> = self.create_ids(name, 1).await;
        wait_until_running(&*self.cloud, &ids, &self.poll)
            .await
            .expect("the node runs");
        ids.into_iter().next().expect("one node")
    }

    async fn wait_for_state(&self, id: &str, state: NodeState) {
        let found = poll_until(&self.poll, || self.cloud.get_node(id), |n| n.state == state).await;
        assert_eq!(found.expect("the node reaches the state").state, state);
    }
}

/// Where the provider says it lacks a capability, the operation must fail with
/// [`ErrorKind::Unsupported`]; returns whether it lacks it (and the behaviour stops there).
async fn lacking<T: std::fmt::Debug>(
    has: bool,
    attempt: impl std::future::Future<Output = cloud_core::Result<T>>,
) -> bool {
    if has {
        return false;
    }
    let err = attempt
        .await
        .expect_err("an operation the provider says it lacks must fail");
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    true
}

/// [`lacking`] for importing key pairs, which four behaviours need.
async fn lacks_key_import(f: &ComputeFixture) -> bool {
    lacking(
        f.cloud.capabilities().import_key_pairs,
        f.cloud.import_key_pair("unsupported", &public_key()),
    )
    .await
}

/// An OpenSSH public key made for the test.
pub fn public_key() -> String {
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEqX1M79Pl/ekzYogpxpeRz0UQGg7O0e624FuRwJb7qc conformance@cloud-rs".to_owned()
}

/// Generates one test per behaviour of the suite for the provider whose fixture `$factory` makes.
///
/// `compute_conformance!(fixture, contract)` is the contract mode, for a server that checks each
/// request against the provider's API document and answers with the document's examples but keeps no
/// state (Prism): the behaviours that need state (create, then see it) are generated as ignored tests
/// that say why, so the runner reports them as not run; the rest run.
#[macro_export]
macro_rules! compute_conformance {
    ($factory:path) => {
        $crate::compute_conformance!(@suite $factory; [doc = "A stateful behaviour."]);
    };
    ($factory:path, contract) => {
        $crate::compute_conformance!(@suite $factory; [
            ignore = "needs a stateful server: the contract server answers with the API document's examples and keeps no state"
        ]);
    };
    (@suite $factory:path; $stateful:tt) => {
        // What any server answers the same whatever came before.
        $crate::compute_conformance!(@each $factory; [doc = "A stateless behaviour."];
            lists_sizes,
            lists_locations,
            a_missing_node_is_not_found,
            operations_on_a_missing_node_are_not_found,
            creates_a_key_pair_with_its_private_key,
            importing_garbage_is_invalid_input,
            copies_an_image,
        );
        // What needs the server to remember: nodes, keys and volumes made earlier in the test.
        $crate::compute_conformance!(@each $factory; $stateful;
            lists_images_and_gets_one,
            a_missing_image_is_not_found,
            a_created_node_becomes_running,
            creates_many_nodes_in_one_request,
            gets_a_node_by_id,
            lists_created_nodes,
            lists_nodes_across_pages,
            stops_and_starts_a_node,
            reboots_a_running_node,
            destroys_a_node,
            destroys_many_nodes_at_once,
            an_unknown_image_is_refused,
            tags_round_trip,
            creating_an_existing_key_pair_is_already_exists,
            imports_a_real_openssh_public_key,
            a_node_records_its_key_pair,
            attaches_and_detaches_a_volume,
            an_attached_volume_is_not_destroyed,
            takes_and_destroys_a_snapshot,
            makes_and_deletes_an_image_of_a_node,
            waits_for_a_hundred_nodes_with_one_list_call_per_look,
            two_hundred_concurrent_creates_through_one_driver,
            waiting_fails_fast_when_a_node_is_destroyed,
            watches_nodes_change_state,
        );
    };
    (@each $factory:path; $attr:tt; $($behaviour:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #$attr
            async fn $behaviour() {
                let fixture = $factory().await;
                $crate::conformance::compute::$behaviour(&fixture).await;
            }
        )*
    };
}

/// Sizes are listed, with distinct ids.
pub async fn lists_sizes(f: &ComputeFixture) {
    let sizes = f.cloud.list_sizes().await.unwrap();
    assert!(
        sizes.iter().any(|s| s.id == f.size),
        "the fixture's size is listed"
    );
    let ids: BTreeSet<&str> = sizes.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids.len(), sizes.len(), "ids are distinct");
}

/// Images are listed, and one can be got by id.
pub async fn lists_images_and_gets_one(f: &ComputeFixture) {
    let images: Vec<_> = f.cloud.list_images().try_collect().await.unwrap();
    assert!(
        images.iter().any(|i| i.id == f.image),
        "the fixture's image is listed"
    );
    assert_eq!(f.cloud.get_image(&f.image).await.unwrap().id, f.image);
}

/// An image that does not exist is [`ErrorKind::NotFound`].
pub async fn a_missing_image_is_not_found(f: &ComputeFixture) {
    let err = f
        .cloud
        .get_image("image-that-does-not-exist")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// Locations are listed.
pub async fn lists_locations(f: &ComputeFixture) {
    if f.has(Quirk::ListsNoZones) {
        let err = f.cloud.list_locations().await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::NotFound,
            "the quirk: no zone listing: {err}"
        );
        return;
    }
    let locations = f.cloud.list_locations().await.unwrap();
    assert!(!locations.is_empty());
    assert!(locations.iter().all(|l| !l.id.is_empty()), "{locations:?}");
}

/// A new node starts pending (or already running) and becomes running, with what was asked of it.
pub async fn a_created_node_becomes_running(f: &ComputeFixture) {
    let nodes = f
        .cloud
        .create_nodes(&f.request("conformance-one"))
        .await
        .unwrap();
    assert_eq!(nodes.len(), 1);
    assert!(
        matches!(nodes[0].state, NodeState::Pending | NodeState::Running),
        "{:?}",
        nodes[0].state
    );
    let running = wait_until_running(&*f.cloud, &[nodes[0].id.clone()], &f.poll)
        .await
        .unwrap();
    assert_eq!(running[0].state, NodeState::Running);
    assert_eq!(running[0].size.as_deref(), Some(f.size.as_str()));
    assert_eq!(running[0].image.as_deref(), Some(f.image.as_str()));
}

/// A count makes that many distinct nodes in one request, named as [`CreateNode::names`] says, as
/// both the create call and the listing report.
pub async fn creates_many_nodes_in_one_request(f: &ComputeFixture) {
    let request = f.request("conformance-many").count(5);
    let nodes = f.cloud.create_nodes(&request).await.unwrap();
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 5);
    let wanted: BTreeSet<String> = request.names().into_iter().collect();
    let reported: BTreeSet<String> = nodes.iter().map(|n| n.name.clone()).collect();
    assert_eq!(reported, wanted, "names reported by the create call");
    let listed: BTreeSet<String> = f
        .cloud
        .list_nodes_by_id(&ids)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(listed, wanted, "names the server keeps");
}

/// `get_node` returns the node asked for.
pub async fn gets_a_node_by_id(f: &ComputeFixture) {
    let id = f.running("conformance-get").await;
    let node = f.cloud.get_node(&id).await.unwrap();
    assert_eq!(node.id, id);
    assert_eq!(node.state, NodeState::Running);
}

/// A node that does not exist is [`ErrorKind::NotFound`].
pub async fn a_missing_node_is_not_found(f: &ComputeFixture) {
    let err = f.cloud.get_node("i-0123456789abcdef0").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

/// Created nodes appear in the listing.
pub async fn lists_created_nodes(f: &ComputeFixture) {
    let created: BTreeSet<String> = f.create_ids("conformance-list", 3).await;
    let listed: BTreeSet<String> = f
        .cloud
        .list_nodes()
        .map_ok(|n| n.id)
        .try_collect()
        .await
        .unwrap();
    assert!(created.is_subset(&listed));
}

/// More nodes than a page holds are all listed, once each.
pub async fn lists_nodes_across_pages(f: &ComputeFixture) {
    let created: BTreeSet<String> = f.create_ids("conformance-pages", 120).await;
    assert_eq!(created.len(), 120);
    let listed: Vec<String> = f
        .cloud
        .list_nodes()
        .map_ok(|n| n.id)
        .try_collect()
        .await
        .unwrap();
    let unique: BTreeSet<&String> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "no node listed twice");
    assert!(
        created.iter().all(|id| unique.contains(id)),
        "every node listed"
    );
}

/// A running node stops, and starts again.
pub async fn stops_and_starts_a_node(f: &ComputeFixture) {
    let id = f.running("conformance-stop").await;
    if lacking(f.cloud.capabilities().start_stop, f.cloud.stop_node(&id)).await {
        return;
    }
    if f.has(Quirk::RefusesStartStop) {
        let err = f.cloud.stop_node(&id).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::InvalidInput,
            "the quirk: stop refused: {err}"
        );
        return;
    }
    f.cloud.stop_node(&id).await.unwrap();
    f.wait_for_state(&id, NodeState::Stopped).await;
    f.cloud.start_node(&id).await.unwrap();
    wait_until_running(&*f.cloud, std::slice::from_ref(&id), &f.poll)
        .await
        .unwrap();
}

/// A running node reboots and comes back running.
pub async fn reboots_a_running_node(f: &ComputeFixture) {
    let id = f.running("conformance-reboot").await;
    f.cloud.reboot_node(&id).await.unwrap();
    wait_until_running(&*f.cloud, &[id], &f.poll).await.unwrap();
}

/// A destroyed node ends terminated (or disappears).
pub async fn destroys_a_node(f: &ComputeFixture) {
    let id = f.running("conformance-destroy").await;
    f.cloud.destroy_node(&id).await.unwrap();
    let ids = [id];
    let gone = poll_until(
        &f.poll,
        || f.cloud.list_nodes_by_id(&ids),
        |nodes| nodes.iter().all(|n| n.state == NodeState::Terminated),
    )
    .await
    .expect("the node ends terminated");
    assert!(gone.iter().all(|n| n.id == ids[0]), "{gone:?}");
}

/// Several nodes are destroyed in one call.
pub async fn destroys_many_nodes_at_once(f: &ComputeFixture) {
    let ids: Vec<String> = f.create_ids("conformance-many-gone", 4).await;
    f.cloud.destroy_nodes(&ids).await.unwrap();
    let gone = poll_until(
        &f.poll,
        || f.cloud.list_nodes_by_id(&ids),
        |nodes| nodes.iter().all(|n| n.state.is_final()),
    )
    .await
    .expect("every node ends");
    assert!(gone.iter().all(|n| ids.contains(&n.id)), "{gone:?}");
}

/// Acting on a node that does not exist is [`ErrorKind::NotFound`].
pub async fn operations_on_a_missing_node_are_not_found(f: &ComputeFixture) {
    let missing = "i-0fedcba9876543210";
    assert_eq!(
        f.cloud.reboot_node(missing).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        f.cloud.destroy_node(missing).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    if f.cloud.capabilities().start_stop {
        assert_eq!(
            f.cloud.stop_node(missing).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
}

/// Creating from an image that does not exist creates nothing.
pub async fn an_unknown_image_is_refused(f: &ComputeFixture) {
    let request = CreateNode::new("conformance-bad-image", &f.size, "ami-00000000000000000");
    if f.has(Quirk::AcceptsUnknownImages) {
        let created = f.cloud.create_nodes(&request).await.unwrap();
        assert_eq!(
            created.len(),
            1,
            "the quirk: the server accepts any image id"
        );
        assert_eq!(created[0].image.as_deref(), Some("ami-00000000000000000"));
        return;
    }
    let err = f.cloud.create_nodes(&request).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::NotFound | ErrorKind::InvalidInput),
        "{err}"
    );
}

/// Tags set at creation are reported by the create call and read back; the name is not one of them.
pub async fn tags_round_trip(f: &ComputeFixture) {
    let request = f
        .request("conformance-tags")
        .tag("role", "web")
        .tag("team", "storage");
    if lacking(f.cloud.capabilities().tags, f.cloud.create_nodes(&request)).await {
        return;
    }
    let created = f.cloud.create_nodes(&request).await.unwrap().remove(0);
    let wanted: BTreeMap<String, String> = request.tags.clone();
    assert_eq!(
        created.tags, wanted,
        "the create call reports the tags it set"
    );
    assert_eq!(created.name, "conformance-tags");
    let node = f.cloud.get_node(&created.id).await.unwrap();
    assert_eq!(node.tags, wanted);
    assert_eq!(
        node.name, "conformance-tags",
        "the name is the node's, not a tag"
    );
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}-{}", std::process::id(), fastrand_u32())
}

fn fastrand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos()
}

/// A created key pair comes with its private key, once, and is then listed.
pub async fn creates_a_key_pair_with_its_private_key(f: &ComputeFixture) {
    let name = unique("created");
    if lacking(
        f.cloud.capabilities().create_key_pairs,
        f.cloud.create_key_pair(&name),
    )
    .await
    {
        return;
    }
    if f.has(Quirk::FailsToGenerateKeys) {
        let err = f.cloud.create_key_pair(&name).await.unwrap_err();
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(500),
            "the quirk: the server fails to make a key: {err}"
        );
        return;
    }
    let pair = f.cloud.create_key_pair(&name).await.unwrap();
    let private = pair.private_key.expect("a private key on creation");
    assert!(
        private.expose().contains("PRIVATE KEY"),
        "an OpenSSH or PEM private key"
    );
    assert!(pair.fingerprint.is_some());
    let listed = f.cloud.get_key_pair(&name).await.unwrap();
    assert_eq!(
        listed.private_key, None,
        "the private key is given once only"
    );
    f.cloud.delete_key_pair(&name).await.unwrap();
    assert_eq!(
        f.cloud.get_key_pair(&name).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// A second key pair of the same name is [`ErrorKind::AlreadyExists`].
pub async fn creating_an_existing_key_pair_is_already_exists(f: &ComputeFixture) {
    if lacks_key_import(f).await {
        return;
    }
    let name = unique("twice");
    f.cloud.import_key_pair(&name, &public_key()).await.unwrap();
    let again = f.cloud.import_key_pair(&name, &public_key()).await;
    if f.has(Quirk::AcceptsDuplicateKeyNames) {
        let pair = again.expect("the quirk: a taken name is accepted");
        assert_eq!(pair.name, name, "the quirk");
        return;
    }
    let err = again.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
}

/// A real OpenSSH public key is imported and listed with a fingerprint.
pub async fn imports_a_real_openssh_public_key(f: &ComputeFixture) {
    if lacks_key_import(f).await {
        return;
    }
    let name = unique("imported");
    let pair = f.cloud.import_key_pair(&name, &public_key()).await.unwrap();
    assert_eq!(pair.name, name);
    assert!(pair.fingerprint.is_some());
    let names: Vec<String> = f
        .cloud
        .list_key_pairs()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.name)
        .collect();
    assert!(names.contains(&name), "{names:?}");
}

/// Text that is not a public key is refused.
pub async fn importing_garbage_is_invalid_input(f: &ComputeFixture) {
    if lacks_key_import(f).await {
        return;
    }
    let name = unique("garbage");
    let imported = f.cloud.import_key_pair(&name, "not a key at all").await;
    if f.has(Quirk::AcceptsMalformedKeys) {
        let pair = imported.expect("the quirk: any text is a key");
        assert_eq!(pair.name, name, "the quirk");
        return;
    }
    let err = imported.unwrap_err();
    if f.has(Quirk::FailsOnMalformedKeys) {
        assert_eq!(
            err.status().map(|s| s.as_u16()),
            Some(500),
            "the quirk: the server fails with a 500: {err}"
        );
        return;
    }
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

/// A node started with a key pair says so.
pub async fn a_node_records_its_key_pair(f: &ComputeFixture) {
    if lacks_key_import(f).await {
        return;
    }
    let name = unique("node-key");
    f.cloud.import_key_pair(&name, &public_key()).await.unwrap();
    let node = f
        .cloud
        .create_nodes(&f.request("conformance-keyed").key_pair(&name))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        f.cloud
            .get_node(&node.id)
            .await
            .unwrap()
            .key_pair
            .as_deref(),
        Some(name.as_str())
    );
}

/// A volume is created, attached, detached and destroyed.
pub async fn attaches_and_detaches_a_volume(f: &ComputeFixture) {
    if lacking(f.cloud.capabilities().volumes, f.cloud.list_volumes()).await {
        return;
    }
    if cannot_create_volumes(f).await {
        return;
    }
    let node_id = f.running("conformance-volume").await;
    let location = f.cloud.get_node(&node_id).await.unwrap().location;
    let mut request = CreateVolume::new("conformance-data", 10);
    request.location = location;
    let volume = f.cloud.create_volume(&request).await.unwrap();
    assert_eq!(volume.size_gib, 10);
    f.cloud
        .attach_volume(&volume.id, &node_id, Some("/dev/sdf"))
        .await
        .unwrap();
    let attached = find_volume(f, &volume.id).await;
    assert_eq!(attached.state, VolumeState::InUse);
    assert_eq!(attached.attached_to.as_deref(), Some(node_id.as_str()));
    f.cloud.detach_volume(&volume.id).await.unwrap();
    let detached = find_volume(f, &volume.id).await;
    assert_eq!(detached.state, VolumeState::Available);
    f.cloud.destroy_volume(&volume.id).await.unwrap();
    let left: Vec<String> = f
        .cloud
        .list_volumes()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.id)
        .collect();
    assert!(!left.contains(&volume.id));
}

/// Under [`Quirk::CannotCreateVolumes`], asserts the gap is still there (volumes list, none is made).
async fn cannot_create_volumes(f: &ComputeFixture) -> bool {
    if !f.has(Quirk::CannotCreateVolumes) {
        return false;
    }
    f.cloud.list_volumes().await.expect("volumes are listed");
    let err = f
        .cloud
        .create_volume(&CreateVolume::new("conformance-quirk", 1))
        .await
        .unwrap_err();
    assert_eq!(
        err.status().map(|s| s.as_u16()),
        Some(405),
        "the quirk: volumes cannot be made: {err}"
    );
    true
}

async fn find_volume(f: &ComputeFixture, id: &str) -> cloud_compute::Volume {
    f.cloud
        .list_volumes()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.id == id)
        .expect("the volume is listed")
}

/// An attached volume is not destroyed; detaching first works.
pub async fn an_attached_volume_is_not_destroyed(f: &ComputeFixture) {
    if lacking(f.cloud.capabilities().volumes, f.cloud.list_volumes()).await {
        return;
    }
    if cannot_create_volumes(f).await {
        return;
    }
    let node_id = f.running("conformance-busy-volume").await;
    let location = f.cloud.get_node(&node_id).await.unwrap().location;
    let mut request = CreateVolume::new("conformance-busy", 5);
    request.location = location;
    let volume = f.cloud.create_volume(&request).await.unwrap();
    f.cloud
        .attach_volume(&volume.id, &node_id, Some("/dev/sdg"))
        .await
        .unwrap();
    let err = f.cloud.destroy_volume(&volume.id).await.unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Conflict | ErrorKind::InvalidInput),
        "{err}"
    );
    assert!(
        f.cloud
            .list_volumes()
            .await
            .unwrap()
            .iter()
            .any(|v| v.id == volume.id),
        "nothing was lost"
    );
}

/// A snapshot of a volume is taken, completes, and is destroyed.
pub async fn takes_and_destroys_a_snapshot(f: &ComputeFixture) {
    if lacking(f.cloud.capabilities().snapshots, f.cloud.list_snapshots()).await {
        return;
    }
    if cannot_create_volumes(f).await {
        return;
    }
    let volume = f
        .cloud
        .create_volume(&CreateVolume::new("conformance-snap", 8))
        .await
        .unwrap();
    let snapshot = f
        .cloud
        .create_snapshot(&volume.id, "conformance snapshot")
        .await
        .unwrap();
    assert_eq!(snapshot.volume_id.as_deref(), Some(volume.id.as_str()));
    let done = poll_until(
        &f.poll,
        || f.cloud.list_snapshots(),
        |all| {
            all.iter()
                .any(|s| s.id == snapshot.id && s.state == SnapshotState::Completed)
        },
    )
    .await
    .expect("the snapshot completes");
    assert!(done
        .iter()
        .any(|s| s.id == snapshot.id && s.state == SnapshotState::Completed));
    f.cloud.destroy_snapshot(&snapshot.id).await.unwrap();
    assert!(!f
        .cloud
        .list_snapshots()
        .await
        .unwrap()
        .iter()
        .any(|s| s.id == snapshot.id));
}

/// An image is made of a node and deleted.
pub async fn makes_and_deletes_an_image_of_a_node(f: &ComputeFixture) {
    let node_id = f.running("conformance-imaged").await;
    if lacking(
        f.cloud.capabilities().manage_images,
        f.cloud.create_image(&node_id, "unsupported"),
    )
    .await
    {
        return;
    }
    let made = f
        .cloud
        .create_image(&node_id, &unique("conformance-image"))
        .await;
    if f.has(Quirk::HidesNewImageIds) {
        let err = made.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Unexpected,
            "the quirk: no image id: {err}"
        );
        return;
    }
    let image = made.unwrap();
    assert_eq!(f.cloud.get_image(&image.id).await.unwrap().id, image.id);
    f.cloud.delete_image(&image.id).await.unwrap();
    assert_eq!(
        f.cloud.get_image(&image.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

/// An image is copied under a new name.
pub async fn copies_an_image(f: &ComputeFixture) {
    if lacking(
        f.cloud.capabilities().copy_images,
        f.cloud.copy_image(&f.image, None, "unsupported"),
    )
    .await
    {
        return;
    }
    let copy = f
        .cloud
        .copy_image(&f.image, None, &unique("conformance-copy"))
        .await
        .unwrap();
    assert_ne!(copy.id, f.image);
    assert_eq!(f.cloud.get_image(&copy.id).await.unwrap().id, copy.id);
}

/// Waiting for 100 nodes costs one listing call per look, not one per node.
pub async fn waits_for_a_hundred_nodes_with_one_list_call_per_look(f: &ComputeFixture) {
    let ids: Vec<String> = f.create_ids("conformance-hundred", 100).await;
    let before = f.list_calls.as_ref().map(|count| count());
    let sleeps_before = f.poll.clock.now();
    let running = wait_until_running(&*f.cloud, &ids, &f.poll).await.unwrap();
    assert_eq!(running.len(), 100);
    assert!(running.iter().all(|n| n.state == NodeState::Running));
    if let (Some(before), Some(count)) = (before, f.list_calls.as_ref()) {
        let calls = count() - before;
        let waited = f.poll.clock.now().saturating_duration_since(sleeps_before);
        // One look at the start, then one after each wait; each wait is at least the backoff's base.
        let most = 1 + (waited.as_secs_f64() / f.poll.backoff.base().as_secs_f64()).floor() as u64;
        assert!(
            calls >= 1 && calls <= most,
            "{calls} listing calls for 100 nodes over {waited:?} (at most {most})"
        );
    }
}

/// One driver takes 200 creates at once from 200 tasks.
pub async fn two_hundred_concurrent_creates_through_one_driver(f: &ComputeFixture) {
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let cloud = f.cloud.clone();
            let request = f.request(&format!("conformance-parallel-{i}"));
            tokio::spawn(async move { cloud.create_nodes(&request).await })
        })
        .collect();
    let mut ids = BTreeSet::new();
    for task in tasks {
        for node in task.await.unwrap().unwrap() {
            ids.insert(node.id);
        }
    }
    assert_eq!(ids.len(), 200, "200 distinct nodes");
    let ids: Vec<String> = ids.into_iter().collect();
    assert_eq!(
        wait_until_running(&*f.cloud, &ids, &f.poll)
            .await
            .unwrap()
            .len(),
        200
    );
}

/// Waiting for a node that is destroyed meanwhile fails at once rather than at the deadline.
pub async fn waiting_fails_fast_when_a_node_is_destroyed(f: &ComputeFixture) {
    let id = f
        .cloud
        .create_nodes(&f.request("conformance-doomed"))
        .await
        .unwrap()
        .remove(0)
        .id;
    f.cloud.destroy_node(&id).await.unwrap();
    let err = wait_until_running(&*f.cloud, &[id], &f.poll)
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::Timeout, "{err}");
}

/// Watching reports a node's changes of state, from pending to running.
pub async fn watches_nodes_change_state(f: &ComputeFixture) {
    let id = f
        .cloud
        .create_nodes(&f.request("conformance-watched"))
        .await
        .unwrap()
        .remove(0)
        .id;
    let options = f.poll.clone().with_timeout(Some(Duration::from_secs(120)));
    let mut changes = watch_nodes(f.cloud.clone(), vec![id.clone()], options);
    let mut seen = Vec::new();
    while let Some(change) = changes.next().await {
        let change = change.unwrap();
        seen.push(change.node.state);
        if change.node.state == NodeState::Running {
            break;
        }
    }
    assert_eq!(seen.last(), Some(&NodeState::Running), "{seen:?}");
}
