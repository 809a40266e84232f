//! `cargo xtask fuzz`: every parser of what servers send, fed mutated answers.
//!
//! `fuzz [--cases N] [--seed S] [--only TEXT]` runs N cases (default 1,000,000) of each target whose
//! name contains TEXT, on every core, and prints one line per target. A panic fails the run; the
//! first panicking input of each target is written under `target/fuzz-findings/` and shown.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cloud_tests::fuzz::{self, Report};

fn main() {
    let mut cases: u64 = 1_000_000;
    let mut seed: u64 = 0x5eed;
    let mut only = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&arg));
        match arg.as_str() {
            "--cases" => cases = value().parse().unwrap_or_else(|_| usage("--cases")),
            "--seed" => seed = value().parse().unwrap_or_else(|_| usage("--seed")),
            "--only" => only = value(),
            _ => usage(&arg),
        }
    }
    let targets: Vec<_> = fuzz::targets()
        .into_iter()
        .filter(|t| t.name.contains(&only))
        .collect();
    if targets.is_empty() {
        eprintln!("no target's name contains {only:?}");
        std::process::exit(2);
    }
    fuzz::quiet_panics();
    let next = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "{} targets, {cases} cases each, seed {seed}, {workers} threads",
        targets.len()
    );
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(target) = targets.get(index) else {
                    return;
                };
                let report = fuzz::run(target, cases, seed);
                println!("{}", line(&report));
                reports.lock().unwrap().push(report);
            });
        }
    });
    let reports = reports.into_inner().unwrap();
    let total: u64 = reports.iter().map(|r| r.cases).sum();
    let panicked: Vec<&Report> = reports.iter().filter(|r| r.panics > 0).collect();
    println!(
        "{} targets, {total} cases, {} panicking targets",
        reports.len(),
        panicked.len()
    );
    if panicked.is_empty() {
        return;
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    for report in panicked {
        if let Some((input, message)) = &report.first_panic {
            let file = dir.join(format!(
                "{}.bin",
                report.name.replace([':', ' ', ',', '(', ')'], "_")
            ));
            let _ = std::fs::write(&file, input);
            println!(
                "\n{}: {message}\n  input ({} bytes, in {}): {:?}",
                report.name,
                input.len(),
                file.display(),
                String::from_utf8_lossy(input)
            );
        }
    }
    std::process::exit(1);
}

fn line(report: &Report) -> String {
    format!(
        "{:<55} {:>9} cases {:>6} panics {:>7.1} s {:>9.0} cases/s",
        report.name,
        report.cases,
        report.panics,
        report.took.as_secs_f64(),
        report.cases as f64 / report.took.as_secs_f64().max(1e-9)
    )
}

fn usage(bad: &str) -> ! {
    eprintln!("fuzz: bad argument {bad:?}\nusage: fuzz [--cases N] [--seed S] [--only TEXT]");
    std::process::exit(2);
}
