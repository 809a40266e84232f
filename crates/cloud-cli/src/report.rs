//! What commands print: lines for people, JSON for programs, progress bars on terminals.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cloud::storage::{Container, ObjectMeta, Progress};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

/// How to print.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    pub(crate) json: bool,
}

impl Output {
    /// Prints one line to standard output, ignoring a closed pipe (`cloud ls | head`).
    pub(crate) fn line(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{text}");
    }

    /// Prints a JSON value on one line.
    pub(crate) fn json(&self, value: &Value) {
        self.line(&value.to_string());
    }

    /// A progress bar for a transfer of `total` bytes (when known), shown only on a terminal and never
    /// with `--json`.
    pub(crate) fn progress(&self, total: Option<u64>, what: &str) -> Transfer {
        let visible = !self.json && std::io::stderr().is_terminal();
        let bar = visible.then(|| {
            let bar = match total {
                Some(total) => ProgressBar::new(total),
                None => ProgressBar::no_length(),
            };
            let style = ProgressStyle::with_template(
                "{msg} {wide_bar} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.set_message(what.to_owned());
            bar
        });
        Transfer { bar }
    }
}

/// A transfer's progress bar, if one is shown.
pub(crate) struct Transfer {
    bar: Option<ProgressBar>,
}

impl Transfer {
    /// The callback the transfer helpers call with each chunk.
    pub(crate) fn callback(&self) -> Progress {
        match &self.bar {
            Some(bar) => {
                let bar = bar.clone();
                Arc::new(move |n| bar.inc(n))
            }
            None => Arc::new(|_| {}),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

pub(crate) fn timestamp(time: Option<SystemTime>) -> String {
    time.map(|t| humantime::format_rfc3339_seconds(t).to_string())
        .unwrap_or_else(|| "-".to_owned())
}

pub(crate) fn object_json(container: &str, meta: &ObjectMeta) -> Value {
    json!({
        "type": "object",
        "container": container,
        "key": meta.key,
        "size": meta.size,
        "etag": meta.etag,
        "last_modified": meta.last_modified.map(|t| humantime::format_rfc3339(t).to_string()),
        "content_type": meta.content_type,
        "checksum": meta.checksum.as_ref().map(ToString::to_string),
        "metadata": meta.metadata,
    })
}

pub(crate) fn container_json(container: &Container) -> Value {
    json!({
        "type": "container",
        "name": container.name,
        "created": container.created.map(|t| humantime::format_rfc3339(t).to_string()),
    })
}

/// `1536` → `1.5 KiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `files copied (bytes) in seconds`, the closing line of a copy.
pub(crate) fn summary(output: &Output, verb: &str, files: u64, total: u64, elapsed: Duration) {
    if output.json {
        output.json(&json!({"type": "summary", "action": verb, "files": files, "bytes": total, "seconds": elapsed.as_secs_f64()}));
    } else {
        let rate = total as f64 / elapsed.as_secs_f64().max(1e-9);
        output.line(&format!(
            "{verb} {files} file{} ({}) in {:.2} s, {}/s",
            if files == 1 { "" } else { "s" },
            bytes(total),
            elapsed.as_secs_f64(),
            self::bytes(rate as u64)
        ));
    }
}
