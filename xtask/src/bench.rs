//! `cargo xtask bench`: the entry point for every benchmark.

/// The benchmarks, by name, with what each measures.
const BENCHES: &[(&str, &str)] = &[];

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let Some(name) = args.first() else {
        println!("benchmarks (run one with `cargo xtask bench NAME`):");
        for (name, what) in BENCHES {
            println!("  {name:16} {what}");
        }
        return Ok(());
    };
    match BENCHES.iter().find(|(n, _)| n == name) {
        Some(_) => Err(format!("benchmark `{name}` is listed but has no runner")),
        None => Err(format!(
            "no benchmark named `{name}`; run `cargo xtask bench` for the list"
        )),
    }
}
