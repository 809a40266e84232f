//! Acting as a service account (IAM Credentials' `generateAccessToken`): the file
//! `gcloud auth application-default login --impersonate-service-account` writes
//! (`"type": "impersonated_service_account"`), and the last step of an external account that names
//! a service account to impersonate.

use std::sync::Arc;

use async_trait::async_trait;
use cloud_core::{Clock, Error, HttpService, Operation, Provide, Result, Secret, TemporaryToken};
use http::{HeaderValue, Method};
use serde::Deserialize;

use crate::auth::STORAGE_SCOPE;
use crate::credentials::Credentials;

/// The scope of a token that calls `generateAccessToken`, which IAM Credentials requires.
pub(crate) const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// An `impersonated_service_account` file.
#[derive(Clone, Debug)]
pub struct Impersonated {
    /// The credentials that act as the account (a user's login, a service account's key, …).
    pub source: Box<Credentials>,
    /// The account's `generateAccessToken` URL.
    pub service_account_impersonation_url: String,
    /// Service accounts in the chain of delegation between the source and the account, if any.
    pub delegates: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    service_account_impersonation_url: Option<String>,
    #[serde(default)]
    source_credentials: Option<serde_json::Value>,
    #[serde(default)]
    delegates: Vec<String>,
}

impl Impersonated {
    /// Reads an `impersonated_service_account` file's text.
    pub(crate) fn from_json(text: &str) -> Result<Impersonated> {
        let file: File = serde_json::from_str(text).map_err(|_| {
            Error::invalid_input(
                "the impersonated_service_account credentials are not the JSON gcloud writes",
            )
        })?;
        let (Some(url), Some(source)) = (
            file.service_account_impersonation_url,
            file.source_credentials,
        ) else {
            return Err(Error::invalid_input(
                "the impersonated_service_account credentials lack service_account_impersonation_url or source_credentials",
            ));
        };
        let source = Credentials::from_json(&source.to_string())?;
        if matches!(source, Credentials::Impersonated(_)) {
            return Err(Error::invalid_input(
                "the impersonated_service_account's source is itself impersonated; name delegates instead",
            ));
        }
        Ok(Impersonated {
            source: Box::new(source),
            service_account_impersonation_url: url,
            delegates: file.delegates,
        })
    }
}

/// Tokens of the impersonated account, asked for with the source's.
#[derive(Debug)]
pub(crate) struct ImpersonatedTokens {
    pub(crate) http: HttpService,
    pub(crate) source: Arc<dyn Provide<Secret>>,
    pub(crate) url: String,
    pub(crate) delegates: Vec<String>,
    pub(crate) clock: Arc<dyn Clock>,
}

#[async_trait]
impl Provide<Secret> for ImpersonatedTokens {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let caller = self.source.provide().await?;
        generate_access_token(
            &self.http,
            &self.url,
            &caller.token,
            &self.delegates,
            &*self.clock,
        )
        .await
    }
}

/// The service account's token for Cloud Storage, from `generateAccessToken` at `url`, called with
/// `caller` (a token with the cloud-platform scope).
pub(crate) async fn generate_access_token(
    http: &HttpService,
    url: &str,
    caller: &Secret,
    delegates: &[String],
    clock: &dyn Clock,
) -> Result<TemporaryToken<Secret>> {
    let mut body = serde_json::json!({"scope": [STORAGE_SCOPE], "lifetime": "3600s"});
    if !delegates.is_empty() {
        body["delegates"] = delegates.into();
    }
    let mut req = cloud_core::json::request(Method::POST, url, &body)?;
    let mut bearer =
        HeaderValue::try_from(format!("Bearer {}", caller.expose())).map_err(|_| {
            Error::unexpected("a token service answered with a token no header can hold")
        })?;
    bearer.set_sensitive(true);
    req.headers_mut()
        .insert(http::header::AUTHORIZATION, bearer);
    let response = http
        .send_buffered(Operation::new("GenerateAccessToken").idempotent(true), req)
        .await?;
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        access_token: String,
        expire_time: String,
    }
    let body = response.into_body().bytes().await?;
    let answer: Answer = serde_json::from_slice(&body).map_err(|_| {
        Error::unexpected("generateAccessToken answered without an accessToken and expireTime")
    })?;
    let expires = cloud_core::time::rfc3339(&answer.expire_time)
        .filter(|at| *at > clock.system_time() && !answer.access_token.is_empty())
        .ok_or_else(|| {
            Error::unexpected("generateAccessToken answered with an empty or expired token")
        })?;
    Ok(TemporaryToken::expiring_at(
        Secret::new(answer.access_token),
        expires,
        clock,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_gclouds_file_with_its_source_and_shows_no_secret() {
        let file = r#"{"type":"impersonated_service_account",
            "service_account_impersonation_url":"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken",
            "source_credentials":{"type":"authorized_user","client_id":"c","client_secret":"CLIENT-SECRET","refresh_token":"REFRESH-SECRET"},
            "delegates":["d@p.iam.gserviceaccount.com"]}"#;
        let Credentials::Impersonated(found) = Credentials::from_json(file).unwrap() else {
            panic!("impersonated credentials");
        };
        assert!(matches!(*found.source, Credentials::AuthorizedUser { .. }));
        assert_eq!(found.delegates, ["d@p.iam.gserviceaccount.com"]);
        let shown = format!("{found:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        let lacking = Credentials::from_json(r#"{"type":"impersonated_service_account"}"#);
        assert_eq!(
            lacking.unwrap_err().kind(),
            cloud_core::ErrorKind::InvalidInput
        );
    }
}
