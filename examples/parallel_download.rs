//! Download many files at once, with one shared driver and bounded concurrency.
//!
//! Libcloud's async example downloads several objects at once by giving each thread its own driver.
//! Here one driver (one connection pool, one credential cache) serves every task, and `buffer_unordered`
//! bounds how many downloads run at once. Each download is atomic and verified (`download_file`).
//!
//! ```text
//! cargo run --release -p cloud-examples --example parallel_download               # memory://, seeded
//! CLOUD_LOCAL_ROOT=/srv/objects cargo run --release -p cloud-examples --example parallel_download -- local://photos
//! ```
//!
//! With a URL, every object under it is downloaded; without one, a memory store is seeded with 500
//! objects first.

use std::sync::Arc;
use std::time::Instant;

use cloud::storage::{download_file, from_url, ListOptions, StorageDriver, StorageExt};
use futures_util::TryStreamExt;

const CONCURRENCY: usize = 32;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "memory://seeded".to_owned());
    let (store, url) = from_url(&url)?;
    let container = url
        .container()
        .ok_or("the URL names no container")?
        .to_owned();
    if store.provider() == "memory" {
        seed(&*store, &container).await?;
    }

    // List lazily; each listed object becomes a download task; at most CONCURRENCY run at once.
    let target = tempfile::tempdir()?;
    let prefix = url.key().unwrap_or_default().to_owned();
    let start = Instant::now();
    let (files, bytes) = store
        .list_objects(&container, &ListOptions::new().prefix(prefix))
        .try_filter_map(|entry| async move { Ok(entry.into_object()) })
        .map_ok(|object| {
            let store: Arc<dyn StorageDriver> = store.clone();
            let container = container.clone();
            let path = target.path().join(object.key.replace('/', "_"));
            async move { download_file(&*store, &container, &object.key, &path).await }
        })
        .try_buffer_unordered(CONCURRENCY)
        .try_fold((0u64, 0u64), |(files, bytes), meta| async move {
            Ok((files + 1, bytes + meta.size))
        })
        .await?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "downloaded {files} objects ({:.1} MiB) with one shared {} driver, {CONCURRENCY} at a time, in {seconds:.2} s",
        bytes as f64 / (1 << 20) as f64,
        store.provider(),
    );
    Ok(())
}

/// 500 objects of 64 KiB each.
async fn seed(store: &dyn StorageDriver, container: &str) -> cloud::Result<()> {
    store.create_container(container).await?;
    for i in 0..500 {
        let data = vec![(i % 251) as u8; 64 << 10];
        store
            .put_bytes(container, &format!("photos/{i:04}.jpg"), data)
            .await?;
    }
    Ok(())
}
