//! AWS drivers pointed at a scripted [`TestServer`]: no proxy from the environment, one attempt per
//! call (so a test sees each answer as the server gave it), throwaway credentials.

use cloud_aws::{Credentials, Ec2Builder, S3Builder};
use cloud_core::{HttpClient, ProxyConfig, RetryConfig};

use crate::server::TestServer;

/// A client that sends each request once and ignores proxy variables.
pub fn one_attempt_client() -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .retry(RetryConfig::default().with_max_attempts(1))
        .build()
        .expect("a client with default TLS settings")
}

/// An S3 builder for `server`, with [`one_attempt_client`]; more settings may follow before `build`.
pub fn s3_on(server: &TestServer) -> S3Builder {
    S3Builder::new()
        .endpoint(server.url(""))
        .credentials(Credentials::new("AKID", "secret"))
        .http_client(one_attempt_client())
}

/// An EC2 builder for `server`, with [`one_attempt_client`].
pub fn ec2_on(server: &TestServer) -> Ec2Builder {
    Ec2Builder::new()
        .endpoint(server.url("/"))
        .credentials(Credentials::new("AKID", "secret"))
        .http_client(one_attempt_client())
}
