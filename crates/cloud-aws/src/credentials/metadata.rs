//! Credentials from the machine the code runs on: the container credentials endpoint (ECS, EKS Pod
//! Identity, or any `_FULL_URI` on loopback) and the EC2 instance metadata service, IMDSv2 (a token
//! from a `PUT` first, then the role's credentials with it).

use std::sync::Arc;
use std::time::Duration;

use cloud_core::{
    Body, Clock, Error, ErrorKind, HttpClient, HttpService, Operation, ProxyConfig, Result,
    RetryConfig, ServiceConfig, TemporaryToken,
};
use http::{HeaderValue, Method};

use super::process::CredentialsJson;
use super::{env_var, Credentials};

/// IMDS's address on EC2.
pub(crate) const IMDS_ENDPOINT: &str = "http://169.254.169.254";
/// ECS's container credentials address (for `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`).
pub(crate) const ECS_ENDPOINT: &str = "http://169.254.170.2";
/// How long an IMDSv2 session token is asked to live (the SDKs' six hours).
const IMDS_TOKEN_TTL: &str = "21600";

/// The client for metadata endpoints: never through a proxy, a short connect timeout so that a
/// machine off EC2 learns it in a second, and few attempts.
pub(crate) fn client(clock: Arc<dyn Clock>) -> Result<HttpService> {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .connect_timeout(Duration::from_secs(1))
        .attempt_timeout(Some(Duration::from_secs(5)))
        .retry(RetryConfig::default().with_max_attempts(2))
        .clock(clock)
        .build()?;
    Ok(client.service(ServiceConfig::new("aws-metadata")))
}

fn unreachable(err: &Error) -> bool {
    matches!(err.kind(), ErrorKind::Transport | ErrorKind::Timeout)
}

async fn text(
    http: &HttpService,
    operation: &'static str,
    req: cloud_core::Request,
) -> Result<String> {
    let response = http
        .send_buffered(Operation::new(operation).idempotent(true), req)
        .await?;
    let body = response.into_body().bytes().await?;
    String::from_utf8(body.to_vec())
        .map_err(|_| Error::unexpected(format!("{operation} answered with text that is not UTF-8")))
}

/// The IMDS endpoint: `AWS_EC2_METADATA_SERVICE_ENDPOINT`, or EC2's (IPv6 with
/// `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`); `None` when `AWS_EC2_METADATA_DISABLED` is true.
pub(crate) fn imds_endpoint() -> Option<String> {
    if env_var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    Some(match env_var("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
        Some(endpoint) => endpoint.trim_end_matches('/').to_owned(),
        None if env_var("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
            .is_some_and(|m| m.eq_ignore_ascii_case("ipv6")) =>
        {
            "http://[fd00:ec2::254]".to_owned()
        }
        None => IMDS_ENDPOINT.to_owned(),
    })
}

/// An IMDSv2 session: the token from a `PUT`, sent with every read.
struct ImdsSession<'a> {
    http: &'a HttpService,
    endpoint: &'a str,
    token: HeaderValue,
}

impl<'a> ImdsSession<'a> {
    /// A session with the IMDS at `endpoint`; `Ok(None)` when nothing answers there (not on EC2).
    async fn open(http: &'a HttpService, endpoint: &'a str) -> Result<Option<ImdsSession<'a>>> {
        let mut put = cloud_core::request::request(
            Method::PUT,
            format!("{endpoint}/latest/api/token"),
            Body::empty(),
        )?;
        put.headers_mut().insert(
            "x-aws-ec2-metadata-token-ttl-seconds",
            HeaderValue::from_static(IMDS_TOKEN_TTL),
        );
        let token = match text(http, "GetMetadataToken", put).await {
            Ok(token) => token,
            Err(err) if unreachable(&err) => return Ok(None),
            Err(err) => return Err(err.with_message("IMDSv2 refused a session token")),
        };
        let mut token = HeaderValue::from_str(token.trim()).map_err(|_| {
            Error::unexpected("IMDS answered with a session token that is not a header")
        })?;
        token.set_sensitive(true);
        Ok(Some(ImdsSession {
            http,
            endpoint,
            token,
        }))
    }

    /// `GET /latest/meta-data/{path}` with the session's token.
    async fn get(&self, operation: &'static str, path: &str) -> Result<String> {
        let url = format!("{}/latest/meta-data/{path}", self.endpoint);
        let mut req = cloud_core::request::request(Method::GET, url, Body::empty())?;
        req.headers_mut()
            .insert("x-aws-ec2-metadata-token", self.token.clone());
        text(self.http, operation, req).await
    }
}

