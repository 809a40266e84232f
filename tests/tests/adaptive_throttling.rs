//! Many tasks sharing one driver against a server that allows a fixed rate: the driver's adaptive
//! throttle makes them slow down together, so throughput settles near the allowed rate and retries per
//! success stay bounded instead of storming the server.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloud_core::{HttpClient, ProxyConfig};
use cloud_storage::StorageDriver;
use cloud_tests::server::{text, TestServer};
use http::{HeaderValue, Method};

const SLOW_DOWN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
    <Message>Please reduce your request rate.</Message><RequestId>r</RequestId></Error>";

/// A server-side token bucket: `rate` requests a second, bursts of `burst`; the rest get `SlowDown`.
struct Allowance {
    rate: f64,
    burst: f64,
    tokens: f64,
    refilled: Instant,
    accepted: Vec<Instant>,
    refused: usize,
}

impl Allowance {
    fn admit(&mut self) -> bool {
        let now = Instant::now();
        let since = now.duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + since * self.rate).min(self.burst);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.accepted.push(now);
            true
        } else {
            self.refused += 1;
            false
        }
    }
}

async fn throttling_server(rate: f64, burst: f64) -> (TestServer, Arc<Mutex<Allowance>>) {
    let allowance = Arc::new(Mutex::new(Allowance {
        rate,
        burst,
        tokens: burst,
        refilled: Instant::now(),
        accepted: Vec::new(),
        refused: 0,
    }));
    let shared = allowance.clone();
    let server = TestServer::start(move |req| {
        let admitted = shared.lock().unwrap().admit();
        async move {
            if !admitted {
                return Ok(text(503, SLOW_DOWN));
            }
            assert_eq!(req.method(), Method::HEAD);
            let mut response = text(200, "");
            let headers = response.headers_mut();
            headers.insert("content-length", HeaderValue::from_static("5"));
            headers.insert(
                "etag",
                HeaderValue::from_static("\"5d41402abc4b2a76b9719d911017c592\""),
            );
            Ok(response)
        }
    })
    .await;
    (server, allowance)
}

/// What one run of the crowd against the server came to.
struct Figures {
    successes: usize,
    refused: usize,
    failures: Vec<String>,
    took: Duration,
    /// Successes per second over the second half of the run, once the throttle has found the limit.
    settled: f64,
}

impl Figures {
    fn retries_per_success(&self) -> f64 {
        self.refused as f64 / self.successes as f64
    }
}

const TASKS: usize = 1000;
const EACH: usize = 2;
const RATE: f64 = 500.0;

async fn crowd(adaptive: bool) -> Figures {
    let (server, allowance) = throttling_server(RATE, 10.0).await;
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .adaptive_throttling(adaptive)
        .build()
        .unwrap();
    let s3 = cloud_tests::scripted::s3_on(&server)
        .http_client(client)
        .build()
        .unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let s3 = s3.clone();
            tokio::spawn(async move {
                for j in 0..EACH {
                    let meta = s3.head_object("bucket", &format!("k{i}-{j}")).await?;
                    assert_eq!(meta.size, 5);
                }
                Ok::<_, cloud_core::Error>(())
            })
        })
        .collect();
    let mut failures = Vec::new();
    for task in tasks {
        if let Err(err) = task.await.unwrap() {
            failures.push(err.to_string());
        }
    }
    let took = started.elapsed();
    let allowance = allowance.lock().unwrap();
    let successes = allowance.accepted.len();
    assert_eq!(server.requests(), successes + allowance.refused);
    let half = &allowance.accepted[successes / 2..];
    let settled = (half.len() - 1) as f64 / (half[half.len() - 1] - half[0]).as_secs_f64();
    let figures = Figures {
        successes,
        refused: allowance.refused,
        failures,
        took,
        settled,
    };
    println!(
        "adaptive throttling {}: allowed {RATE}/s, {} successes in {:.2?}, settled at {:.0}/s \
         ({:.0}% of allowed), {} refused ({:.3} retries per success), {} calls failed",
        if adaptive { "on" } else { "off" },
        figures.successes,
        figures.took,
        figures.settled,
        100.0 * figures.settled / RATE,
        figures.refused,
        figures.retries_per_success(),
        figures.failures.len(),
    );
    figures
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tasks_settle_near_the_allowed_rate() {
    let adaptive = crowd(true).await;
    assert!(
        adaptive.failures.is_empty(),
        "{} failed, first: {:?}",
        adaptive.failures.len(),
        adaptive.failures.first()
    );
    assert_eq!(adaptive.successes, TASKS * EACH);
    assert!(
        adaptive.retries_per_success() < 0.6,
        "{:.3} retries per success",
        adaptive.retries_per_success()
    );
    assert!(
        (0.6 * RATE..=1.05 * RATE).contains(&adaptive.settled),
        "settled at {:.0}/s against {RATE}/s allowed",
        adaptive.settled
    );
    // Each task retrying on its own (the same retry policy, no shared throttle) storms the server.
    let alone = crowd(false).await;
    assert!(
        alone.refused > 3 * adaptive.refused.max(1),
        "without the throttle {} refused, with it {}",
        alone.refused,
        adaptive.refused
    );
}

/// A DigitalOcean answer saying how many requests are left this window, and when it resets.
async fn counting_api(remaining: &'static str) -> TestServer {
    TestServer::start(move |_| async move {
        let reset = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 2;
        let mut response = text(200, r#"{"sizes":[],"links":{},"meta":{"total":0}}"#);
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("ratelimit-limit", HeaderValue::from_static("5000"));
        headers.insert("ratelimit-remaining", HeaderValue::from_static(remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(reset));
        Ok(response)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digitalocean_waits_for_the_reset_once_no_request_is_left() {
    use cloud_compute::ComputeDriver;

    for (remaining, waits) in [("4999", false), ("0", true)] {
        let server = counting_api(remaining).await;
        let droplets = cloud_digitalocean::DropletsBuilder::new()
            .endpoint(server.url(""))
            .token("dop_v1_test")
            .http_client(
                HttpClient::builder()
                    .proxies(ProxyConfig::none())
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        droplets.list_sizes().await.unwrap();
        let first = Instant::now();
        droplets.list_sizes().await.unwrap();
        let between = first.elapsed();
        assert_eq!(server.requests(), 2);
        if waits {
            assert!(
                between >= Duration::from_millis(900),
                "the second call went {between:?} after an answer said none were left"
            );
        } else {
            assert!(
                between < Duration::from_millis(500),
                "{remaining} left, yet the second call waited {between:?}"
            );
        }
    }
}
