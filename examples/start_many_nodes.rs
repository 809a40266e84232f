//! Start many nodes at once through one shared driver, and wait until every one runs.
//!
//! Libcloud starts servers one driver per thread and waits with a `wait_until_running` that lists nodes
//! once per node per poll. Here one driver takes every create at once, and the wait costs one listing
//! call per look for all the nodes still booting.
//!
//! ```text
//! cargo run --release -p cloud-examples --example start_many_nodes            # 1,000 nodes, simulated
//! cargo run --release -p cloud-examples --example start_many_nodes -- 5000
//! AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y \
//!   cargo run --release -p cloud-examples --example start_many_nodes -- 200 ec2   # EC2 (here moto)
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud::compute::{
    wait_until_running, ComputeDriver, CreateNode, Ec2Builder, MemoryCompute, Timing,
};
use cloud::core::{Backoff, PollOptions};
use futures_util::TryStreamExt;

/// Nodes per create request, as a provider takes a count in one call.
const BATCH: u32 = 50;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: u32 = std::env::args().nth(1).map_or(Ok(1000), |n| n.parse())?;
    let provider = std::env::args()
        .nth(2)
        .unwrap_or_else(|| "memory".to_owned());
    // Nodes take 3 s to boot in the simulated cloud, which counts the listing calls it answers.
    let memory = MemoryCompute::builder()
        .timing(Timing::uniform(Duration::from_secs(3)))
        .build();
    let (cloud, size, image): (Arc<dyn ComputeDriver>, String, String) = match provider.as_str() {
        "memory" => (
            Arc::new(memory.clone()),
            "small".into(),
            "ubuntu-24.04".into(),
        ),
        "ec2" => {
            let ec2 = Ec2Builder::from_env().build()?;
            let images: Vec<_> = ec2.list_images().try_collect().await?;
            let image = images.first().ok_or("no image to start from")?.id.clone();
            (Arc::new(ec2), "t2.micro".into(), image)
        }
        other => return Err(format!("unknown provider {other}: memory or ec2").into()),
    };

    let start = Instant::now();
    let creates: Vec<_> = (0..total.div_ceil(BATCH))
        .map(|batch| {
            let (cloud, size, image) = (cloud.clone(), size.clone(), image.clone());
            let count = BATCH.min(total - batch * BATCH);
            tokio::spawn(async move {
                let request = CreateNode::new(format!("worker-{batch}"), size, image).count(count);
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
    let watched = match provider.as_str() {
        "memory" => format!("{} listing calls", memory.list_calls() - calls_before),
        _ => "one DescribeInstances call per look".to_owned(),
    };
    println!(
        "{provider}: {} nodes created in {:.2} s with {} requests; all {} running after {:.2} s, watched with {watched}",
        ids.len(),
        created.as_secs_f64(),
        total.div_ceil(BATCH),
        running.len(),
        start.elapsed().as_secs_f64(),
    );
    Ok(())
}