/// The instance's region (`placement/region`) through IMDSv2; `Ok(None)` when not on EC2.
pub(crate) async fn imds_region(http: &HttpService, endpoint: &str) -> Result<Option<String>> {
    let Some(session) = ImdsSession::open(http, endpoint).await? else {
        return Ok(None);
    };
    let region = session.get("GetInstanceRegion", "placement/region").await?;
    let region = region.trim();
    let valid = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        return Err(Error::unexpected(
            "IMDS answered placement/region with something that is not a region name",
        ));
    }
    Ok(Some(region.to_owned()))
}

/// The instance profile's credentials through IMDSv2; `Ok(None)` when nothing answers at `endpoint`
/// (not on EC2).
pub(crate) async fn imds(
    http: &HttpService,
    endpoint: &str,
    clock: &dyn Clock,
) -> Result<Option<TemporaryToken<Credentials>>> {
    let Some(session) = ImdsSession::open(http, endpoint).await? else {
        return Ok(None);
    };
    let base = "iam/security-credentials/";
    let roles = session
        .get("GetInstanceRole", base)
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => Error::new(
                ErrorKind::Unauthenticated,
                "this EC2 instance has no instance profile (IMDS lists no role)",
            ),
            _ => e,
        })?;
    let Some(role) = roles.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            "this EC2 instance has no instance profile (IMDS lists no role)",
        ));
    };
    let path = format!("{base}{}", cloud_core::request::encode_value(role));
    let body = session.get("GetInstanceCredentials", &path).await?;
    let json: CredentialsJson = serde_json::from_str(&body).map_err(|_| {
        Error::unexpected(
            "IMDS answered the role's credentials with something other than their JSON",
        )
    })?;
    json.into_token(clock, "IMDS").map(Some)
}

/// Whether a `_FULL_URI` may be used: HTTPS, or HTTP to loopback or the container credential hosts
/// of ECS and EKS Pod Identity (the SDKs' rule: anything else would send the token in the clear).
fn allowed_full_uri(uri: &http::Uri) -> bool {
    if uri.scheme_str() == Some("https") {
        return true;
    }
    let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
    if host == "localhost" {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_loopback() => true,
        Ok(ip) => ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"]
            .iter()
            .any(|allowed| allowed.parse::<std::net::IpAddr>().ok() == Some(ip)),
        Err(_) => false,
    }
}

/// The container credentials URL the environment names, if any.
pub(crate) fn container_url() -> Result<Option<String>> {
    if let Some(relative) = env_var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        return Ok(Some(format!("{ECS_ENDPOINT}{relative}")));
    }
    let Some(full) = env_var("AWS_CONTAINER_CREDENTIALS_FULL_URI") else {
        return Ok(None);
    };
    let uri: http::Uri = full
        .parse()
        .map_err(|_| Error::invalid_input("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL"))?;
    if !allowed_full_uri(&uri) {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI must be HTTPS, or HTTP to a loopback address or the \
             ECS/EKS container credential hosts",
        ));
    }
    Ok(Some(full))
}

/// The container's credentials from `url`, with the authorization token the environment gives
/// (`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read afresh each time since it is rotated, or
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`).
pub(crate) async fn container(
    http: &HttpService,
    url: &str,
    clock: &dyn Clock,
) -> Result<TemporaryToken<Credentials>> {
    let mut req = cloud_core::request::request(Method::GET, url, Body::empty())?;
    let token = match env_var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(file) => Some(tokio::fs::read_to_string(&file).await.map_err(|e| {
            Error::new(
                ErrorKind::Unauthenticated,
                format!("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {file} cannot be read"),
            )
            .with_source(e)
        })?),
        None => env_var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    if let Some(token) = token {
        let mut value = HeaderValue::from_str(token.trim()).map_err(|_| {
            Error::invalid_input("the container authorization token is not a header value")
        })?;
        value.set_sensitive(true);
        req.headers_mut().insert(http::header::AUTHORIZATION, value);
    }
    let body = text(http, "GetContainerCredentials", req)
        .await
        .map_err(|e| {
            let said = e.message().unwrap_or("failed").to_owned();
            e.with_message(format!("the container credentials endpoint: {said}"))
        })?;
    let json: CredentialsJson = serde_json::from_str(&body).map_err(|_| {
        Error::unexpected("the container credentials endpoint answered with something other than credentials JSON")
    })?;
    json.into_token(clock, "the container credentials endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_uri_over_http_must_stay_on_the_machine() {
        for ok in [
            "https://creds.example.com/x",
            "http://127.0.0.1:8080/creds",
            "http://localhost/creds",
            "http://[::1]:9/creds",
            "http://169.254.170.23/v1/credentials",
        ] {
            assert!(allowed_full_uri(&ok.parse().unwrap()), "{ok}");
        }
        for refused in ["http://creds.example.com/x", "http://10.0.0.1/creds"] {
            assert!(!allowed_full_uri(&refused.parse().unwrap()), "{refused}");
        }
    }
}
