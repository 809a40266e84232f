//! `cargo xtask bench compute`: N nodes created, waited until running and destroyed on moto, by this
//! project's EC2 driver and by Apache Libcloud's (8 threads, its docs' recipe; 100 nodes per create call,
//! as ours), reported side by side: wall time, requests made by action, client CPU and peak RSS. moto is
//! reset between contenders.
//!
//! Usage: `bench-compute N` with `CLOUD_TEST_MOTO` set, and `BENCH_LIBCLOUD_EC2` set to the peer's
//! command line (words separated by spaces) to run Libcloud too.

use cloud_tests::counting::Counting;
use cloud_tests::usage::{print_row, report_compute, usage, ComputeRun};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloud_aws::{Credentials, Ec2Builder};
use cloud_compute::{wait_until_running, ComputeDriver, CreateNode};
use cloud_core::{Backoff, DebugLog, HttpClient, PollOptions, ProxyConfig};
use futures_util::TryStreamExt;

/// Nodes per RunInstances call.
const BATCH: u32 = 100;

/// Empties moto (`POST /moto-api/reset`), so each contender starts from nothing.
fn reset(endpoint: &str) {
    use std::io::{Read, Write};
    let authority = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(authority).expect("moto reachable");
    write!(stream, "POST /moto-api/reset HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .expect("reset sent");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "moto could not be reset: {answer}"
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = std::env::var("CLOUD_TEST_MOTO")
        .expect("CLOUD_TEST_MOTO: the moto endpoint (cargo xtask bench compute starts it)");
    if args.first().map(String::as_str) == Some("ours") {
        run_ours(args[1].parse().expect("a number of nodes"), &endpoint);
        return;
    }
    let total: u32 = args
        .first()
        .map_or(1000, |n| n.parse().expect("a number of nodes"));
    println!("{total} nodes on moto: created, waited until running, destroyed");
    println!(
        "{:<10} {:>9} {:>10} {:>16} {:>14} {:>10} {:>10}",
        "client", "wall", "requests", "RunInstances", "Describe…", "CPU", "peak RSS"
    );

    reset(&endpoint);
    print_row(
        "ours",
        Command::new(std::env::current_exe().unwrap())
            .args(["ours", &total.to_string()])
            .env("CLOUD_TEST_MOTO", &endpoint),
    );
    if let Ok(peer) = std::env::var("BENCH_LIBCLOUD_EC2") {
        reset(&endpoint);
        let mut parts = peer.split(' ');
        let program = parts.next().expect("a command");
        print_row(
            "libcloud",
            Command::new(program)
                .args(parts)
                .args([&total.to_string(), &endpoint]),
        );
    }
}

/// One row: this project's driver.
fn run_ours(total: u32, endpoint: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let actions: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let (cpu0, _) = usage();
    let start = Instant::now();
    let result: cloud_core::Result<()> = runtime.block_on(async {
        let client = HttpClient::builder()
            .proxies(ProxyConfig::none())
            .debug_log(DebugLog::default())
            .build()?;
        let ec2 = Arc::new(
            Ec2Builder::new()
                .endpoint(endpoint)
                .credentials(Credentials::new("AKIABENCH", "bench-secret"))
                .http_client(client)
                .build()?,
        );
        let counted = Counting::new(ec2.clone(), actions.clone(), "DescribeInstances", 200);
        let images: Vec<_> = ec2.list_images().try_collect().await?;
        let image = images.first().expect("moto has images").id.clone();
        let mut creates = Vec::new();
        for batch in 0..total.div_ceil(BATCH) {
            let ec2 = ec2.clone();
            let request = CreateNode::new(format!("bench-{batch}"), "t2.micro", &image)
                .count(BATCH.min(total - batch * BATCH));
            creates.push(tokio::spawn(
                async move { ec2.create_nodes(&request).await },
            ));
        }
        let mut ids = Vec::new();
        for create in creates {
            ids.extend(create.await.expect("task")?.into_iter().map(|n| n.id));
        }
        counted.add("RunInstances", u64::from(total.div_ceil(BATCH)));
        let options = PollOptions::default()
            .with_backoff(Backoff::new(
                Duration::from_millis(200),
                Duration::from_secs(2),
            ))
            .with_timeout(Some(Duration::from_secs(600)));
        wait_until_running(&counted, &ids, &options).await?;
        ec2.destroy_nodes(&ids).await?;
        counted.add("TerminateInstances", ids.len().div_ceil(200) as u64);
        Ok(())
    });
    let wall = start.elapsed().as_secs_f64();
    let (cpu1, rss) = usage();
    let actions = actions.lock().unwrap();
    let total_requests: u64 = actions.values().sum();
    let run = ComputeRun {
        wall,
        requests: total_requests,
        creates: actions.get("RunInstances").copied().unwrap_or(0),
        lists: actions.get("DescribeInstances").copied().unwrap_or(0),
        cpu: cpu1 - cpu0,
        rss_kib: rss,
    };
    report_compute(run, result);
}
