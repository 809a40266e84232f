//! `cargo xtask bench s3`: S3 clients against one loopback S3 responder that stores nothing, so the
//! client's own cost shows. Each (client, workload) runs in a process of its own, so CPU time and peak
//! RSS belong to that run alone.
//!
//! Clients: `raw` (hyper sending the same requests unsigned: the practical limit), `raw-crc` (raw hyper
//! checking the 1 GiB GET's CRC-32C, which `ours` verifies; it runs that workload only), `ours`
//! (cloud-aws S3, signed, verified) and `ours-unchecked` (`ours` reading the 1 GiB object with
//! `GetOptions::skip_checksum`, like for like with `raw`; that workload only). Workloads: 1 KiB PUT, GET and HEAD; LIST pages of 1,000 keys; 1 GiB PUT and
//! GET; 10,000 concurrent GETs.

use cloud_tests::usage::{drive, run_measured, usage, Measure};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use cloud_aws::{Credentials, S3Builder};
use cloud_core::{HttpClient, ProxyConfig};
use cloud_storage::{ListOptions, Payload, PutOptions, StorageDriver, StorageExt};
use futures_util::stream::StreamExt;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod ours;
mod raw;
mod serve;

use serve::serve;
const SMALL: usize = 1024;
const BIG: u64 = 1 << 30;
const LIST_KEYS: usize = 1000;
const IN_FLIGHT: usize = 32;

const WORKLOADS: &[(&str, usize)] = &[
    ("put-1k", 20_000),
    ("get-1k", 20_000),
    ("head", 20_000),
    ("list", 200),
    ("put-1g", 1),
    ("get-1g", 1),
    ("get-10k-concurrent", 10_000),
];
const CLIENTS: &[&str] = &["raw", "raw-crc", "ours", "ours-unchecked"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => serve(),
        Some("run") => run_one(&args[1], &args[2], &args[3]),
        Some("--repeat") => orchestrate(
            args.get(1)
                .and_then(|n| n.parse().ok())
                .filter(|n| *n > 0)
                .expect("--repeat takes a number of runs"),
        ),
        _ => orchestrate(1),
    }
}

/// A client: this binary (`raw`, `ours`) or a peer's command line from `BENCH_S3_PEERS`
/// (`name=command args;…`), which gets the workload and endpoint appended.
struct Client {
    name: String,
    command: Vec<String>,
}

/// A client's median run, and the median of its ratios to raw hyper's run of the same round.
#[derive(Clone, Copy)]
struct Measured {
    run: Measure,
    ratio: f64,
}

/// The best (least CPU per operation) of `best_of` runs; `None` when the client skips the workload.
fn best_run(
    client: &Client,
    workload: &str,
    endpoint: &str,
    best_of: usize,
) -> Result<Option<Measure>, String> {
    let mut best: Option<Measure> = None;
    for _ in 0..best_of {
        if let Some(m) = measure(client, workload, endpoint)? {
            if best.is_none_or(|b| m.cpu_per_op < b.cpu_per_op) {
                best = Some(m);
            }
        }
    }
    Ok(best)
}

/// The run of median CPU per operation (the lower one of an even count).
fn median_run(runs: &[Measure]) -> Option<Measure> {
    let mut sorted = runs.to_vec();
    sorted.sort_by(|a, b| a.cpu_per_op.total_cmp(&b.cpu_per_op));
    sorted.get(sorted.len().saturating_sub(1) / 2).copied()
}

fn clients(exe: &std::path::Path) -> Vec<Client> {
    let mut clients: Vec<Client> = CLIENTS
        .iter()
        .map(|name| Client {
            name: (*name).to_owned(),
            command: vec![exe.display().to_string(), "run".into(), (*name).to_owned()],
        })
        .collect();
    if let Ok(peers) = std::env::var("BENCH_S3_PEERS") {
        for peer in peers.split(';').filter(|p| !p.is_empty()) {
            if let Some((name, command)) = peer.split_once('=') {
                let command = command.split(' ').map(str::to_owned).collect();
                clients.push(Client {
                    name: name.to_owned(),
                    command,
                });
            }
        }
    }
    clients
}

