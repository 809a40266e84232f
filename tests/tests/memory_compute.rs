//! `MemoryCompute` beyond the conformance suite: its timing, its faults, and its keys.

use std::sync::Arc;
use std::time::Duration;

use cloud_compute::{ComputeDriver, CreateNode, NodeState};
use cloud_core::{ErrorKind, ManualClock};
use cloud_local::{Faults, MemoryCompute, Timing};
use futures_util::TryStreamExt;

fn cloud(clock: &ManualClock) -> MemoryCompute {
    MemoryCompute::builder()
        .clock(Arc::new(clock.clone()))
        .timing(Timing::uniform(Duration::from_secs(5)))
        .build()
}

#[tokio::test]
async fn nodes_change_state_only_as_time_passes() {
    let clock = ManualClock::new();
    let cloud = cloud(&clock);
    let id = cloud
        .create_nodes(&CreateNode::new("n", "small", "debian-12"))
        .await
        .unwrap()
        .remove(0)
        .id;
    clock.advance(Duration::from_secs(4));
    assert_eq!(cloud.get_node(&id).await.unwrap().state, NodeState::Pending);
    clock.advance(Duration::from_secs(1));
    assert_eq!(cloud.get_node(&id).await.unwrap().state, NodeState::Running);
    cloud.stop_node(&id).await.unwrap();
    assert_eq!(
        cloud.get_node(&id).await.unwrap().state,
        NodeState::Stopping
    );
    let err = cloud.start_node(&id).await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Conflict,
        "a stopping node cannot start: {err}"
    );
    clock.advance(Duration::from_secs(5));
    assert_eq!(cloud.get_node(&id).await.unwrap().state, NodeState::Stopped);
}

#[tokio::test]
async fn every_nth_create_fails_and_creates_nothing() {
    let clock = ManualClock::new();
    let cloud = MemoryCompute::builder()
        .clock(Arc::new(clock.clone()))
        .fail_creates_every(3)
        .build();
    let request = CreateNode::new("n", "small", "debian-12");
    cloud.create_nodes(&request).await.unwrap();
    cloud.create_nodes(&request).await.unwrap();
    let err = cloud.create_nodes(&request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ServiceUnavailable);
    let nodes: Vec<_> = cloud.list_nodes().try_collect().await.unwrap();
    assert_eq!(nodes.len(), 2);
}

#[tokio::test]
async fn throttling_is_rate_limited() {
    let cloud = MemoryCompute::builder()
        .faults(Faults::new().throttle_every(2))
        .build();
    cloud.list_sizes().await.unwrap();
    assert_eq!(
        cloud.list_sizes().await.unwrap_err().kind(),
        ErrorKind::RateLimited
    );
}

#[tokio::test]
async fn created_key_pairs_are_real_openssh_keys() {
    let cloud = MemoryCompute::new();
    let pair = cloud.create_key_pair("deploy").await.unwrap();
    let private = ssh_key::PrivateKey::from_openssh(pair.private_key.unwrap().expose()).unwrap();
    let public = private.public_key().to_openssh().unwrap();
    assert_eq!(pair.public_key.as_deref(), Some(public.as_str()));
    assert_eq!(
        pair.fingerprint,
        Some(
            private
                .public_key()
                .fingerprint(ssh_key::HashAlg::Sha256)
                .to_string()
        )
    );
    let err = cloud.create_key_pair("deploy").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}
