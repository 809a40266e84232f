//! Client CPU per request: this project's pipeline against raw hyper, sending the same GETs to the same
//! loopback responder. Run through `cargo xtask bench http`.
//!
//! The responder runs in a child process, so the CPU measured here (getrusage of this process) is the
//! client's alone. Each client sends the same number of requests with the same number in flight.

use cloud_tests::usage::cpu_time;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cloud_core::{Body, DebugLog, HttpClient, ProxyConfig, ServiceConfig};
use futures_util::stream::{FuturesUnordered, StreamExt};
use http_body_util::{BodyExt, Empty};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const IN_FLIGHT: usize = 32;

fn main() {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("serve") => serve(args.next().map_or(1024, |s| s.parse().expect("body size"))),
        _ => {
            let requests: usize = std::env::var("BENCH_REQUESTS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(100_000);
            compare(requests);
        }
    }
}

struct Measured {
    cpu_per_request: Duration,
    throughput: f64,
}

async fn measure<F, Fut>(requests: usize, send: F) -> Measured
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Bytes>,
{
    // Warm up the pool and the code paths.
    for _ in 0..1000 {
        send().await;
    }
    let cpu = cpu_time();
    let start = Instant::now();
    let mut in_flight = FuturesUnordered::new();
    let mut sent = 0;
    let mut done = 0;
    while done < requests {
        while sent < requests && in_flight.len() < IN_FLIGHT {
            in_flight.push(send());
            sent += 1;
        }
        let body = in_flight.next().await.expect("a request in flight");
        assert_eq!(body.len(), 1024);
        done += 1;
    }
    let elapsed = start.elapsed();
    Measured {
        cpu_per_request: (cpu_time() - cpu) / requests as u32,
        throughput: requests as f64 / elapsed.as_secs_f64(),
    }
}

fn compare(requests: usize) {
    let exe = std::env::current_exe().expect("own path");
    let mut child = Command::new(exe)
        .args(["serve", "1024"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the responder");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("responder stdout"))
        .read_line(&mut line)
        .expect("responder address");
    let url = format!("http://{}/bucket/object", line.trim());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let (raw, ours) = runtime.block_on(async {
        let raw = if only == "ours" {
            Measured {
                cpu_per_request: Duration::from_nanos(1),
                throughput: 0.0,
            }
        } else {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Empty<Bytes>>();
            let uri: http::Uri = url.parse().expect("url");
            measure(requests, || {
                let client = client.clone();
                let uri = uri.clone();
                async move {
                    let response = client.get(uri).await.expect("raw GET");
                    response
                        .into_body()
                        .collect()
                        .await
                        .expect("raw body")
                        .to_bytes()
                }
            })
            .await
        };
        let ours = if only == "raw" {
            Measured {
                cpu_per_request: Duration::from_nanos(1),
                throughput: 0.0,
            }
        } else {
            let client = HttpClient::builder()
                .proxies(ProxyConfig::none())
                .debug_log(DebugLog::default())
                .build()
                .expect("client");
            let service = Arc::new(client.service(ServiceConfig::new("bench")));
            measure(requests, || {
                let service = service.clone();
                let url = url.clone();
                async move {
                    let request = http::Request::get(url)
                        .body(Body::empty())
                        .expect("request");
                    let response = service.send("GetObject", request).await.expect("GET");
                    response.into_body().bytes().await.expect("body")
                }
            })
            .await
        };
        (raw, ours)
    });
    let _ = child.kill();
    let _ = child.wait();

    let ratio = ours.cpu_per_request.as_secs_f64() / raw.cpu_per_request.as_secs_f64();
    println!("1 KiB GET, {requests} requests, {IN_FLIGHT} in flight, one client thread, loopback responder in another process");
    println!(
        "{:<24} {:>16} {:>14} {:>10}",
        "client", "CPU/request", "requests/s", "vs raw"
    );
    for (name, m) in [("raw hyper", &raw), ("cloud-core HttpService", &ours)] {
        println!(
            "{:<24} {:>13.2} µs {:>14.0} {:>9.2}×",
            name,
            m.cpu_per_request.as_secs_f64() * 1e6,
            m.throughput,
            m.cpu_per_request.as_secs_f64() / raw.cpu_per_request.as_secs_f64()
        );
    }
    println!("ratio: {ratio:.2}");
}

/// A keep-alive HTTP/1.1 responder that answers every request with `size` bytes; prints its address.
fn serve(size: usize) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        println!("{}", listener.local_addr().expect("address"));
        std::io::stdout().flush().expect("flush");
        let mut reply = format!("HTTP/1.1 200 OK\r\ncontent-length: {size}\r\ncontent-type: application/octet-stream\r\n\r\n").into_bytes();
        reply.extend(std::iter::repeat_n(b'x', size));
        let reply: Arc<[u8]> = reply.into();
        while let Ok((mut stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let mut filled = 0;
                loop {
                    while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        if stream.write_all(&reply).await.is_err() {
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
}
