//! The fault scenario suite for compute drivers, written once against `dyn ComputeDriver` and run
//! through the [`FaultProxy`] in front of each provider's server (see [`compute_faults!`](crate::compute_faults!)): listings cut
//! short or replaced by garbage, bursts of 429, 500 and 503, and a create whose answer is lost after
//! the server acted on it.

use std::collections::BTreeSet;
use std::sync::Arc;

use cloud_compute::{ComputeDriver, CreateNode};
use cloud_core::{ErrorKind, HttpClient};
use futures_util::TryStreamExt;
use http::Method;

use super::faults::{any, client};
use crate::servers::fault_proxy::{Action, FaultProxy, Matcher, Plan};

/// What a compute fixture's requests are.
pub struct ComputeRequests {
    /// A page of the node listing.
    pub listing: Matcher,
    /// The request that creates nodes.
    pub create: Matcher,
    /// Whether the create carries an idempotency token, so that it may be sent again after it may
    /// have reached the server.
    pub create_is_idempotent: bool,
}

/// A compute driver whose every request goes through a [`FaultProxy`].
pub struct ComputeFaultFixture {
    /// The driver, talking to the proxy.
    pub cloud: Arc<dyn ComputeDriver>,
    /// The faults to come.
    pub plan: Plan,
    /// The proxy, to see what it did.
    pub proxy: FaultProxy,
    /// The provider's requests.
    pub requests: ComputeRequests,
    /// A request the server takes.
    pub create: CreateNode,
    _keep: Box<dyn std::any::Any + Send + Sync>,
}

impl ComputeFaultFixture {
    /// A proxy to `upstream`, and the driver `build` makes for the proxy's endpoint.
    pub async fn new(
        upstream: &str,
        requests: ComputeRequests,
        create: CreateNode,
        build: impl FnOnce(&str, HttpClient) -> Arc<dyn ComputeDriver>,
        keep: impl std::any::Any + Send + Sync,
    ) -> ComputeFaultFixture {
        let plan = Plan::default();
        let proxy = FaultProxy::planned(upstream, plan.clone()).await;
        let cloud = build(&proxy.endpoint(), client());
        ComputeFaultFixture {
            cloud,
            plan,
            proxy,
            requests,
            create,
            _keep: Box::new(keep),
        }
    }

    /// Creates nodes of `size` from the first image the server lists.
    pub async fn creating(mut self, name: &str, size: &str) -> ComputeFaultFixture {
        let image = self.cloud.list_images().try_next().await.unwrap();
        self.create = CreateNode::new(name, size, image.expect("an image to create from").id);
        self
    }

    fn dealt(&self, action: Action) -> usize {
        self.proxy
            .seen()
            .iter()
            .filter(|s| s.action == action)
            .count()
    }

    async fn node_ids(&self) -> cloud_core::Result<BTreeSet<String>> {
        self.cloud.list_nodes().map_ok(|n| n.id).try_collect().await
    }
}

/// Generates one test per scenario for the provider whose fixture `$factory` makes.
#[macro_export]
macro_rules! compute_faults {
    ($factory:path) => {
        $crate::compute_faults!(@each $factory;
            a_node_listing_cut_short_is_read_again,
            bursts_of_429_500_and_503_are_retried_for_reads,
            a_malformed_node_listing_is_an_error_not_an_empty_one,
            a_create_whose_answer_is_lost_is_repeated_only_with_a_token,
        );
    };
    (@each $factory:path; $($scenario:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                let fixture = $factory().await;
                $crate::conformance::compute_faults::$scenario(&fixture).await;
            }
        )*
    };
}

/// A node listing cut short is read again, and lists what an undisturbed one does.
pub async fn a_node_listing_cut_short_is_read_again(f: &ComputeFaultFixture) {
    let before = f.node_ids().await.unwrap();
    f.plan
        .arm(f.requests.listing.clone(), Action::CutResponse(40), 1);
    assert_eq!(f.node_ids().await.unwrap(), before);
    assert_eq!(f.dealt(Action::CutResponse(40)), 1, "the fault was dealt");
}

/// Two of each throttling or failing answer before a read: it is retried and succeeds.
pub async fn bursts_of_429_500_and_503_are_retried_for_reads(f: &ComputeFaultFixture) {
    let sizes = f.cloud.list_sizes().await.unwrap();
    for status in [429, 500, 503] {
        f.plan.arm(any(), Action::Status(status), 2);
        assert_eq!(f.cloud.list_sizes().await.unwrap().len(), sizes.len());
        assert_eq!(f.dealt(Action::Status(status)), 2, "the faults were dealt");
    }
}

/// A node listing answered with something that is not one is an error, never an empty list.
pub async fn a_malformed_node_listing_is_an_error_not_an_empty_one(f: &ComputeFaultFixture) {
    for garbage in ["<<<not a listing", "{\"unexpected\": true}", "[]"] {
        f.plan
            .arm(f.requests.listing.clone(), Action::Replace(garbage), 100);
        let err = f.node_ids().await.expect_err(garbage);
        assert_eq!(err.kind(), ErrorKind::Unexpected, "{garbage:?}: {err}");
        f.plan.clear();
    }
}

/// A create that reached the server but whose answer was lost is sent again only when it carries an
/// idempotency token (which makes the second one return the first one's nodes); without one it is a
/// typed error and is not repeated, since a second create would make a second node.
pub async fn a_create_whose_answer_is_lost_is_repeated_only_with_a_token(f: &ComputeFaultFixture) {
    let before = f.proxy.seen().len();
    f.plan
        .arm(f.requests.create.clone(), Action::Swallow(500), 1);
    let created = f.cloud.create_nodes(&f.create).await;
    let creates: Vec<_> = f.proxy.seen()[before..]
        .iter()
        .filter(|s| (f.requests.create)(&s.method, &s.target) && s.method == Method::POST)
        .cloned()
        .collect();
    if f.requests.create_is_idempotent {
        let nodes = created.expect("retried with its token");
        assert_eq!(nodes.len(), 1);
        assert_eq!(creates.len(), 2, "sent again once");
    } else {
        let err = created.expect_err("a create without a token is not repeated");
        assert_eq!(err.kind(), ErrorKind::ServiceUnavailable, "{err}");
        assert_eq!(creates.len(), 1, "not sent again");
    }
}
