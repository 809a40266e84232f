//! Azurite, Microsoft's Azure Storage emulator, started by `cargo xtask test` (which installs it into
//! `.cache/npm`) and reached through `CLOUD_TEST_AZURITE`.

/// The Blob endpoint host of the running Azurite; panics with instructions when there is none.
pub fn host() -> String {
    match std::env::var("CLOUD_TEST_AZURITE") {
        Ok(host) if !host.is_empty() => host,
        _ => panic!(
            "Azurite is not running. `cargo xtask test` installs and starts it; by hand: \
             `npm install --prefix .cache/npm azurite@3`, \
             `.cache/npm/node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort 10000 \
             --location /tmp/azurite --skipApiVersionCheck`, then CLOUD_TEST_AZURITE=http://127.0.0.1:10000"
        ),
    }
}
