//! gcp-storage-emulator, a Google Cloud Storage emulator (JSON API), started by `cargo xtask test`
//! (which installs it into `.cache/venv`) and reached through `CLOUD_TEST_GCS`.

/// The endpoint of the running emulator; panics with instructions when there is none.
pub fn host() -> String {
    match std::env::var("CLOUD_TEST_GCS") {
        Ok(host) if !host.is_empty() => host,
        _ => panic!(
            "gcp-storage-emulator is not running. `cargo xtask test` installs and starts it; by hand: \
             `python3 -m venv .cache/venv && .cache/venv/bin/pip install gcp-storage-emulator`, \
             `.cache/venv/bin/gcp-storage-emulator start --host 127.0.0.1 --port 9023 --in-memory`, \
             then CLOUD_TEST_GCS=http://127.0.0.1:9023"
        ),
    }
}
