//! `cargo xtask test` and `cargo xtask lint`.

use crate::cmd::{cargo, run, succeeds};

/// Formatting, clippy, rustdoc's lints and cargo-deny.
pub(crate) fn lint() -> Result<(), String> {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--all-features",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The public docs' links resolve and point at public items.
    run(cargo()
        .args(["doc", "--no-deps", "--workspace", "--all-features"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    crate::deps::check_provider_isolation()?;
    ensure_installed("deny", "cargo-deny")?;
    run(cargo().args([
        "deny",
        "--all-features",
        "check",
        "licenses",
        "bans",
        "sources",
    ]))
}

/// Every test of the workspace: the doc tests (which nextest does not run), then nextest for unit and
/// integration tests, last so that its summary closes the output. `extra` goes to nextest, to pick tests
/// by name.
pub(crate) fn run_tests(extra: &[String]) -> Result<(), String> {
    run(cargo()
        .arg("build")
        .args(["--workspace", "--all-targets", "--all-features"]))?;
    if extra.is_empty() {
        run(cargo().args(["test", "--workspace", "--all-features", "--doc"]))?;
    }
    if !succeeds(cargo().args(["nextest", "--version"])) {
        ensure_installed("nextest", "cargo-nextest")?;
    }
    // Started before the tests and stopped when this function returns, whatever happens.
    let servers = crate::servers::all()?;
    let mut nextest = cargo();
    nextest
        .args([
            "nextest",
            "run",
            "--workspace",
            "--all-features",
            "--no-fail-fast",
        ])
        .args(extra);
    for server in &servers {
        for (name, value) in &server.env {
            nextest.env(name, value);
        }
    }
    let tests = run(&mut nextest);
    // Prism answers a request that breaks the provider's document with an error, which fails the
    // test that sent it; the log is read too, so that no violation passes unseen.
    let violations = crate::servers::prism_violations();
    if !violations.is_empty() {
        return Err(format!(
            "Prism logged {} request(s) that break DigitalOcean's API document:\n{}",
            violations.len(),
            violations.join("\n")
        ));
    }
    tests
}

/// Installs a cargo subcommand from crates.io (with its locked dependencies) when it is missing.
fn ensure_installed(subcommand: &str, krate: &str) -> Result<(), String> {
    if succeeds(cargo().args([subcommand, "--version"])) {
        return Ok(());
    }
    eprintln!("`cargo {subcommand}` is missing; installing {krate} from crates.io");
    run(cargo().args(["install", "--locked", krate]))
}
