//! `cargo xtask bench clouds`: the S3 bench's small-request workloads against each emulator (Azurite,
//! gcp-storage-emulator, Swift), this project's driver against raw hyper sending the same requests.
//! Each (client, workload) runs in a process of its own, so its CPU time and peak RSS are its alone;
//! the emulator's own work is in its process and not counted. Raw hyper authorizes the way a hand-rolled
//! client would at the least: Azure with one account SAS made before timing, Swift with the token from
//! one tempauth call, GCS (the emulator checks no token) with none. Raw hyper sends what the driver
//! sends: for a Swift PUT, the HEAD that asks whether a large object's segments are being replaced,
//! then the PUT.
//!
//! Usage: `bench-clouds [--repeat N] [--replay] [azure] [gcs] [swift]` (all three by default, one
//! round), with `CLOUD_TEST_AZURITE`, `CLOUD_TEST_GCS` and `CLOUD_TEST_SWIFT` naming the servers
//! (xtask starts them). With `--repeat N` the two clients run in N interleaved rounds: each row is
//! the client's median run, and its ratio the median of the rounds' ratios. With `--replay` both
//! clients send ten times as many requests to the emulator's recorded answers on loopback
//! ([`replay`]) instead of the emulator itself, so that their own CPU shows as on the S3 bench.

mod ours;
mod raw;
mod replay;

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use cloud_storage::{StorageDriver, StorageExt};
use cloud_tests::usage::{drive, median, run_measured, usage, Measure};

pub(crate) const SMALL: usize = 1024;
/// Objects per listing page, and in the listed prefix.
pub(crate) const LIST_KEYS: usize = 1000;
/// Requests in flight: the emulators serve few connections at once (the GCS one, one).
pub(crate) const IN_FLIGHT: usize = 4;
pub(crate) const CONTAINER: &str = "bench-clouds";

const WORKLOADS: &[(&str, usize)] = &[
    ("put-1k", 1000),
    ("get-1k", 1000),
    ("head", 1000),
    ("list", 20),
];
const CLIENTS: &[&str] = &["raw", "ours"];
const PROVIDERS: &[&str] = &["azure", "gcs", "swift"];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => run_one(&args[1], &args[2], &args[3], args.get(4)),
        Some("replay") => replay::serve(&args[1]),
        _ => {
            let mut rounds = 1;
            let mut replaying = false;
            let mut chosen: Vec<&str> = Vec::new();
            let mut rest = args.iter().map(String::as_str);
            while let Some(arg) = rest.next() {
                if arg == "--repeat" {
                    rounds = rest
                        .next()
                        .and_then(|n| n.parse().ok())
                        .filter(|n| *n > 0)
                        .expect("--repeat takes a number of rounds");
                } else if arg == "--replay" {
                    replaying = true;
                } else {
                    chosen.push(arg);
                }
            }
            if chosen.is_empty() {
                chosen = PROVIDERS.to_vec();
            }
            for provider in chosen {
                assert!(
                    PROVIDERS.contains(&provider),
                    "unknown provider {provider}; one of {PROVIDERS:?}"
                );
                orchestrate(provider, rounds, replaying);
            }
        }
    }
}

