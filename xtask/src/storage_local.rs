//! `cargo xtask bench storage-local`: the `cloud` command moving files through the local provider,
//! beside `cp` on the same disk (the physical reference), as ratios, with peak RSS.
//!
//! Workloads: 10,000 files of 4 KiB in 100 folders, and one 1 GiB file, each copied up into a `local://`
//! container and back down. Each run is timed with `/usr/bin/time` (installed from Debian's `time`
//! package if missing), twice, keeping the faster, with the page cache warm for every contender alike.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{cargo, run, succeeds, workspace_root};
use crate::tree;

struct Timed {
    seconds: f64,
    peak_rss_kib: u64,
}

/// Runs `cmd` under `/usr/bin/time`, twice, returning the faster run.
fn timed(make: &dyn Fn() -> Command, cleanup: &dyn Fn()) -> Result<Timed, String> {
    let mut best: Option<Timed> = None;
    for _ in 0..2 {
        cleanup();
        // Flush dirty pages first, so one run's writeback does not slow the next.
        let _ = Command::new("sync").status();
        let out_file = workspace_root().join("target/bench/time.out");
        let cmd = make();
        let mut timer = Command::new("/usr/bin/time");
        timer
            .args(["-f", "%e %M", "-o"])
            .arg(&out_file)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        timer.stdout(std::process::Stdio::null());
        let status = timer
            .status()
            .map_err(|e| format!("running /usr/bin/time: {e}"))?;
        if !status.success() {
            return Err(format!("{:?} failed", cmd.get_program()));
        }
        let text = std::fs::read_to_string(&out_file).map_err(|e| e.to_string())?;
        let mut fields = text.split_whitespace();
        let seconds: f64 = fields
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("unreadable time")?;
        let peak_rss_kib: u64 = fields
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or("unreadable RSS")?;
        if best.as_ref().is_none_or(|b| seconds < b.seconds) {
            best = Some(Timed {
                seconds,
                peak_rss_kib,
            });
        }
    }
    best.ok_or_else(|| "no run".to_owned())
}

fn ensure_time() -> Result<(), String> {
    if Path::new("/usr/bin/time").exists() {
        return Ok(());
    }
    eprintln!("/usr/bin/time is missing; installing Debian's `time` package");
    run(Command::new("apt-get").args(["install", "-y", "time"]))
}

pub(crate) fn run_bench(_args: &[String]) -> Result<(), String> {
    ensure_time()?;
    run(cargo().args(["build", "--release", "-p", "cloud-cli"]))?;
    let root = workspace_root();
    let cloud = root.join("target/release/cloud");
    let work = root.join("target/bench/storage-local");
    let _ = std::fs::remove_dir_all(&work);
    let small = work.join("small");
    let large = work.join("large.bin");
    eprintln!(
        "making 10,000 files of 4 KiB and one 1 GiB file in {}",
        work.display()
    );
    for i in 0..10_000u64 {
        tree::write_file(
            &small.join(format!("dir{:03}/file{i:05}.dat", i % 100)),
            i,
            4096,
        )?;
    }
    tree::write_large(&large, 1024)?;
    let _ = Command::new("sync").status();
    let objects = work.join("objects");
    let cloud_cmd = |args: Vec<String>| {
        let mut cmd = Command::new(&cloud);
        cmd.arg("--local-root").arg(&objects).args(args);
        cmd
    };
    let p = |path: &PathBuf| path.display().to_string();
    if !succeeds(&mut cloud_cmd(vec!["mb".into(), "local://bench".into()])) {
        return Err("could not make the bench container".into());
    }
    let remove = |path: PathBuf| {
        move || drop(std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path)))
    };

    let mut rows = Vec::new();
    let cp_small = timed(
        &|| {
            let mut c = Command::new("cp");
            c.arg("-r").arg(&small).arg(work.join("cp-small"));
            c
        },
        &remove(work.join("cp-small")),
    )?;
    let up_small = timed(
        &|| {
            cloud_cmd(vec![
                "cp".into(),
                "-r".into(),
                p(&small),
                "local://bench/small".into(),
            ])
        },
        &remove(objects.join("bench/small")),
    )?;
    let down_small = timed(
        &|| {
            cloud_cmd(vec![
                "cp".into(),
                "-r".into(),
                "local://bench/small".into(),
                p(&work.join("down-small")),
            ])
        },
        &remove(work.join("down-small")),
    )?;
    tree::assert_same(&small, &work.join("down-small"))?;
    rows.push(("10,000 × 4 KiB up", &cp_small, up_small));
    rows.push(("10,000 × 4 KiB down", &cp_small, down_small));

    let cp_large = timed(
        &|| {
            let mut c = Command::new("cp");
            c.arg(&large).arg(work.join("cp-large.bin"));
            c
        },
        &remove(work.join("cp-large.bin")),
    )?;
    let up_large = timed(
        &|| {
            cloud_cmd(vec![
                "cp".into(),
                p(&large),
                "local://bench/large.bin".into(),
            ])
        },
        &remove(objects.join("bench/large.bin")),
    )?;
    let down_large = timed(
        &|| {
            cloud_cmd(vec![
                "cp".into(),
                "local://bench/large.bin".into(),
                p(&work.join("down-large.bin")),
            ])
        },
        &remove(work.join("down-large.bin")),
    )?;
    if std::fs::metadata(work.join("down-large.bin"))
        .map(|m| m.len())
        .ok()
        != Some(1 << 30)
    {
        return Err("the 1 GiB download is not 1 GiB".into());
    }
    rows.push(("1 GiB up", &cp_large, up_large));
    rows.push(("1 GiB down", &cp_large, down_large));

    println!("\nstorage-local: the cloud command through local:// vs cp on the same disk (warm cache, best of 2)");
    println!(
        "{:<22} {:>10} {:>10} {:>8} {:>14} {:>12}",
        "workload", "cp", "cloud", "ratio", "cloud peak RSS", "cp peak RSS"
    );
    for (name, reference, ours) in &rows {
        println!(
            "{:<22} {:>9.2}s {:>9.2}s {:>7.2}× {:>10.1} MiB {:>8.1} MiB",
            name,
            reference.seconds,
            ours.seconds,
            ours.seconds / reference.seconds.max(0.01),
            ours.peak_rss_kib as f64 / 1024.0,
            reference.peak_rss_kib as f64 / 1024.0,
        );
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
