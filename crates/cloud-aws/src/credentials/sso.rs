//! IAM Identity Center (SSO) profiles: the access token `aws sso login` cached in
//! `~/.aws/sso/cache/<SHA-1 of the session name or start URL>.json`, exchanged for the role's
//! credentials at the portal's `GetRoleCredentials`. An expired token is an error that says to log
//! in again (refreshing it through SSO-OIDC is left to the AWS CLI).

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use cloud_core::{
    Body, Error, ErrorKind, HttpClient, Operation, Result, Secret, ServiceConfig, TemporaryToken,
};
use http::{HeaderValue, Method};
use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::profile::{config_section, home, Profile};
use super::{env_var, Credentials};
use crate::query_errors::QueryErrors;

/// The settings an SSO profile names.
struct SsoSettings {
    /// The cache key: the `sso_session` name, or the start URL of a legacy profile.
    cache_key: String,
    region: String,
    account_id: String,
    role_name: String,
}

fn missing(profile: &str, what: &str) -> Error {
    Error::invalid_input(format!("SSO profile {profile:?} has no {what}"))
}

fn settings(name: &str, profile: &Profile) -> Result<SsoSettings> {
    let account_id = profile
        .get("sso_account_id")
        .ok_or_else(|| missing(name, "sso_account_id"))?
        .to_owned();
    let role_name = profile
        .get("sso_role_name")
        .ok_or_else(|| missing(name, "sso_role_name"))?
        .to_owned();
    if let Some(session) = profile.get("sso_session") {
        let section = config_section(&format!("sso-session {session}"))?;
        let region = section
            .get("sso_region")
            .ok_or_else(|| missing(name, &format!("sso_region in [sso-session {session}]")))?;
        return Ok(SsoSettings {
            cache_key: session.to_owned(),
            region: region.to_owned(),
            account_id,
            role_name,
        });
    }
    Ok(SsoSettings {
        cache_key: profile
            .get("sso_start_url")
            .ok_or_else(|| missing(name, "sso_start_url"))?
            .to_owned(),
        region: profile
            .get("sso_region")
            .ok_or_else(|| missing(name, "sso_region"))?
            .to_owned(),
        account_id,
        role_name,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CachedToken {
    access_token: String,
    expires_at: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    /// Milliseconds since 1970.
    expiration: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleCredentialsAnswer {
    role_credentials: RoleCredentials,
}

fn cache_file(key: &str) -> PathBuf {
    let digest = Sha1::digest(key.as_bytes());
    let name = cloud_core::hex::encode(digest);
    home().join(".aws/sso/cache").join(format!("{name}.json"))
}

/// The role's credentials for the SSO profile `name`.
pub(crate) async fn role_credentials(
    client: &HttpClient,
    name: &str,
    profile: &Profile,
) -> Result<TemporaryToken<Credentials>> {
    let clock = client.clock();
    let sso = settings(name, profile)?;
    let login = format!("run `aws sso login --profile {name}`");
    let file = cache_file(&sso.cache_key);
    let text = tokio::fs::read_to_string(&file).await.map_err(|_| {
        Error::new(
            ErrorKind::Unauthenticated,
            format!(
                "no SSO login is cached for profile {name:?} ({} is missing); {login}",
                file.display()
            ),
        )
    })?;
    let cached: CachedToken = serde_json::from_str(&text).map_err(|_| {
        Error::new(
            ErrorKind::Unauthenticated,
            format!("{} is not an SSO token cache; {login}", file.display()),
        )
    })?;
    let expired =
        cloud_core::time::rfc3339(&cached.expires_at).is_none_or(|at| at <= clock.system_time());
    if expired {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            format!("the SSO login of profile {name:?} has expired; {login}"),
        ));
    }
    let token = Secret::new(cached.access_token);
    let endpoint = env_var("AWS_ENDPOINT_URL_SSO")
        .unwrap_or_else(|| format!("https://portal.sso.{}.amazonaws.com", sso.region));
    let url = format!(
        "{}/federation/credentials?{}",
        endpoint.trim_end_matches('/'),
        cloud_core::request::query(&[
            ("account_id", sso.account_id.as_str()),
            ("role_name", sso.role_name.as_str()),
        ])
    );
    let mut req = cloud_core::request::request(Method::GET, url, Body::empty())?;
    let mut value = HeaderValue::from_str(token.expose())
        .map_err(|_| Error::invalid_input("the cached SSO access token is not a header value"))?;
    value.set_sensitive(true);
    req.headers_mut().insert("x-amz-sso_bearer_token", value);
    let http = client.service(ServiceConfig::new("sso").errors(QueryErrors));
    let body = http
        .send_buffered(Operation::new("GetRoleCredentials").idempotent(true), req)
        .await?
        .into_body()
        .bytes()
        .await?;
    let answer: RoleCredentialsAnswer = serde_json::from_slice(&body).map_err(|_| {
        Error::unexpected("GetRoleCredentials answered with something other than roleCredentials")
    })?;
    let role = answer.role_credentials;
    let expires = UNIX_EPOCH + Duration::from_millis(role.expiration);
    let credentials = Credentials::new(role.access_key_id, role.secret_access_key)
        .with_session_token(Secret::new(role.session_token));
    Ok(TemporaryToken::expiring_at(credentials, expires, &*clock))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_file_is_named_by_the_sha1_of_the_session() {
        // As the AWS CLI names it: the lowercase hex SHA-1 of the session name.
        let file = cache_file("my-sso");
        assert_eq!(
            file.file_name().unwrap(),
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
        );
        assert!(file.parent().unwrap().ends_with(".aws/sso/cache"));
    }
}
