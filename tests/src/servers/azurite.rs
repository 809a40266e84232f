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

/// The HTTPS Azurite that checks Entra ID bearer tokens (`--oauth basic`); panics with instructions
/// when there is none.
pub fn oauth_host() -> String {
    match std::env::var("CLOUD_TEST_AZURITE_OAUTH") {
        Ok(host) if !host.is_empty() => host,
        _ => panic!(
            "Azurite with OAuth is not running. `cargo xtask test` starts it; by hand: \
             `.cache/npm/node_modules/.bin/azurite-blob --blobHost 127.0.0.1 --blobPort 10001 \
             --location /tmp/azurite-oauth --skipApiVersionCheck --oauth basic \
             --cert tests/data/azurite-tls/cert.pem --key tests/data/azurite-tls/key.pem`, then \
             CLOUD_TEST_AZURITE_OAUTH=https://127.0.0.1:10001"
        ),
    }
}

/// The test-only certificate authority that signed the HTTPS Azurite's certificate (DER).
pub const TEST_CA: &[u8] = include_bytes!("../../data/azurite-tls/ca.der");