fn measure(client: &Client, workload: &str, endpoint: &str) -> Result<Option<Measure>, String> {
    let line = run_measured(
        Command::new(&client.command[0])
            .args(&client.command[1..])
            .args([workload, endpoint]),
    )?;
    if line == "skip" {
        return Ok(None);
    }
    Measure::parse(&line).map(Some)
}

/// Runs every (workload, client) pair `repeat` times, in rounds that take each client in turn, and
/// reports each client's median run (by CPU per operation) and the median of its per-round ratios to
/// raw hyper.
fn orchestrate(repeat: usize) {
    let exe = std::env::current_exe().expect("own path");
    let mut responder = Command::new(&exe)
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("responder");
    let mut line = String::new();
    BufReader::new(responder.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = format!("http://{}", line.trim());
    let clients = clients(&exe);
    let mut results = std::collections::BTreeMap::new();
    println!(
        "S3 clients against a loopback responder that stores nothing; one process per run, best of 3 for 1 GiB{}",
        if repeat > 1 {
            format!("; the median of {repeat} runs")
        } else {
            String::new()
        }
    );
    println!(
        "{:<20} {:<15} {:>14} {:>12} {:>9} {:>8} {:>12}",
        "workload", "client", "CPU/op", "ops/s", "vs raw", "errors", "peak RSS"
    );
    for (workload, ops) in WORKLOADS {
        let best_of = if *ops == 1 { 3 } else { 1 };
        // Rounds interleave the clients, so that a stretch where the machine is slower weighs on every
        // client alike, and each round's ratio compares runs made one after the other.
        let mut runs: Vec<Vec<Measure>> = vec![Vec::new(); clients.len()];
        let mut failed = vec![false; clients.len()];
        for round in 0..repeat {
            // This project's clients run side by side, raw hyper first in one round and last in the
            // next: whichever runs first after the peers finds the machine as they left it (a Python
            // process just gone), and that should not fall on the same client every round.
            let mut order: Vec<usize> = (0..clients.len()).collect();
            if round % 2 == 1 {
                order[..CLIENTS.len()].reverse();
            }
            for i in order {
                let client = &clients[i];
                if failed[i] {
                    continue;
                }
                match best_run(client, workload, &endpoint, best_of) {
                    Ok(m) => runs[i].extend(m),
                    Err(e) => {
                        println!("{workload:<20} {:<15} failed: {e}", client.name);
                        failed[i] = true;
                    }
                }
            }
        }
        let raw_runs = clients
            .iter()
            .position(|c| c.name == "raw")
            .map(|i| runs[i].clone())
            .unwrap_or_default();
        for (client, runs) in clients.iter().zip(runs) {
            let Some(m) = median_run(&runs) else {
                continue;
            };
            // The median of the rounds' ratios, each of two runs made side by side.
            let ratios: Vec<f64> = runs
                .iter()
                .zip(&raw_runs)
                .map(|(r, raw)| r.cpu_per_op / raw.cpu_per_op)
                .collect();
            let ratio = cloud_tests::usage::median(ratios).unwrap_or(f64::NAN);
            results.insert(
                (workload.to_string(), client.name.clone()),
                Measured { run: m, ratio },
            );
            println!(
                "{workload:<20} {:<15} {:>11.2} µs {:>12.0} {:>8.2}× {:>8} {:>8.1} MiB",
                client.name,
                m.cpu_per_op * 1e6,
                m.ops_per_s,
                ratio,
                m.errors,
                m.rss_kib / 1024.0
            );
        }
    }
    let _ = responder.kill();
    let _ = responder.wait();
    print_targets(&results);
    end_to_end();
}

/// The same client end to end against s3s-fs (which verifies signatures and writes to disk), in this
/// process: what a user sees from a real, if local, S3 server.
fn end_to_end() {
    use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = S3sServer::start().await;
        let s3 = s3_client(&server.endpoint(), ACCESS_KEY, SECRET_KEY);
        s3.create_container("bench").await.unwrap();
        println!("\nend to end on s3s-fs (in this process, SigV4 verified, objects on disk)");
        let small = Bytes::from(vec![1u8; SMALL]);
        per_second("1 KiB PUT", |i| {
            let (s3, small) = (s3.clone(), small.clone());
            async move {
                s3.put_bytes("bench", &format!("small/{i}"), small)
                    .await
                    .is_ok()
            }
        })
        .await;
        per_second("1 KiB GET", |i| {
            let s3 = s3.clone();
            async move { s3.get_bytes("bench", &format!("small/{i}")).await.is_ok() }
        })
        .await;
        let start = Instant::now();
        let listed = s3
            .list_objects("bench", &ListOptions::new().prefix("small/"))
            .count()
            .await;
        println!(
            "  LIST: {:.0} keys/s ({listed} keys)",
            listed as f64 / start.elapsed().as_secs_f64()
        );
        let start = Instant::now();
        let stored = s3
            .put_object(
                "bench",
                "big",
                Payload::from_stream(big_chunks(), Some(BIG)),
                &PutOptions::new(),
            )
            .await;
        println!(
            "  1 GiB PUT: {:.0} MiB/s ({})",
            1024.0 / start.elapsed().as_secs_f64(),
            if stored.is_ok() { "ok" } else { "failed" }
        );
        let start = Instant::now();
        let read = match s3.get_object("bench", "big", &Default::default()).await {
            Ok(result) => {
                result
                    .body
                    .fold(
                        0u64,
                        |n, c| async move { n + c.map_or(0, |c| c.len() as u64) },
                    )
                    .await
            }
            Err(_) => 0,
        };
        println!(
            "  1 GiB GET: {:.0} MiB/s ({} bytes)",
            1024.0 / start.elapsed().as_secs_f64(),
            read
        );
    });
}

