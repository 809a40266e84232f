//! `cargo xtask demo`: the main job on the embedded default provider, with no account and no server.
//!
//! Builds the `cloud` command, makes a folder tree with awkward names (spaces, unicode, `%`, `+`, `~`,
//! `#`, `?`), copies it concurrently into a `local://` container and back out, and checks that what came
//! back is byte-for-byte what went in.

use std::path::Path;
use std::process::Command;

use crate::cmd::{cargo, run, workspace_root};
use crate::tree;

const NAMES: &[&str] = &[
    "reports/2026/q4 summary.csv",
    "reports/2026/100% done.txt",
    "photos/été/plage #1.jpg",
    "photos/été/what?.png",
    "photos/日本/東京 タワー.heic",
    "code/a+b=c~d.rs",
    "empty-file",
];

pub(crate) fn run_demo() -> Result<(), String> {
    run(cargo().args(["build", "--release", "-p", "cloud-cli"]))?;
    let root = workspace_root();
    let cloud = root.join("target/release/cloud");
    let work = root.join("target/demo");
    let _ = std::fs::remove_dir_all(&work);
    let (tree_dir, back, objects) = (work.join("tree"), work.join("back"), work.join("objects"));

    for (i, name) in NAMES.iter().enumerate() {
        let len = if *name == "empty-file" {
            0
        } else {
            1000 * (i + 1)
        };
        tree::write_file(&tree_dir.join(name), i as u64, len)?;
    }
    for i in 0..500u64 {
        let name = format!("many/{:02}/file {i:03}.bin", i % 20);
        tree::write_file(&tree_dir.join(name), 100 + i, (i as usize * 37) % 20_000)?;
    }
    tree::write_large(&tree_dir.join("large/video.mp4"), 64)?;

    let cloud_cmd = |args: &[&str]| {
        let mut cmd = Command::new(&cloud);
        cmd.arg("--local-root").arg(&objects).args(args);
        cmd
    };
    let path = |p: &Path| p.display().to_string();
    run(&mut cloud_cmd(&["mb", "local://demo"]))?;
    run(&mut cloud_cmd(&[
        "cp",
        "--recursive",
        "--concurrency",
        "16",
        &path(&tree_dir),
        "local://demo/tree",
    ]))?;
    run(&mut cloud_cmd(&["ls", "local://demo/tree/"]))?;
    run(&mut cloud_cmd(&[
        "cp",
        "--recursive",
        "--concurrency",
        "16",
        "local://demo/tree",
        &path(&back),
    ]))?;
    let (files, bytes) = tree::assert_same(&tree_dir, &back)?;
    println!(
        "\ndemo: {files} files ({:.1} MiB) went into local://demo and came back byte for byte",
        bytes as f64 / (1 << 20) as f64
    );
    Ok(())
}