/// Where a run sends its requests: the emulator, or the recorded answers at this address.
struct Replaying {
    server: std::process::Child,
    /// The variable that names the emulator to the clients, and the replay's address for it.
    env: (&'static str, String),
}

impl Drop for Replaying {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// Starts the recorded answers of `provider`'s emulator.
fn replaying(provider: &str) -> Replaying {
    use std::io::BufRead;
    let (name, upstream) = match provider {
        "azure" => ("CLOUD_TEST_AZURITE", cloud_tests::servers::azurite::host()),
        "gcs" => ("CLOUD_TEST_GCS", cloud_tests::servers::gcs::host()),
        _ => ("CLOUD_TEST_SWIFT", cloud_tests::servers::swift::host()),
    };
    let mut server = Command::new(std::env::current_exe().expect("own path"))
        .args(["replay", &upstream])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the replay server");
    let mut address = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    Replaying {
        server,
        env: (name, address.trim().to_owned()),
    }
}

fn measure(
    client: &str,
    provider: &str,
    workload: &str,
    replay: Option<&Replaying>,
) -> Result<Measure, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    command.args(["run", client, provider, workload]);
    if let Some(replay) = replay {
        command
            .env(replay.env.0, &replay.env.1)
            .arg(REPLAY_SCALE.to_string());
    }
    Measure::parse(&run_measured(&mut command)?)
}

/// How many times as many requests a run sends to recorded answers, which answer at once.
const REPLAY_SCALE: usize = 10;

fn orchestrate(provider: &str, rounds: usize, replay: bool) {
    runtime().block_on(prepare(provider));
    let replay = replay.then(|| replaying(provider));
    let against = if replay.is_some() {
        "the emulator's recorded answers on loopback"
    } else {
        "the emulator"
    };
    println!(
        "\n{provider}: raw hyper and this project's driver against {against}; one process per run, \
         the median of {rounds}"
    );
    println!(
        "{:<10} {:<6} {:>12} {:>10} {:>9} {:>7} {:>11}",
        "workload", "client", "CPU/op", "ops/s", "vs raw", "errors", "peak RSS"
    );
    for (workload, _) in WORKLOADS {
        // The clients take turns, round by round, so a slow stretch of the machine falls on both.
        let mut runs: Vec<Vec<Measure>> = vec![Vec::new(); CLIENTS.len()];
        let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); CLIENTS.len()];
        let mut failed: Vec<Option<String>> = vec![None; CLIENTS.len()];
        for _ in 0..rounds {
            let mut raw_cpu = None;
            for (i, client) in CLIENTS.iter().enumerate() {
                match measure(client, provider, workload, replay.as_ref()) {
                    Ok(m) => {
                        let raw = *raw_cpu.get_or_insert(m.cpu_per_op);
                        ratios[i].push(m.cpu_per_op / raw);
                        runs[i].push(m);
                    }
                    Err(e) => failed[i] = Some(e),
                }
            }
        }
        for (i, client) in CLIENTS.iter().enumerate() {
            if let Some(e) = &failed[i] {
                println!("{workload:<10} {client:<6} failed: {e}");
                continue;
            }
            let mut sorted = runs[i].clone();
            sorted.sort_by(|a, b| a.cpu_per_op.total_cmp(&b.cpu_per_op));
            let Some(m) = sorted.get(sorted.len().saturating_sub(1) / 2) else {
                continue;
            };
            let ratio = median(ratios[i].clone()).unwrap_or(f64::NAN);
            // Two decimals, as the S3 bench: a listed key costs a fraction of a microsecond.
            println!(
                "{workload:<10} {client:<6} {:>9.2} µs {:>10.0} {:>8.2}× {:>7} {:>7.1} MiB",
                m.cpu_per_op * 1e6,
                m.ops_per_s,
                ratio,
                m.errors,
                m.rss_kib / 1024.0
            );
        }
    }
}

/// The container and the listed prefix, written with the driver before anything is timed.
async fn prepare(provider: &str) {
    let driver = ours::driver(provider);
    if driver.get_container(CONTAINER).await.is_err() {
        driver
            .create_container(CONTAINER)
            .await
            .expect("the bench container");
    }
    let small = Bytes::from(vec![1u8; SMALL]);
    // The first keys each workload reads, so that the answers recorded for a replay are of objects
    // that exist.
    for i in 0..IN_FLIGHT {
        driver
            .put_bytes(CONTAINER, &format!("k{i}"), small.clone())
            .await
            .expect("the first keys");
    }
    let errors = drive(LIST_KEYS, IN_FLIGHT, |i| {
        let (driver, small) = (driver.clone(), small.clone());
        async move {
            driver
                .put_bytes(CONTAINER, &format!("list/{i:04}"), small)
                .await
                .is_ok()
        }
    })
    .await;
    assert_eq!(
        errors, 0,
        "the listed objects could not be written to {provider}"
    );
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One client, one workload; prints `cpu_seconds wall_seconds ops errors peak_rss_kib`.
fn run_one(client: &str, provider: &str, workload: &str, scale: Option<&String>) {
    let runtime = runtime();
    let scale: usize = scale.map_or(1, |s| s.parse().expect("a scale"));
    let ops = scale
        * WORKLOADS
            .iter()
            .find(|(w, _)| *w == workload)
            .expect("known workload")
            .1;
    // Building the client (and raw's one token or SAS) is not timed.
    let (cpu0, start, errors) = match client {
        "raw" => {
            let target = runtime.block_on(raw::Target::new(provider));
            let (cpu0, _) = usage();
            let start = Instant::now();
            (cpu0, start, runtime.block_on(target.run(workload, ops)))
        }
        "ours" => {
            let driver = ours::driver(provider);
            let (cpu0, _) = usage();
            let start = Instant::now();
            (
                cpu0,
                start,
                runtime.block_on(ours::run(&driver, workload, ops)),
            )
        }
        other => panic!("unknown client {other}"),
    };
    report(cpu0, start, errors, workload, ops);
}

fn report(cpu0: f64, start: Instant, errors: usize, workload: &str, ops: usize) {
    let ops = if workload == "list" {
        ops * LIST_KEYS
    } else {
        ops
    };
    cloud_tests::usage::print_run(cpu0, start, ops, errors);
}

/// The driver as an `Arc`, for tasks.
pub(crate) type Driver = Arc<dyn StorageDriver>;
