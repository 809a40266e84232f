//! The benchmarks run against peers. `bench s3`: object_store (built from `xtask/peers/object-store-s3`,
//! outside the workspace) and Apache Libcloud (installed from PyPI into `.cache/venv`), run by the
//! `bench-s3` binary beside this project's client against the same loopback responder. `bench compute`:
//! Libcloud's EC2 driver (`xtask/peers/libcloud_ec2.py`) beside cloud-aws's, run by `bench-compute` on moto,
//! and its OpenStack driver (`xtask/peers/libcloud_nova.py`) beside Nova's, run by `bench-compute-nova` on mimic.

use crate::cmd::{cargo, run, workspace_root};
use crate::servers::python_with;

/// `cargo xtask bench s3 [--repeat N]`: with `--repeat`, each figure is the median of N runs.
pub(crate) fn run_s3(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let peers_target = root.join("target/peers");
    run(cargo()
        .current_dir(root.join("xtask/peers/object-store-s3"))
        .env("CARGO_TARGET_DIR", &peers_target)
        .args(["build", "--release", "--quiet"]))?;
    let python = python_with("libcloud", "apache-libcloud")?;
    let peers = format!(
        "object_store={};libcloud={} {}",
        peers_target.join("release/object-store-s3-peer").display(),
        python.display(),
        root.join("xtask/peers/libcloud_s3.py").display()
    );
    run(crate::bench::binary("bench-s3")
        .args(args)
        .env("BENCH_S3_PEERS", peers))
}

/// `cargo xtask bench compute [N]`: this project's EC2 driver and Libcloud's, each against a fresh moto;
/// then its Nova driver and Libcloud's OpenStack driver on mimic.
pub(crate) fn run_compute(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let python = python_with("libcloud", "apache-libcloud")?;
    let moto = crate::servers::moto()?;
    let peer = |script: &str| {
        format!(
            "{} {}",
            python.display(),
            root.join("xtask/peers").join(script).display()
        )
    };
    run(crate::bench::binary("bench-compute")
        .args(args)
        .envs(moto.env.iter().cloned())
        .env("BENCH_LIBCLOUD_EC2", peer("libcloud_ec2.py")))?;
    drop(moto);
    let mimic = crate::servers::mimic()?;
    run(crate::bench::binary("bench-compute-nova")
        .args(args)
        .envs(mimic.env.iter().cloned())
        .env("BENCH_LIBCLOUD_NOVA", peer("libcloud_nova.py")))
}
