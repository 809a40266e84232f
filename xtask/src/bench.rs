//! `cargo xtask bench`: the entry point for every benchmark.

use crate::cmd::{cargo, run as run_cmd};

/// A benchmark: its name, what it measures, and the binary of `cloud-tests` that runs it.
struct Bench {
    name: &'static str,
    what: &'static str,
    binary: &'static str,
}

const BENCHES: &[Bench] = &[Bench {
    name: "http",
    what: "client CPU per 1 KiB GET: the cloud-core pipeline vs raw hyper, same loopback responder",
    binary: "bench-http",
}];

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
        run_cmd(
            cargo()
                .args([
                    "run",
                    "--release",
                    "-p",
                    "cloud-tests",
                    "--bin",
                    bench.binary,
                    "--",
                ])
                .args(&args[1..]),
        )?;
    }
    Ok(())
}
