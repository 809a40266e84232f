//! The compute conformance suite on DigitalOcean in contract mode, against Prism serving
//! DigitalOcean's own API document (started by `cargo xtask test`): every request the behaviours send
//! must be one the document allows; the behaviours that need a server with state are reported as
//! not run.

use std::sync::Arc;
use std::time::Duration;

use cloud_core::{Backoff, HttpClient, PollOptions, ProxyConfig};
use cloud_digitalocean::DropletsBuilder;
use cloud_tests::conformance::compute::ComputeFixture;
use cloud_tests::servers::prism;

async fn fixture() -> ComputeFixture {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    let droplets = DropletsBuilder::new()
        .endpoint(prism::digitalocean())
        .token(prism::TOKEN)
        .region("nyc3")
        .http_client(client)
        .build()
        .expect("DigitalOcean driver");
    let poll = PollOptions::default()
        .with_backoff(Backoff::new(
            Duration::from_millis(50),
            Duration::from_millis(200),
        ))
        .with_timeout(Some(Duration::from_secs(5)));
    // The size and image of the document's examples.
    ComputeFixture::new(Arc::new(droplets), poll, "s-1vcpu-1gb", "63663980", ())
}

cloud_tests::compute_conformance!(fixture, contract);
