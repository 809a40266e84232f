//! AWS STS: temporary credentials for a role, assumed with a web identity token
//! (`AssumeRoleWithWebIdentity`, unsigned: the token is the proof) or with other credentials
//! (`AssumeRole`, signed with them), and `GetCallerIdentity` (who a set of credentials is).

use std::sync::Arc;

use cloud_core::{
    Body, Clock, Error, ErrorKind, HttpClient, HttpService, Operation, Result, Secret,
    ServiceConfig, TemporaryToken,
};
use http::{HeaderValue, Method};
use serde::Deserialize;

use super::{env_var, Credentials};
use crate::auth::{CredentialSource, SigV4};
use crate::query_errors::QueryErrors;

const VERSION: &str = "2011-06-15";

/// Where STS requests go: `AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, else the region's endpoint
/// (the global one without a region).
pub(crate) fn endpoint(region: Option<&str>) -> String {
    env_var("AWS_ENDPOINT_URL_STS")
        .or_else(|| env_var("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| match region {
            Some(region) => format!("https://sts.{region}.amazonaws.com"),
            None => "https://sts.amazonaws.com".to_owned(),
        })
}

/// The region STS credentials are signed for (`us-east-1` when none is set, as the global endpoint
/// expects).
pub(crate) fn region() -> Option<String> {
    env_var("AWS_REGION").or_else(|| env_var("AWS_DEFAULT_REGION"))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StsCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RoleResult {
    credentials: StsCredentials,
}

#[derive(Deserialize)]
struct WebIdentityResponse {
    #[serde(rename = "AssumeRoleWithWebIdentityResult")]
    result: RoleResult,
}

#[derive(Deserialize)]
struct AssumeRoleResponse {
    #[serde(rename = "AssumeRoleResult")]
    result: RoleResult,
}

/// Who a set of credentials belongs to.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CallerIdentity {
    /// The account's ID.
    pub account: String,
    /// The user's or assumed role's ARN.
    pub arn: String,
    /// The user's or role session's unique ID.
    pub user_id: String,
}

#[derive(Deserialize)]
struct CallerIdentityResponse {
    #[serde(rename = "GetCallerIdentityResult")]
    result: CallerIdentity,
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", cloud_core::request::encode_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn call(
    http: &HttpService,
    endpoint: &str,
    operation: &'static str,
    body: String,
) -> Result<String> {
    let mut req =
        cloud_core::request::request(Method::POST, format!("{endpoint}/"), Body::from(body))?;
    req.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
    );
    // Asking again for credentials changes nothing: retried like a read.
    let response = http
        .send_buffered(Operation::new(operation).idempotent(true), req)
        .await?;
    let body = response.into_body().bytes().await?;
    String::from_utf8(body.to_vec()).map_err(|_| {
        Error::unexpected(format!(
            "STS {operation} answered with text that is not UTF-8"
        ))
    })
}

fn into_token(
    credentials: StsCredentials,
    clock: &dyn Clock,
) -> Result<TemporaryToken<Credentials>> {
    let expires = cloud_core::time::rfc3339(&credentials.expiration)
        .ok_or_else(|| Error::unexpected("STS answered with an Expiration that is not a time"))?;
    let credentials = Credentials::new(credentials.access_key_id, credentials.secret_access_key)
        .with_session_token(Secret::new(credentials.session_token));
    Ok(TemporaryToken::expiring_at(credentials, expires, clock))
}

/// Reads every answer of STS the credential chain asks for, as a fuzz target.
#[cfg(feature = "fuzzing")]
pub(crate) fn read_answers(xml: &str, clock: &dyn Clock) {
    let parse = cloud_core::xml::parse::<WebIdentityResponse>;
    if let Ok(answer) = parse("STS", "AssumeRoleWithWebIdentityResponse", xml) {
        let _ = into_token(answer.result.credentials, clock);
    }
    let parse = cloud_core::xml::parse::<AssumeRoleResponse>;
    if let Ok(answer) = parse("STS", "AssumeRoleResponse", xml) {
        let _ = into_token(answer.result.credentials, clock);
    }
    let _ =
        cloud_core::xml::parse::<CallerIdentityResponse>("STS", "GetCallerIdentityResponse", xml);
}

/// `AssumeRoleWithWebIdentity`: the role's credentials for the token in `token_file` (read afresh
/// each time: the platform rotates it).
pub(crate) async fn with_web_identity(
    client: &HttpClient,
    role_arn: &str,
    session_name: &str,
    token_file: &str,
) -> Result<TemporaryToken<Credentials>> {
    let token = tokio::fs::read_to_string(token_file).await.map_err(|e| {
        Error::new(
            ErrorKind::Unauthenticated,
            format!("the web identity token file {token_file} cannot be read"),
        )
        .with_source(e)
    })?;
    let token = Secret::new(token.trim());
    let body = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", VERSION),
        ("RoleArn", role_arn),
        ("RoleSessionName", session_name),
        ("WebIdentityToken", token.expose()),
    ]);
    let http = client.service(ServiceConfig::new("sts").errors(QueryErrors));
    let region = region();
    let xml = call(
        &http,
        &endpoint(region.as_deref()),
        "AssumeRoleWithWebIdentity",
        body,
    )
    .await?;
    let answer: WebIdentityResponse =
        cloud_core::xml::parse("STS", "AssumeRoleWithWebIdentityResponse", &xml)?;
    into_token(answer.result.credentials, &*client.clock())
}

/// `AssumeRole`, signed with `source`.
pub(crate) async fn assume_role(
    client: &HttpClient,
    source: Credentials,
    role_arn: &str,
    session_name: &str,
    external_id: Option<&str>,
) -> Result<TemporaryToken<Credentials>> {
    let mut pairs = vec![
        ("Action", "AssumeRole"),
        ("Version", VERSION),
        ("RoleArn", role_arn),
        ("RoleSessionName", session_name),
    ];
    if let Some(id) = external_id {
        pairs.push(("ExternalId", id));
    }
    let http = signed(client, source)?;
    let region = region();
    let xml = call(
        &http,
        &endpoint(region.as_deref()),
        "AssumeRole",
        form(&pairs),
    )
    .await?;
    let answer: AssumeRoleResponse = cloud_core::xml::parse("STS", "AssumeRoleResponse", &xml)?;
    into_token(answer.result.credentials, &*client.clock())
}

/// `GetCallerIdentity` for `source`.
pub async fn caller_identity(client: &HttpClient, source: Credentials) -> Result<CallerIdentity> {
    let http = signed(client, source)?;
    let region = region();
    let body = form(&[("Action", "GetCallerIdentity"), ("Version", VERSION)]);
    let xml = call(
        &http,
        &endpoint(region.as_deref()),
        "GetCallerIdentity",
        body,
    )
    .await?;
    let answer: CallerIdentityResponse =
        cloud_core::xml::parse("STS", "GetCallerIdentityResponse", &xml)?;
    Ok(answer.result)
}

fn signed(client: &HttpClient, source: Credentials) -> Result<HttpService> {
    let region = region().unwrap_or_else(|| "us-east-1".to_owned());
    let signer = SigV4::query_service(
        &CredentialSource::Fixed(source),
        &region,
        "sts",
        client.clock(),
    )?;
    Ok(client.service(
        ServiceConfig::new("sts")
            .shared_authorizer(Arc::new(signer))
            .errors(QueryErrors),
    ))
}
