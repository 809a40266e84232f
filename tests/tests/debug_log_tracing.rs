//! The debug log through `tracing`, alone in its own test binary: `tracing` caches per call site whether
//! anyone listens, and tests of other binaries running without a subscriber would race with this one.

use std::sync::{Arc, Mutex};

use cloud_core::{DebugLog, HttpClient, ProxyConfig, ServiceConfig};
use cloud_tests::redaction::{assert_redacted, request_full_of_secrets, secret_echoing_server};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_tracing_target_cloud_http_carries_the_redacted_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = secret_echoing_server().await;
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .debug_log(DebugLog::default())
        .build()
        .unwrap();
    client
        .service(ServiceConfig::new("test"))
        .send("Put", request_full_of_secrets(&server.url("/bucket/key")))
        .await
        .unwrap();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("cloud::http"), "{log}");
    assert_redacted(&log);
}
