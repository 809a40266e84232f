//! `cargo xtask bench compute` on OpenStack: N nodes created, waited until running and destroyed on
//! mimic by this project's Nova driver and by Apache Libcloud's OpenStack driver (8 threads, its docs'
//! recipe), side by side: wall time, requests made, client CPU and peak RSS. Each contender works in a
//! tenant of its own, so each starts from nothing.
//!
//! Usage: `bench-compute-nova N` with `CLOUD_TEST_MIMIC` set, and `BENCH_LIBCLOUD_NOVA` set to the
//! peer's command line (words separated by spaces) to run Libcloud too.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloud_compute::{wait_until_running, ComputeDriver, CreateNode};
use cloud_core::{Backoff, DebugLog, HttpClient, PollOptions, ProxyConfig};
use cloud_openstack::{Credentials, ImageApi, NovaBuilder};
use cloud_tests::counting::Counting;
use cloud_tests::usage::{print_row, report_compute, usage, ComputeRun};
use futures_util::TryStreamExt;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = std::env::var("CLOUD_TEST_MIMIC")
        .expect("CLOUD_TEST_MIMIC: the mimic endpoint (cargo xtask bench compute starts it)");
    let auth_url = format!("{}/identity/v2.0", endpoint.trim_end_matches('/'));
    if args.first().map(String::as_str) == Some("ours") {
        run_ours(args[1].parse().expect("a number of nodes"), &auth_url);
        return;
    }
    let total: u32 = args
        .first()
        .map_or(1000, |n| n.parse().expect("a number of nodes"));
    println!("{total} nodes on mimic (Nova): created, waited until running, destroyed");
    println!(
        "{:<10} {:>9} {:>10} {:>16} {:>14} {:>10} {:>10}",
        "client", "wall", "requests", "POST /servers", "listings", "CPU", "peak RSS"
    );
    print_row(
        "ours",
        Command::new(std::env::current_exe().unwrap())
            .args(["ours", &total.to_string()])
            .env("CLOUD_TEST_MIMIC", &endpoint),
    );
    if let Ok(peer) = std::env::var("BENCH_LIBCLOUD_NOVA") {
        let tenant = format!("bench-libcloud-{}", std::process::id());
        let mut parts = peer.split(' ');
        let program = parts.next().expect("a command");
        print_row(
            "libcloud",
            Command::new(program)
                .args(parts)
                .args([&total.to_string(), &auth_url, &tenant]),
        );
    }
}

/// One row: this project's driver.
fn run_ours(total: u32, auth_url: &str) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let actions: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let tenant = format!("bench-ours-{}", std::process::id());
    let (cpu0, _) = usage();
    let start = Instant::now();
    let result: cloud_core::Result<()> = runtime.block_on(async {
        let client = HttpClient::builder()
            .proxies(ProxyConfig::none())
            .debug_log(DebugLog::default())
            .build()?;
        let nova = Arc::new(
            NovaBuilder::new()
                .credentials(Credentials::password(auth_url, &tenant, "bench", &tenant))
                .region("ORD")
                .compute_service_name("cloudServersOpenStack")
                .image_api(ImageApi::Nova)
                .http_client(client)
                .build()?,
        );
        // Nova lists up to 1,000 servers a page.
        let counted = Counting::new(nova.clone(), actions.clone(), "GET /servers/detail", 1000);
        let image = nova
            .list_images()
            .try_next()
            .await?
            .expect("mimic has images")
            .id;
        let ids: Vec<String> = nova
            .create_nodes(&CreateNode::new("bench", "2", &image).count(total))
            .await?
            .into_iter()
            .map(|n| n.id)
            .collect();
        counted.add("POST /servers", u64::from(total));
        let options = PollOptions::default()
            .with_backoff(Backoff::new(
                Duration::from_millis(200),
                Duration::from_secs(2),
            ))
            .with_timeout(Some(Duration::from_secs(600)));
        wait_until_running(&counted, &ids, &options).await?;
        nova.destroy_nodes(&ids).await?;
        counted.add("DELETE /servers", ids.len() as u64);
        Ok(())
    });
    let wall = start.elapsed().as_secs_f64();
    let (cpu1, rss) = usage();
    let actions = actions.lock().unwrap();
    // The token and the image listing besides.
    let total_requests: u64 = actions.values().sum::<u64>() + 2;
    let run = ComputeRun {
        wall,
        requests: total_requests,
        creates: actions.get("POST /servers").copied().unwrap_or(0),
        lists: actions.get("GET /servers/detail").copied().unwrap_or(0),
        cpu: cpu1 - cpu0,
        rss_kib: rss,
    };
    report_compute(run, result);
}
