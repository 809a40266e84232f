//! The short run of `cargo xtask fuzz` that every test run makes: each parser of what servers send
//! takes its seeds and a few thousand mutations of them without a panic. (`cargo xtask fuzz` runs a
//! million cases of each.)

#[test]
fn no_parser_panics_on_mutated_answers() {
    let targets = cloud_tests::fuzz::targets();
    assert!(targets.len() >= 30, "{} targets", targets.len());
    cloud_tests::fuzz::quiet_panics();
    let mut findings = Vec::new();
    for target in &targets {
        let report = cloud_tests::fuzz::run(target, 2_000, 0x5eed);
        assert_eq!(report.cases, 2_000);
        if let Some((input, message)) = report.first_panic {
            findings.push(format!(
                "{}: {} of {} cases panicked, first: {message}\n  input: {:?}",
                target.name,
                report.panics,
                report.cases,
                String::from_utf8_lossy(&input)
            ));
        }
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}
