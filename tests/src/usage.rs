//! What the benchmark binaries measure of their own process, from `/proc/self`.

use std::time::Duration;

/// CPU time (user + system) this process has used, from `/proc/self/stat` (clock ticks of 10 ms; runs
/// are long enough for that to be well under 1%).
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat format") + 2..]
        .split(' ')
        .collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    Duration::from_millis(ticks * 10)
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

/// CPU seconds and peak RSS (KiB) of this process so far.
pub fn usage() -> (f64, u64) {
    (cpu_time().as_secs_f64(), peak_rss_kib())
}
