//! Workload identity federation (`"type": "external_account"`, Google's AIP-4117): a token another
//! identity provider issued to this workload (a GitHub Actions OIDC token, a Kubernetes service
//! account token, an Azure managed identity's), read from a file or a URL each time a token is needed,
//! exchanged at Google's Security Token Service (RFC 8693), and, when the file names a service account
//! to impersonate, exchanged once more for that account's token (`generateAccessToken`).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use cloud_core::oauth::{form, request_token};
use cloud_core::{
    Body, Clock, Error, ErrorKind, HttpService, Operation, Provide, Result, Secret, TemporaryToken,
};
use http::{HeaderName, HeaderValue, Method};
use serde::Deserialize;

use crate::impersonated::{generate_access_token, CLOUD_PLATFORM_SCOPE};

/// Google's Security Token Service, where external tokens are exchanged.
pub const STS_TOKEN_URL: &str = "https://sts.googleapis.com/v1/token";

/// An `external_account` credentials file.
#[derive(Clone, Debug)]
pub struct ExternalAccount {
    /// The workload identity pool provider (`//iam.googleapis.com/projects/…/providers/…`).
    pub audience: String,
    /// What the subject token is (`urn:ietf:params:oauth:token-type:jwt`, `…:id_token`, …).
    pub subject_token_type: String,
    /// Where it is exchanged ([`STS_TOKEN_URL`] unless the file says otherwise).
    pub token_url: String,
    /// The service account's `generateAccessToken` URL, when the federated identity acts as one.
    pub service_account_impersonation_url: Option<String>,
    /// Where the subject token is read.
    pub source: SubjectToken,
}

/// Where an external account's subject token comes from; read again for every exchange, since the
/// workload's platform rotates it.
#[derive(Clone)]
#[non_exhaustive]
pub enum SubjectToken {
    /// A file (a projected Kubernetes token, a token a CI step wrote).
    File {
        /// The file.
        path: PathBuf,
        /// The JSON field holding the token; the whole text (trimmed) when `None`.
        json_field: Option<String>,
    },
    /// A URL answering a GET (GitHub Actions' token request URL, Azure's IMDS).
    Url {
        /// The URL.
        url: String,
        /// Headers sent with the request; their values may be credentials.
        headers: Vec<(String, Secret)>,
        /// The JSON field holding the token; the whole body (trimmed) when `None`.
        json_field: Option<String>,
    },
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    subject_token_type: Option<String>,
    #[serde(default)]
    token_url: Option<String>,
    #[serde(default)]
    service_account_impersonation_url: Option<String>,
    #[serde(default)]
    credential_source: Option<Source>,
}

#[derive(Deserialize)]
struct Source {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    format: Option<Format>,
    #[serde(default)]
    environment_id: Option<String>,
    #[serde(default)]
    executable: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Format {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    subject_token_field_name: Option<String>,
}

impl ExternalAccount {
    /// Reads an `external_account` file's text.
    pub(crate) fn from_json(text: &str) -> Result<ExternalAccount> {
        let file: File = serde_json::from_str(text).map_err(|_| {
            Error::invalid_input(
                "the external_account credentials are not the JSON Google documents",
            )
        })?;
        let (Some(audience), Some(subject_token_type), Some(source)) = (
            file.audience,
            file.subject_token_type,
            file.credential_source,
        ) else {
            return Err(Error::invalid_input(
                "the external_account credentials lack audience, subject_token_type or credential_source",
            ));
        };
        if source.environment_id.is_some() || source.executable.is_some() {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "external_account credentials sourced from AWS or an executable are not supported \
                 (a file or a URL is)",
            ));
        }
        let source = {
            let json_field = match source.format {
                None => None,
                Some(Format { kind, subject_token_field_name }) => match kind.as_deref() {
                    None | Some("text") => None,
                    Some("json") => Some(subject_token_field_name.ok_or_else(|| {
                        Error::invalid_input(
                            "the credential_source's format is json but names no subject_token_field_name",
                        )
                    })?),
                    Some(other) => {
                        return Err(Error::invalid_input(format!(
                            "the credential_source's format {other:?} is neither text nor json"
                        )))
                    }
                },
            };
            match (source.file, source.url) {
                (Some(path), None) => SubjectToken::File {
                    path: PathBuf::from(path),
                    json_field,
                },
                (None, Some(url)) => SubjectToken::Url {
                    url,
                    headers: source
                        .headers
                        .into_iter()
                        .map(|(name, value)| (name, Secret::new(value)))
                        .collect(),
                    json_field,
                },
                _ => {
                    return Err(Error::invalid_input(
                        "the credential_source names neither a file nor a url (or both)",
                    ))
                }
            }
        };
        Ok(ExternalAccount {
            audience,
            subject_token_type,
            token_url: file.token_url.unwrap_or_else(|| STS_TOKEN_URL.to_owned()),
            service_account_impersonation_url: file.service_account_impersonation_url,
            source,
        })
    }
}

/// Tokens for an external account: the subject token read, exchanged, and impersonated.
#[derive(Debug)]
pub(crate) struct ExternalTokens {
    pub(crate) http: HttpService,
    pub(crate) account: ExternalAccount,
    pub(crate) clock: Arc<dyn Clock>,
}

