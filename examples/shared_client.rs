//! One HTTP client shared by a thousand tasks: the answer to "one driver per thread".
//!
//! Starts a tiny HTTP server on loopback, then sends 10,000 requests from 1,000 concurrent tasks through
//! clones of one client, and reports how few connections carried them. Run with `CLOUD_DEBUG=1` to see
//! each request as a `curl` command (with credentials redacted).
//!
//! ```text
//! cargo run --release -p cloud-examples --example shared_client
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use cloud_core::{Body, HttpClient, ProxyConfig, ServiceConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TASKS: usize = 1_000;
const REQUESTS_PER_TASK: usize = 10;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (url, connections) = serve_ok_on_loopback().await?;
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .max_concurrency(Some(64))
        .build()?;
    let service = client.service(ServiceConfig::new("example"));

    let start = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let service = service.clone();
            let url = url.clone();
            tokio::spawn(async move {
                for _ in 0..REQUESTS_PER_TASK {
                    let request = http::Request::get(&url).body(Body::empty())?;
                    let body = service
                        .send("Get", request)
                        .await?
                        .into_body()
                        .bytes()
                        .await?;
                    assert_eq!(body, "ok");
                }
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
            })
        })
        .collect();
    let mut failed = 0;
    for task in tasks {
        if let Err(err) = task.await? {
            eprintln!("request failed: {err}");
            failed += 1;
        }
    }
    let elapsed = start.elapsed();
    let total = TASKS * REQUESTS_PER_TASK;
    println!(
        "{total} requests from {TASKS} tasks through one client in {:.2} s ({:.0} requests/s): \
         {failed} failed, {} TCP connections used",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        connections.load(Ordering::SeqCst),
    );
    if failed > 0 {
        return Err(format!("{failed} tasks failed").into());
    }
    Ok(())
}

/// A minimal keep-alive HTTP/1.1 server answering every request with `ok`; returns its URL and a count of
/// the connections it accepted.
async fn serve_ok_on_loopback() -> std::io::Result<(String, Arc<AtomicUsize>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let connections = Arc::new(AtomicUsize::new(0));
    let accepted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            accepted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut filled = 0;
                loop {
                    // Requests here have no body, so each ends at the blank line after its headers.
                    while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(reply).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                    match stream.read(&mut buf[filled..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => filled += n,
                    }
                }
            });
        }
    });
    Ok((url, connections))
}
