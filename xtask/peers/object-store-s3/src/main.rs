//! `object-store-s3-peer WORKLOAD ENDPOINT`: runs one benchmark workload through object_store and prints
//! `cpu_seconds wall_seconds ops errors peak_rss_kib`, as the project's own bench clients do.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures::stream::{FuturesUnordered, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

const SMALL: usize = 1024;
const BIG: u64 = 1 << 30;
const LIST_KEYS: usize = 1000;
const IN_FLIGHT: usize = 32;

fn usage() -> (f64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0);
    (ticks as f64 / 100.0, rss)
}

async fn drive<F, Fut>(ops: usize, in_flight: usize, op: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut pending = FuturesUnordered::new();
    let (mut started, mut errors) = (0, 0);
    while started < ops || !pending.is_empty() {
        while started < ops && (in_flight == 0 || pending.len() < in_flight) {
            pending.push(op(started));
            started += 1;
        }
        if let Some(ok) = pending.next().await {
            errors += usize::from(!ok);
        }
    }
    errors
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (workload, endpoint) = (args[0].clone(), args[1].clone());
    let ops = match workload.as_str() {
        "put-1k" | "get-1k" | "head" => 20_000,
        "list" => 200,
        "put-1g" | "get-1g" => 1,
        "get-10k-concurrent" => 10_000,
        other => panic!("unknown workload {other}"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (cpu0, _) = usage();
    let start = Instant::now();
    let errors = runtime.block_on(async {
        let store: Arc<dyn ObjectStore> = Arc::new(
            AmazonS3Builder::new()
                .with_endpoint(&endpoint)
                .with_bucket_name("bench")
                .with_region("us-east-1")
                .with_access_key_id("AKIABENCH")
                .with_secret_access_key("bench-secret")
                .with_allow_http(true)
                .with_virtual_hosted_style_request(false)
                .build()
                .unwrap(),
        );
        let small = Bytes::from(vec![1u8; SMALL]);
        let in_flight = if workload == "get-10k-concurrent" { 0 } else { IN_FLIGHT };
        match workload.as_str() {
            "put-1k" => {
                drive(ops, IN_FLIGHT, |i| {
                    let (store, small) = (store.clone(), small.clone());
                    async move { store.put(&Path::from(format!("k{i}")), PutPayload::from(small)).await.is_ok() }
                })
                .await
            }
            "get-1k" | "get-10k-concurrent" => {
                drive(ops, in_flight, |i| {
                    let store = store.clone();
                    async move {
                        match store.get(&Path::from(format!("k{i}"))).await {
                            Ok(result) => result.bytes().await.is_ok(),
                            Err(_) => false,
                        }
                    }
                })
                .await
            }
            "head" => {
                drive(ops, IN_FLIGHT, |i| {
                    let store = store.clone();
                    async move { store.head(&Path::from(format!("k{i}"))).await.is_ok() }
                })
                .await
            }
            "list" => {
                drive(ops, IN_FLIGHT, |_| {
                    let store = store.clone();
                    async move { store.list(None).count().await == LIST_KEYS }
                })
                .await
            }
            "put-1g" => {
                let Ok(upload) = store.put_multipart(&Path::from("big")).await else { return 1 };
                let mut writer = WriteMultipart::new(upload);
                let chunk = vec![7u8; 1 << 20];
                for _ in 0..BIG >> 20 {
                    if writer.wait_for_capacity(8).await.is_err() {
                        return 1;
                    }
                    writer.write(&chunk);
                }
                usize::from(writer.finish().await.is_err())
            }
            "get-1g" => {
                let Ok(result) = store.get(&Path::from("big")).await else { return 1 };
                let mut stream = result.into_stream();
                let mut received = 0u64;
                while let Some(chunk) = stream.next().await {
                    match chunk {
                        Ok(chunk) => received += chunk.len() as u64,
                        Err(_) => return 1,
                    }
                }
                usize::from(received != BIG)
            }
            _ => unreachable!(),
        }
    });
    let wall = start.elapsed().as_secs_f64();
    let (cpu1, rss) = usage();
    let ops = if workload == "list" { ops * LIST_KEYS } else { ops };
    println!("{} {wall} {ops} {errors} {rss}", cpu1 - cpu0);
}
