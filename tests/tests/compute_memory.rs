//! The compute conformance suite on `MemoryCompute`, on a fake clock: state changes happen as the
//! waits advance it, so the suite runs in no real time.

use std::sync::Arc;
use std::time::Duration;

use cloud_core::{Backoff, Jitter, ManualClock, PollOptions};
use cloud_local::MemoryCompute;
use cloud_tests::conformance::compute::ComputeFixture;

async fn fixture() -> ComputeFixture {
    let clock = ManualClock::new();
    let cloud = MemoryCompute::builder()
        .clock(Arc::new(clock.clone()))
        .build();
    let poll = PollOptions::default()
        .with_clock(Arc::new(clock))
        .with_backoff(
            Backoff::new(Duration::from_secs(1), Duration::from_secs(4))
                .with_jitter(Jitter::fixed(0.5)),
        )
        .with_timeout(Some(Duration::from_secs(600)));
    let counter = cloud.clone();
    ComputeFixture::new(Arc::new(cloud), poll, "small", "ubuntu-24.04", ())
        .counting_list_calls(move || counter.list_calls())
}

cloud_tests::compute_conformance!(fixture);
