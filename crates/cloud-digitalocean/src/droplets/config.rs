//! Building a [`Droplets`] driver.

use std::time::Duration;

use cloud_core::endpoint::parse_endpoint;
use cloud_core::json::JsonApi;
use cloud_core::redact::RedactedUrl;
use cloud_core::{Backoff, BearerToken, HttpClient, PollOptions, Result, Secret, ServiceConfig};

use super::compute::{Droplets, Inner};
use super::error::DoErrors;
use crate::credentials::token_from_env;

/// The API's address.
pub const DEFAULT_ENDPOINT: &str = "https://api.digitalocean.com";

/// Builds a [`Droplets`] driver.
#[derive(Debug, Default)]
#[must_use]
pub struct DropletsBuilder {
    token: Option<Secret>,
    endpoint: Option<RedactedUrl>,
    region: Option<String>,
    client: Option<HttpClient>,
    poll: Option<PollOptions>,
}

impl DropletsBuilder {
    /// A builder with nothing set.
    pub fn new() -> DropletsBuilder {
        DropletsBuilder::default()
    }

    /// Settings from the environment: the token from `DIGITALOCEAN_TOKEN` or
    /// `DIGITALOCEAN_ACCESS_TOKEN`, the endpoint from `DIGITALOCEAN_API_URL`, the default region from
    /// `DIGITALOCEAN_REGION`. A missing token fails at [`build`](DropletsBuilder::build).
    pub fn from_env() -> DropletsBuilder {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        DropletsBuilder {
            endpoint: var("DIGITALOCEAN_API_URL").map(RedactedUrl::new),
            region: var("DIGITALOCEAN_REGION"),
            ..DropletsBuilder::default()
        }
    }

    /// The API token (a personal access token, `dop_v1_…`, or an OAuth token).
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Another endpoint than [`DEFAULT_ENDPOINT`] (a mock server, a proxy).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(RedactedUrl::new(endpoint));
        self
    }

    /// The region slug (`nyc3`, `ams3`, …) for nodes and volumes whose request names no location.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The HTTP client to share (default: a new one).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.client = Some(client);
        self
    }

    /// How to wait for the actions that must finish before a call returns (attaching and detaching
    /// volumes, imaging a droplet); default: every 1 to 10 s, for at most 10 minutes.
    pub fn action_polling(mut self, poll: PollOptions) -> Self {
        self.poll = Some(poll);
        self
    }

    /// Builds the driver; fails without a token.
    pub fn build(self) -> Result<Droplets> {
        let token = match self.token {
            Some(token) => token,
            None => token_from_env()?,
        };
        let endpoint = self
            .endpoint
            .as_ref()
            .map_or(DEFAULT_ENDPOINT, RedactedUrl::expose);
        let parsed = parse_endpoint(endpoint, "DigitalOcean")?;
        let path = parsed.uri().path().trim_end_matches('/');
        let base = format!("{}://{}{path}", parsed.scheme(), parsed.authority());
        let client = match self.client {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        let poll = self.poll.unwrap_or_else(|| {
            PollOptions::default()
                .with_backoff(Backoff::new(
                    Duration::from_secs(1),
                    Duration::from_secs(10),
                ))
                .with_timeout(Some(Duration::from_secs(600)))
                .with_clock(client.clock())
        });
        let http = client.service(
            ServiceConfig::new("digitalocean")
                .authorizer(BearerToken::new(&token)?)
                .errors(DoErrors)
                // The API counts requests per hour and per minute and says when none are left.
                .rate_limit_headers(true),
        );
        Ok(Droplets::from_inner(Inner {
            api: JsonApi::new(http),
            base: RedactedUrl::new(base),
            region: self.region,
            poll,
        }))
    }
}
