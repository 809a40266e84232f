//! `cargo xtask bench`: the entry point for every benchmark.

use crate::cmd::{cargo, run as run_cmd};

/// How a benchmark runs.
enum Runner {
    /// A binary of the `cloud-tests` crate.
    Binary(&'static str),
    /// A function of this task runner (for benchmarks of whole commands).
    Task(fn(&[String]) -> Result<(), String>),
}

/// A benchmark: its name, what it measures, and how it runs.
struct Bench {
    name: &'static str,
    what: &'static str,
    runner: Runner,
}

const BENCHES: &[Bench] = &[
    Bench {
        name: "http",
        what: "client CPU per 1 KiB GET: the cloud-core pipeline vs raw hyper, same loopback responder",
        runner: Runner::Binary("bench-http"),
    },
    Bench {
        name: "s3",
        what: "S3: raw hyper, cloud-aws, object_store and Libcloud on one loopback responder (small requests, LIST, 1 GiB, 10k concurrent GETs)",
        runner: Runner::Task(crate::peers::run_s3),
    },
    Bench {
        name: "clouds",
        what: "Azure, GCS and Swift on their emulators: small PUT/GET/HEAD and LIST, the driver vs raw hyper sending the same requests",
        runner: Runner::Task(run_clouds),
    },
    Bench {
        name: "storage-local",
        what: "10,000 small files and 1 GiB up and down through local:// with the CLI, vs cp -r",
        runner: Runner::Task(crate::storage_local::run_bench),
    },
    Bench {
        name: "compute",
        what: "EC2 on moto: N nodes (default 1000) created, waited until running, destroyed; cloud-aws vs Libcloud",
        runner: Runner::Task(crate::peers::run_compute),
    },
];

/// Starts Azurite, gcp-storage-emulator and Swift, then runs `bench-clouds` against them.
fn run_clouds(args: &[String]) -> Result<(), String> {
    let servers = crate::servers::emulators()?;
    let mut command = binary("bench-clouds");
    command.args(args);
    for server in &servers {
        command.envs(server.env.iter().cloned());
    }
    run_cmd(&mut command)
}

/// `cargo run` of the `cloud-tests` binary `name`, built for release; arguments follow.
pub(crate) fn binary(name: &str) -> std::process::Command {
    let mut command = cargo();
    command.args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "cloud-tests",
        "--bin",
        name,
        "--",
    ]);
    command
}

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let Some(name) = args.first() else {
        println!("benchmarks (run one with `cargo xtask bench NAME`, or all with `cargo xtask bench all`):");
        for bench in BENCHES {
            println!("  {:16} {}", bench.name, bench.what);
        }
        return Ok(());
    };
    let selected: Vec<&Bench> = if name == "all" {
        BENCHES.iter().collect()
    } else {
        let bench = BENCHES.iter().find(|b| b.name == name).ok_or_else(|| {
            format!("no benchmark named `{name}`; run `cargo xtask bench` for the list")
        })?;
        vec![bench]
    };
    for bench in selected {
        match bench.runner {
            Runner::Binary(name) => run_cmd(binary(name).args(&args[1..]))?,
            Runner::Task(task) => task(&args[1..])?,
        }
    }
    Ok(())
}
