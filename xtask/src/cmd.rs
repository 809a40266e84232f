//! Running commands loudly: each one is echoed before it runs, and a failure names the command.

use std::path::PathBuf;
use std::process::Command;

/// The workspace root (the parent of this crate's folder).
pub(crate) fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// `cargo`, as the one that invoked us.
pub(crate) fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Runs `cmd`, failing with its command line if it does not succeed.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let line = describe(cmd);
    eprintln!("\n$ {line}");
    let status = cmd
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

/// Runs a package install (pip, npm) from its registry, once more after a pause if it fails: a
/// registry answers a fresh machine's burst of downloads with an occasional reset. A second failure
/// is reported with the usual causes, which the installer's own message does not always name.
pub(crate) fn install(cmd: &mut Command) -> Result<(), String> {
    if let Err(first) = run(cmd) {
        eprintln!("{first}; trying once more in 5 s");
        std::thread::sleep(std::time::Duration::from_secs(5));
        run(cmd).map_err(|e| {
            format!("{e} twice (is the disk full, or the package registry out of reach?)")
        })?;
    }
    Ok(())
}

/// Whether `cmd` runs and succeeds, quietly (to probe for installed tools).
pub(crate) fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}
