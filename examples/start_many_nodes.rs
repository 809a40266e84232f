//! Start many nodes at once through one shared driver, and wait until every one runs.
//!
//! Libcloud starts servers one driver per thread and waits with a `wait_until_running` that lists nodes
//! once per node per poll. Here one driver takes every create at once, and the wait costs one listing
//! call per look for all the nodes still booting.
//!
//! ```text
//! cargo run --release -p cloud-examples --example start_many_nodes            # 1,000 nodes, simulated
//! cargo run --release -p cloud-examples --example start_many_nodes -- 5000
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud::compute::{wait_until_running, ComputeDriver, CreateNode, MemoryCompute, Timing};
use cloud::core::{Backoff, PollOptions};

/// Nodes per create request, as a provider takes a count in one call.
const BATCH: u32 = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: u32 = std::env::args().nth(1).map_or(Ok(1000), |n| n.parse())?;
    // Nodes take 3 s to boot in this simulated cloud.
    let memory = MemoryCompute::builder()
        .timing(Timing::uniform(Duration::from_secs(3)))
        .build();
    let cloud: Arc<dyn ComputeDriver> = Arc::new(memory.clone());

    let start = Instant::now();
    let creates: Vec<_> = (0..total.div_ceil(BATCH))
        .map(|batch| {
            let cloud = cloud.clone();
            let count = BATCH.min(total - batch * BATCH);
            tokio::spawn(async move {
                let request = CreateNode::new(format!("worker-{batch}"), "small", "ubuntu-24.04")
                    .count(count);
                cloud.create_nodes(&request).await
            })
        })
        .collect();
    let mut ids = Vec::with_capacity(total as usize);
    for create in creates {
        ids.extend(create.await??.into_iter().map(|node| node.id));
    }
    let created = start.elapsed();

    let calls_before = memory.list_calls();
    let options = PollOptions::default()
        .with_backoff(Backoff::new(
            Duration::from_millis(500),
            Duration::from_secs(2),
        ))
        .with_timeout(Some(Duration::from_secs(600)));
    let running = wait_until_running(&*cloud, &ids, &options).await?;
    println!(
        "{} nodes created in {:.2} s with {} requests; all {} running after {:.2} s, watched with {} listing calls",
        ids.len(),
        created.as_secs_f64(),
        total.div_ceil(BATCH),
        running.len(),
        start.elapsed().as_secs_f64(),
        memory.list_calls() - calls_before,
    );
    Ok(())
}
