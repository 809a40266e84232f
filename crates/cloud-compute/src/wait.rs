//! Waiting for nodes, and watching them change, at the cost of one list call per look for all of them.
//!
//! Libcloud's `wait_until_running` lists nodes once per node per poll, and its EC2 `list_nodes` never
//! follows `NextToken`, so with a thousand nodes it times out. Here every look is one
//! [`list_nodes_by_id`](ComputeDriver::list_nodes_by_id) call for all the nodes still awaited.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cloud_core::{poll_until, Error, ErrorKind, PollOptions, Result};
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::driver::ComputeDriver;
use crate::types::{Node, NodeState};

/// Waits until every node in `ids` is running and returns them, in the order of `ids`.
///
/// Each look is one `list_nodes_by_id` call for all the nodes not yet running. Fails at once if a node
/// ends up terminated or in error, and with [`ErrorKind::Timeout`] (naming the laggards and their
/// states) at the deadline of `options`; cancellation through `options` ends the wait too.
pub async fn wait_until_running(
    driver: &dyn ComputeDriver,
    ids: &[String],
    options: &PollOptions,
) -> Result<Vec<Node>> {
    let running: Mutex<BTreeMap<String, Node>> = Mutex::new(BTreeMap::new());
    let last_seen: Mutex<BTreeMap<String, NodeState>> = Mutex::new(BTreeMap::new());
    let probe = || async {
        let waiting: Vec<String> = {
            let running = running.lock().unwrap_or_else(|e| e.into_inner());
            ids.iter()
                .filter(|id| !running.contains_key(*id))
                .cloned()
                .collect()
        };
        if waiting.is_empty() {
            return Ok(0);
        }
        let nodes = driver.list_nodes_by_id(&waiting).await?;
        let mut running = running.lock().unwrap_or_else(|e| e.into_inner());
        let mut seen = last_seen.lock().unwrap_or_else(|e| e.into_inner());
        for node in nodes {
            seen.insert(node.id.clone(), node.state);
            if node.state.is_final() {
                return Err(Error::new(
                    ErrorKind::Unexpected,
                    format!("node {} is {} and will not run", node.id, node.state),
                ));
            }
            if node.state == NodeState::Running {
                running.insert(node.id.clone(), node);
            }
        }
        Ok(ids.len() - running.len())
    };
    match poll_until(options, probe, |left| *left == 0).await {
        Ok(_) => {
            let mut running = running.into_inner().unwrap_or_else(|e| e.into_inner());
            Ok(ids.iter().filter_map(|id| running.remove(id)).collect())
        }
        Err(err) if err.kind() == ErrorKind::Timeout => {
            let seen = last_seen.into_inner().unwrap_or_else(|e| e.into_inner());
            let running = running.into_inner().unwrap_or_else(|e| e.into_inner());
            let laggards: Vec<String> = ids
                .iter()
                .filter(|id| !running.contains_key(*id))
                .take(10)
                .map(|id| match seen.get(id) {
                    Some(state) => format!("{id} ({state})"),
                    None => format!("{id} (not listed)"),
                })
                .collect();
            Err(err.with_message(format!(
                "{} of {} nodes are not running yet: {}",
                ids.len() - running.len(),
                ids.len(),
                laggards.join(", ")
            )))
        }
        Err(err) => Err(err),
    }
}

/// A node seen in a new state.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NodeChange {
    /// The node as now seen.
    pub node: Node,
    /// Its state at the previous look (`None` at the first).
    pub previous: Option<NodeState>,
}

/// A stream of the state changes of the nodes `ids`, looking at all of them with one
/// `list_nodes_by_id` call each time `options`' backoff says to. The first look reports every node; the
/// stream ends when every node has reached a final state (or the deadline of `options` passes).
pub fn watch_nodes(
    driver: Arc<dyn ComputeDriver>,
    ids: Vec<String>,
    options: PollOptions,
) -> BoxStream<'static, Result<NodeChange>> {
    struct Watch {
        driver: Arc<dyn ComputeDriver>,
        ids: Vec<String>,
        options: PollOptions,
        states: BTreeMap<String, NodeState>,
        delay: Option<std::time::Duration>,
        started: std::time::Instant,
    }
    let started = options.clock.now();
    let watch = Watch {
        driver,
        ids,
        options,
        states: BTreeMap::new(),
        delay: None,
        started,
    };
    stream::unfold(Some(watch), |state| async move {
        let mut watch = state?;
        loop {
            let all_final = !watch.ids.is_empty()
                && watch
                    .ids
                    .iter()
                    .all(|id| watch.states.get(id).is_some_and(|s| s.is_final()));
            let timed_out = watch.options.timeout.is_some_and(|limit| {
                watch
                    .options
                    .clock
                    .now()
                    .saturating_duration_since(watch.started)
                    >= limit
            });
            if all_final
                || timed_out
                || watch
                    .options
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.is_cancelled())
            {
                return None;
            }
            if let Some(delay) = watch.delay {
                watch.options.clock.sleep(delay).await;
            }
            let next = match watch.delay {
                None => watch.options.backoff.first(),
                Some(previous) => watch.options.backoff.next(previous),
            };
            watch.delay = Some(next);
            let nodes = match watch.driver.list_nodes_by_id(&watch.ids).await {
                Ok(nodes) => nodes,
                Err(err) => return Some((vec![Err(err)], None)),
            };
            let changes: Vec<Result<NodeChange>> = nodes
                .into_iter()
                .filter_map(|node| {
                    let previous = watch.states.insert(node.id.clone(), node.state);
                    (previous != Some(node.state)).then_some(Ok(NodeChange { node, previous }))
                })
                .collect();
            if !changes.is_empty() {
                return Some((changes, Some(watch)));
            }
        }
    })
    .flat_map(stream::iter)
    .boxed()
}