/// 2,000 operations `op`, `IN_FLIGHT` at a time, reported as objects a second.
async fn per_second<F, Fut>(label: &str, op: F)
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let n = 2000;
    let start = Instant::now();
    let errors = drive(n, IN_FLIGHT, op).await;
    println!(
        "  {label}: {:.0} objects/s, {errors} errors",
        n as f64 / start.elapsed().as_secs_f64()
    );
}

/// The targets of the S3 work, met or not, from the measurements.
fn print_targets(results: &std::collections::BTreeMap<(String, String), Measured>) {
    let get = |w: &str, c: &str| results.get(&(w.to_owned(), c.to_owned())).copied();
    let verdict = |met: bool| if met { "met" } else { "not met" };
    println!("\ntargets");
    for (w, target) in [
        ("put-1k", 1.3),
        ("get-1k", 1.3),
        ("head", 1.3),
        ("list", 3.0),
        ("put-1g", 1.5),
        ("get-1g", 1.1),
    ] {
        if let Some(ours) = get(w, "ours") {
            let ratio = ours.ratio;
            if w == "get-1g" {
                // Raw hyper checks nothing: the target holds each read to raw hyper doing the same work.
                println!(
                    "  {w}: CPU/op {ratio:.2}× raw hyper, with the CRC-32C check raw hyper does not make"
                );
            } else {
                println!(
                    "  {w}: CPU/op {ratio:.2}× raw hyper (target ≤ {target}×): {}",
                    verdict(ratio <= target)
                );
            }
        }
        // The peers' targets are per request; 1 GiB transfers are bound by the link, not the client.
        if w.ends_with("1g") {
            continue;
        }
        if let (Some(ours), Some(peer)) = (get(w, "ours"), get(w, "object_store")) {
            let ratio = ours.ratio / peer.ratio;
            println!(
                "  {w}: CPU/op {ratio:.2}× object_store (target ≤ 1×): {}",
                verdict(ratio <= 1.0)
            );
        }
        if let (Some(ours), Some(peer)) = (get(w, "ours"), get(w, "libcloud")) {
            let ratio = ours.run.ops_per_s / peer.run.ops_per_s;
            println!(
                "  {w}: throughput {ratio:.1}× Libcloud's (target ≥ 10×): {}",
                verdict(ratio >= 10.0)
            );
        }
    }
    if let (Some(ours), Some(verified)) = (get("get-1g", "ours"), get("get-1g", "raw-crc")) {
        let ratio = ours.ratio / verified.ratio;
        println!(
            "  get-1g, checked: CPU/op {ratio:.2}× raw hyper checking the same CRC-32C (target ≤ 1.1×; the check itself: {:.2}× raw): {}",
            verified.ratio,
            verdict(ratio <= 1.1)
        );
    }
    if let Some(unchecked) = get("get-1g", "ours-unchecked") {
        let ratio = unchecked.ratio;
        println!(
            "  get-1g, unchecked (skip_checksum): CPU/op {ratio:.2}× raw hyper (target ≤ 1.1×): {}",
            verdict(ratio <= 1.1)
        );
    }
    for (w, budget) in [("put-1g", 64.0), ("get-1g", 16.0)] {
        if let Some(ours) = get(w, "ours") {
            let mib = ours.run.rss_kib / 1024.0;
            println!(
                "  {w}: peak RSS {mib:.1} MiB (target ≤ {budget} MiB): {}",
                verdict(mib <= budget)
            );
        }
    }
    if let Some(ours) = get("get-10k-concurrent", "ours") {
        let mib = ours.run.rss_kib / 1024.0;
        let met = ours.run.errors == 0.0 && mib <= 200.0;
        println!(
            "  10,000 concurrent GETs: {} errors, peak RSS {mib:.1} MiB (target 0 and ≤ 200 MiB): {}",
            ours.run.errors,
            verdict(met)
        );
    }
}

