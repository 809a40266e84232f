//! The project's task runner.
//!
//! - `cargo xtask test`: formatting, clippy (`-D warnings`), `cargo deny`, provider isolation (`cargo
//!   tree`), then every test in the workspace
//!   (nextest, then doc tests). The one command CI runs.
//! - `cargo xtask lint`: only the checks, no tests.
//! - `cargo xtask demo`: the main job on the embedded default: a folder tree into `local://` and back.
//! - `cargo xtask bench [NAME]`: the benchmarks; with no name, lists them.
//! - `cargo xtask fuzz [--cases N] [--only TEXT]`: every parser of what servers send, fed a million
//!   mutated answers each (a short run is part of `cargo xtask test`).

mod bench;
mod cmd;
mod demo;
mod deps;
mod peers;
mod servers;
mod storage_local;
mod swift;
mod test;
mod tree;

use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask <test [NEXTEST ARGS…] | lint | demo | bench [NAME] | fuzz [--cases N] [--only TEXT]>";

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(task) = args.next() else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "test" => test::lint().and_then(|()| test::run_tests(&rest)),
        "lint" => test::lint(),
        "bench" => bench::run(&rest),
        "demo" => demo::run_demo(),
        "fuzz" => crate::cmd::run(bench::binary("fuzz").args(&rest)),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown task `{other}`\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
