//! `cargo xtask bench s3` with its peers: object_store (built from `xtask/peers/object-store-s3`, outside
//! the workspace) and Apache Libcloud (installed from PyPI into `.cache/venv`), run by the `bench-s3`
//! binary beside this project's client against the same loopback responder.

use crate::cmd::{cargo, run, workspace_root};
use crate::servers::python_with;

pub(crate) fn run_s3() -> Result<(), String> {
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
    run(cargo()
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "cloud-tests",
            "--bin",
            "bench-s3",
        ])
        .env("BENCH_S3_PEERS", peers))
}