#[async_trait]
impl Provide<Secret> for ExternalTokens {
    async fn provide(&self) -> Result<TemporaryToken<Secret>> {
        let subject = self.subject_token().await?;
        let body = form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("audience", &self.account.audience),
            ("scope", CLOUD_PLATFORM_SCOPE),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
            ("subject_token", subject.expose()),
            ("subject_token_type", &self.account.subject_token_type),
        ]);
        let federated =
            request_token(&self.http, &self.account.token_url, body, &*self.clock).await?;
        match &self.account.service_account_impersonation_url {
            None => Ok(federated),
            Some(url) => {
                generate_access_token(&self.http, url, &federated.token, &[], &*self.clock).await
            }
        }
    }
}

impl ExternalTokens {
    async fn subject_token(&self) -> Result<Secret> {
        let (text, json_field, from) = match &self.account.source {
            SubjectToken::File { path, json_field } => {
                let text = tokio::fs::read_to_string(path).await.map_err(|e| {
                    Error::new(
                        ErrorKind::Unauthenticated,
                        format!("the subject token file {} cannot be read", path.display()),
                    )
                    .with_source(e)
                })?;
                (Secret::new(text), json_field, "file")
            }
            SubjectToken::Url {
                url,
                headers,
                json_field,
            } => {
                let mut req =
                    cloud_core::request::request(Method::GET, url.clone(), Body::empty())?;
                for (name, value) in headers {
                    let name = HeaderName::try_from(name.as_str()).map_err(|_| {
                        Error::invalid_input(format!(
                            "the credential_source header {name:?} is not a header name"
                        ))
                    })?;
                    let mut value = HeaderValue::try_from(value.expose()).map_err(|_| {
                        Error::invalid_input(format!(
                            "the credential_source header {name} has a value no header can hold"
                        ))
                    })?;
                    value.set_sensitive(true);
                    req.headers_mut().insert(name, value);
                }
                let response = self
                    .http
                    .send_buffered(Operation::new("GetSubjectToken").idempotent(true), req)
                    .await?;
                let body = response.into_body().bytes().await?;
                let text = std::str::from_utf8(&body).map_err(|_| {
                    Error::unexpected("the subject token URL answered with text that is not UTF-8")
                })?;
                (Secret::new(text), json_field, "URL's answer")
            }
        };
        let token = match json_field {
            None => text.expose().trim().to_owned(),
            Some(field) => serde_json::from_str::<serde_json::Value>(text.expose())
                .ok()
                .and_then(|v| v.get(field)?.as_str().map(str::to_owned))
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Unauthenticated,
                        format!("the subject token {from} is not JSON with a string {field:?}"),
                    )
                })?,
        };
        if token.is_empty() {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!("the subject token {from} is empty"),
            ));
        }
        Ok(Secret::new(token))
    }
}

impl fmt::Debug for SubjectToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectToken::File { path, json_field } => f
                .debug_struct("File")
                .field("path", path)
                .field("json_field", json_field)
                .finish(),
            SubjectToken::Url {
                url,
                headers,
                json_field,
            } => {
                // Header values are often credentials (GitHub's request token): names only.
                let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
                f.debug_struct("Url")
                    .field("url", url)
                    .field("headers", &names)
                    .field("json_field", json_field)
                    .finish()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(source: &str) -> Result<ExternalAccount> {
        ExternalAccount::from_json(&format!(
            r#"{{"type":"external_account","audience":"//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/q",
                "subject_token_type":"urn:ietf:params:oauth:token-type:jwt","credential_source":{source}}}"#
        ))
    }

    #[test]
    fn reads_file_and_url_sources_and_refuses_the_rest_clearly() {
        let file = parse(r#"{"file":"/var/run/token"}"#).unwrap();
        assert_eq!(file.token_url, STS_TOKEN_URL);
        assert!(matches!(
            &file.source,
            SubjectToken::File {
                json_field: None,
                ..
            }
        ));
        let url = parse(
            r#"{"url":"http://h/t","headers":{"Authorization":"bearer REQUEST-SECRET"},
                "format":{"type":"json","subject_token_field_name":"value"}}"#,
        )
        .unwrap();
        let SubjectToken::Url { json_field, .. } = &url.source else {
            panic!("a URL source");
        };
        assert_eq!(json_field.as_deref(), Some("value"));
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("REQUEST-SECRET") && shown.contains("Authorization"),
            "{shown}"
        );

        let aws = parse(r#"{"environment_id":"aws1","region_url":"http://169.254.169.254"}"#);
        assert_eq!(aws.unwrap_err().kind(), ErrorKind::Unsupported);
        let executable = parse(r#"{"executable":{"command":"/bin/token"}}"#);
        assert_eq!(executable.unwrap_err().kind(), ErrorKind::Unsupported);
        let unnamed = parse(r#"{"file":"/t","format":{"type":"json"}}"#);
        assert_eq!(unnamed.unwrap_err().kind(), ErrorKind::InvalidInput);
        let neither = parse("{}");
        assert_eq!(neither.unwrap_err().kind(), ErrorKind::InvalidInput);
        let both = parse(r#"{"file":"/t","url":"http://h/t"}"#);
        assert_eq!(both.unwrap_err().kind(), ErrorKind::InvalidInput);
    }
}
