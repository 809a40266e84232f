//! OpenStack Swift, a one-replica cluster started by `cargo xtask test` (which installs it into
//! `.cache/swift-venv`) and reached through `CLOUD_TEST_SWIFT`; tempauth's user is `test:tester` with
//! key `testing`.

/// The proxy of the running cluster; panics with instructions when there is none.
pub fn host() -> String {
    match std::env::var("CLOUD_TEST_SWIFT") {
        Ok(host) if !host.is_empty() => host,
        _ => panic!(
            "Swift is not running. `cargo xtask test` installs it (`pip install swift` into \
             .cache/swift-venv), builds its rings and starts it in .cache/swift; then \
             CLOUD_TEST_SWIFT=http://127.0.0.1:PORT names its proxy"
        ),
    }
}

/// Tempauth's URL on the running cluster.
pub fn auth_url() -> String {
    format!("{}/auth/v1.0", host().trim_end_matches('/'))
}
