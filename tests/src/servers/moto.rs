//! moto, a Python emulation of AWS, started by `cargo xtask test` (which installs it into `.cache/`)
//! and reached through `CLOUD_TEST_MOTO`.

/// The endpoint of the running moto server; panics with instructions when there is none.
pub fn endpoint() -> String {
    match std::env::var("CLOUD_TEST_MOTO") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "moto is not running. `cargo xtask test` installs and starts it; by hand: \
             `python3 -m venv .cache/venv && .cache/venv/bin/pip install 'moto[server]'`, \
             `.cache/venv/bin/moto_server -H 127.0.0.1 -p 5000`, then CLOUD_TEST_MOTO=http://127.0.0.1:5000"
        ),
    }
}

/// The access key moto accepts (it accepts any).
pub const ACCESS_KEY: &str = "AKIAMOTOTEST";
/// Its secret.
pub const SECRET_KEY: &str = "moto-test-secret";
