//! What the benchmark binaries measure of their own process, and how they drive their operations.

use std::time::Duration;

/// CPU time (user + system) this process has used, to the nanosecond the kernel accounts
/// (`CLOCK_PROCESS_CPUTIME_ID`; `/proc/self/stat` counts only 10 ms ticks).
pub fn cpu_time() -> Duration {
    cpu_time::ProcessTime::now().as_duration()
}

/// Runs `ops` operations, `in_flight` at a time (all at once when `in_flight` is 0); returns how many
/// failed.
pub async fn drive<F, Fut>(ops: usize, in_flight: usize, op: F) -> usize
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    use futures_util::stream::{FuturesUnordered, StreamExt};
    let mut pending = FuturesUnordered::new();
    let (mut started, mut errors) = (0, 0);
    while started < ops || !pending.is_empty() {
        while started < ops && (in_flight == 0 || pending.len() < in_flight) {
            pending.push(op(started));
            started += 1;
        }
        if let Some(ok) = pending.next().await {
            errors += usize::from(!ok);
        }
    }
    errors
}

/// The peak resident set size of this process so far, in KiB (`VmHWM`; 0 where it is not reported).
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The median of `values` (the lower one of an even count).
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// CPU seconds and peak RSS (KiB) of this process so far.
pub fn usage() -> (f64, u64) {
    (cpu_time().as_secs_f64(), peak_rss_kib())
}

/// One measured run, as [`print_run`] wrote it: CPU seconds per operation, operations per second,
/// errors, peak RSS in KiB.
#[derive(Clone, Copy, Debug)]
pub struct Measure {
    /// CPU seconds per operation.
    pub cpu_per_op: f64,
    /// Operations per second of wall time.
    pub ops_per_s: f64,
    /// Operations that failed.
    pub errors: f64,
    /// Peak resident set, in KiB.
    pub rss_kib: f64,
}

impl Measure {
    /// The run `line` reports, or an error quoting a line that is not one.
    pub fn parse(line: &str) -> Result<Measure, String> {
        let fields: Vec<f64> = line
            .split_whitespace()
            .map(|v| v.parse().unwrap_or(f64::NAN))
            .collect();
        let [cpu, wall, ops, errors, rss_kib] = fields[..] else {
            return Err(format!("not a measured run: {line:?}"));
        };
        Ok(Measure {
            cpu_per_op: cpu / ops,
            ops_per_s: ops / wall,
            errors,
            rss_kib,
        })
    }
}

/// Runs one measured run as its own process: the last line it printed, or the last line of its error
/// output when it failed.
pub fn run_measured(command: &mut std::process::Command) -> Result<String, String> {
    let out = command.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("failed")
            .to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.lines().last().unwrap_or_default().to_owned())
}

/// Prints one measured run the way the bench orchestrators read it,
/// `cpu_seconds wall_seconds ops errors peak_rss_kib`, timed from `cpu0` (as [`usage`] gave it) and
/// `start`.
pub fn print_run(cpu0: f64, start: std::time::Instant, ops: usize, errors: usize) {
    let wall = start.elapsed().as_secs_f64();
    let (cpu1, rss) = usage();
    println!("{} {wall} {ops} {errors} {rss}", cpu1 - cpu0);
}

/// Runs one contender of a bench as its own process and prints its row; on failure, says so with the
/// whole error output of `ours`, or the last line of a peer's (a Python traceback's verdict).
pub fn print_row(who: &str, command: &mut std::process::Command) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("run {who}: {e}"));
    print!("{}", String::from_utf8_lossy(&out.stdout));
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let shown = if who == "ours" {
            stderr.as_ref()
        } else {
            stderr.lines().last().unwrap_or_default()
        };
        println!("{who} failed: {shown}");
    }
}

/// What this project's driver did in one compute bench run, as the row the Python peers print.
pub struct ComputeRun {
    /// Seconds from the first create to the last delete.
    pub wall: f64,
    /// Requests sent in all.
    pub requests: u64,
    /// Create requests.
    pub creates: u64,
    /// Node-listing requests.
    pub lists: u64,
    /// CPU seconds spent.
    pub cpu: f64,
    /// Peak RSS in KiB.
    pub rss_kib: u64,
}

/// Prints `run`'s row, then ends the process with the error of a run that failed.
pub fn report_compute(run: ComputeRun, result: cloud_core::Result<()>) {
    let status = if result.is_ok() { "" } else { " (failed)" };
    println!(
        "{:<10} {:>8.2}s {:>10} {:>16} {:>14} {:>9.2}s {:>7.1} MiB{status}",
        "ours",
        run.wall,
        run.requests,
        run.creates,
        run.lists,
        run.cpu,
        run.rss_kib as f64 / 1024.0
    );
    if let Err(err) = result {
        eprintln!("{err}");
        std::process::exit(1);
    }
}