/// One client, one workload; prints `cpu_seconds wall_seconds ops errors peak_rss_kib`.
fn run_one(client: &str, workload: &str, endpoint: &str) {
    if (client == "raw-crc" || client == "ours-unchecked") && workload != "get-1g" {
        println!("skip");
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ops = WORKLOADS
        .iter()
        .find(|(w, _)| *w == workload)
        .expect("known workload")
        .1;
    let (cpu0, _) = usage();
    let start = Instant::now();
    let errors = runtime.block_on(async {
        match client {
            "raw" => raw::run(workload, endpoint, ops).await,
            "raw-crc" => raw::get_verified(endpoint).await,
            "ours" => ours::run(workload, endpoint, ops).await,
            "ours-unchecked" => ours::get_unchecked(endpoint).await,
            other => panic!("unknown client {other}"),
        }
    });
    let ops = if workload == "list" {
        ops * LIST_KEYS
    } else {
        ops
    };
    cloud_tests::usage::print_run(cpu0, start, ops, errors);
}

fn concurrency(workload: &str) -> usize {
    if workload == "get-10k-concurrent" {
        0
    } else {
        IN_FLIGHT
    }
}

/// A 1 GiB body as a stream of 1 MiB chunks, without holding it.
fn big_chunks() -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let chunk = Bytes::from(vec![7u8; 1 << 20]);
    futures_util::stream::iter((0..BIG >> 20).map(move |_| Ok(chunk.clone())))
}

/// The S3 driver with default settings, as a user gets it (the concurrency limit included), without
/// the proxies of the environment.
fn s3_client(endpoint: &str, access_key: &str, secret_key: &str) -> Arc<cloud_aws::S3> {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .unwrap();
    Arc::new(
        S3Builder::new()
            .endpoint(endpoint)
            .credentials(Credentials::new(access_key, secret_key))
            .http_client(client)
            .build()
            .unwrap(),
    )
}
