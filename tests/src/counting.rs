//! A compute driver that counts the listing calls `wait_until_running` makes through it, for the
//! compute benchmarks.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cloud_compute::{ComputeDriver, CreateNode, Image, Location, Node, Size};
use cloud_core::Result;
use futures_util::stream::BoxStream;

/// Wraps a driver; each `list_nodes_by_id` adds one call per `per_call` ids under `action`.
#[derive(Debug)]
pub struct Counting {
    inner: Arc<dyn ComputeDriver>,
    actions: Arc<Mutex<BTreeMap<String, u64>>>,
    action: &'static str,
    per_call: usize,
}

impl Counting {
    /// Counts into `actions`.
    pub fn new(
        inner: Arc<dyn ComputeDriver>,
        actions: Arc<Mutex<BTreeMap<String, u64>>>,
        action: &'static str,
        per_call: usize,
    ) -> Counting {
        Counting {
            inner,
            actions,
            action,
            per_call,
        }
    }

    /// Adds `n` requests of `action`.
    pub fn add(&self, action: &str, n: u64) {
        *self
            .actions
            .lock()
            .unwrap()
            .entry(action.to_owned())
            .or_default() += n;
    }
}

#[cloud_core::async_trait]
impl ComputeDriver for Counting {
    fn provider(&self) -> &'static str {
        self.inner.provider()
    }
    fn capabilities(&self) -> cloud_compute::Capabilities {
        self.inner.capabilities()
    }
    fn list_nodes(&self) -> BoxStream<'static, Result<Node>> {
        self.inner.list_nodes()
    }
    async fn list_nodes_by_id(&self, ids: &[String]) -> Result<Vec<Node>> {
        self.add(self.action, ids.len().div_ceil(self.per_call) as u64);
        self.inner.list_nodes_by_id(ids).await
    }
    async fn create_nodes(&self, request: &CreateNode) -> Result<Vec<Node>> {
        self.inner.create_nodes(request).await
    }
    async fn reboot_node(&self, id: &str) -> Result<()> {
        self.inner.reboot_node(id).await
    }
    async fn destroy_node(&self, id: &str) -> Result<()> {
        self.inner.destroy_node(id).await
    }
    async fn list_sizes(&self) -> Result<Vec<Size>> {
        self.inner.list_sizes().await
    }
    fn list_images(&self) -> BoxStream<'static, Result<Image>> {
        self.inner.list_images()
    }
    async fn list_locations(&self) -> Result<Vec<Location>> {
        self.inner.list_locations().await
    }
}
