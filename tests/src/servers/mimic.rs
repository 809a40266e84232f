//! mimic, Rackspace's OpenStack emulator, started by `cargo xtask test` (installed into
//! `.cache/mimic-venv`) and reached through `CLOUD_TEST_MIMIC`. It speaks Keystone v2.0 (any user
//! and password are accepted; the tenant names the project) and keeps real state for Nova servers
//! and key pairs; its Glance and Cinder only list.

/// mimic's address; panics with instructions when it is not running.
pub fn endpoint() -> String {
    match std::env::var("CLOUD_TEST_MIMIC") {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!(
            "mimic is not running. `cargo xtask test` installs and starts it; by hand: \
             `python3 -m venv .cache/mimic-venv && .cache/mimic-venv/bin/pip install mimic==2.2.0 'attrs<24'`, \
             `.cache/mimic-venv/bin/twistd -n --pidfile= mimic -l tcp:8900:interface=127.0.0.1`, \
             then CLOUD_TEST_MIMIC=http://127.0.0.1:8900"
        ),
    }
}

/// Its Keystone v2.0 auth URL.
pub fn auth_url() -> String {
    format!("{}/identity/v2.0", endpoint())
}

/// The region whose Nova mimic's catalog lists (it lists its other services in several).
pub const REGION: &str = "ORD";

/// Moves mimic's clock, which stands still unless told (`POST /mimic/v1.1/tick`): servers come back
/// from a reboot six simulated seconds later. While it lives, a thread advances the clock by one
/// second every 100 ms; dropping it stops the thread.
pub struct Ticker {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Ticker {
    /// Starts ticking mimic's clock.
    pub fn start() -> Ticker {
        use std::io::{Read, Write};
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let address = endpoint()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let stopped = stop.clone();
        std::thread::spawn(move || {
            let body = r#"{"amount": 1.0}"#;
            let request = format!(
                "POST /mimic/v1.1/tick HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(mut stream) = std::net::TcpStream::connect(&address) {
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                    let _ = stream.write_all(request.as_bytes());
                    let _ = stream.read_to_end(&mut Vec::new());
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}
