//! Google credentials as Google hands them out: a service account's JSON key, a user's
//! `gcloud auth application-default login` file (also with `--impersonate-service-account`), a
//! workload identity federation file (`external_account`), the metadata server of a VM, or none (the
//! emulator).

use std::fmt;
use std::path::{Path, PathBuf};

use cloud_core::{Error, ErrorKind, Result, Secret};
use serde::Deserialize;

use crate::external::ExternalAccount;
use crate::impersonated::Impersonated;

/// The token endpoint service accounts and users exchange their grants at.
pub const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// How requests to Google are authorized.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A service account's key (`"type": "service_account"`): a signed JWT is exchanged for tokens.
    ServiceAccount(ServiceAccountKey),
    /// A user's refresh token (`"type": "authorized_user"`, from `gcloud auth application-default login`).
    AuthorizedUser {
        /// The OAuth client the user authorized.
        client_id: String,
        /// That client's secret.
        client_secret: Secret,
        /// The long-lived refresh token.
        refresh_token: Secret,
        /// Where to exchange it ([`TOKEN_URI`] unless the file says otherwise).
        token_uri: String,
    },
    /// Workload identity federation (`"type": "external_account"`): another identity provider's token
    /// (GitHub Actions, Kubernetes, Azure, …) exchanged for Google's.
    ExternalAccount(ExternalAccount),
    /// Another identity acting as a service account (`"type": "impersonated_service_account"`, from
    /// `gcloud auth application-default login --impersonate-service-account`).
    Impersonated(Impersonated),
    /// The metadata server of a Compute Engine VM, GKE pod or Cloud Run service.
    Metadata {
        /// `http://metadata.google.internal` unless `GCE_METADATA_HOST` names another.
        endpoint: String,
    },
    /// No authorization at all (the emulator, public buckets).
    Anonymous,
}

/// A service account's JSON key, as the console downloads it.
#[derive(Clone, Deserialize)]
pub struct ServiceAccountKey {
    /// The account's address, the JWT's issuer.
    pub client_email: String,
    /// The key's id, sent as the JWT's `kid`.
    #[serde(default)]
    pub private_key_id: String,
    /// The PKCS#8 RSA key in PEM.
    #[serde(deserialize_with = "secret")]
    pub private_key: Secret,
    /// Where the JWT is exchanged for tokens.
    #[serde(default = "default_token_uri")]
    pub token_uri: String,
    /// The project the account belongs to.
    #[serde(default)]
    pub project_id: Option<String>,
}

fn default_token_uri() -> String {
    TOKEN_URI.to_owned()
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

/// The fields of any credentials file; which matter depends on `type`.
#[derive(Deserialize)]
struct File {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
}

impl Credentials {
    /// Credentials from the text of a JSON key or `application_default_credentials.json`.
    pub fn from_json(text: &str) -> Result<Credentials> {
        // Serde's own messages may quote the file; they are not passed on.
        let file: File = serde_json::from_str(text).map_err(|_| {
            Error::invalid_input("the Google credentials are not a JSON object with a \"type\"")
        })?;
        match file.kind.as_str() {
            "service_account" => {
                let key: ServiceAccountKey = serde_json::from_str(text).map_err(|_| {
                    Error::invalid_input(
                        "the service account key lacks client_email or private_key",
                    )
                })?;
                Ok(Credentials::ServiceAccount(key))
            }
            "authorized_user" => {
                let (Some(client_id), Some(client_secret), Some(refresh_token)) =
                    (file.client_id, file.client_secret, file.refresh_token)
                else {
                    return Err(Error::invalid_input(
                        "the authorized_user credentials lack client_id, client_secret or refresh_token",
                    ));
                };
                Ok(Credentials::AuthorizedUser {
                    client_id,
                    client_secret: Secret::new(client_secret),
                    refresh_token: Secret::new(refresh_token),
                    token_uri: file.token_uri.unwrap_or_else(default_token_uri),
                })
            }
            "external_account" => {
                ExternalAccount::from_json(text).map(Credentials::ExternalAccount)
            }
            "impersonated_service_account" => {
                Impersonated::from_json(text).map(Credentials::Impersonated)
            }
            other => Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "Google credentials of type {other:?} are not supported \
                     (service_account, authorized_user, external_account and impersonated_service_account are)"
                ),
            )),
        }
    }

    /// Credentials from a JSON file (what `GOOGLE_APPLICATION_CREDENTIALS` names).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Credentials> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::from(e).with_resource(path.display().to_string()))?;
        Credentials::from_json(&text).map_err(|e| e.with_resource(path.display().to_string()))
    }

    /// The metadata server at its usual address, or at `GCE_METADATA_HOST`.
    pub fn metadata_server() -> Credentials {
        let endpoint = std::env::var("GCE_METADATA_HOST")
            .ok()
            .filter(|h| !h.trim().is_empty())
            .map_or_else(
                || "http://metadata.google.internal".to_owned(),
                |host| {
                    if host.contains("://") {
                        host
                    } else {
                        format!("http://{host}")
                    }
                },
            );
        Credentials::Metadata { endpoint }
    }

    /// Application Default Credentials, as Google's own libraries look for them:
    /// `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's `application_default_credentials.json`, then
    /// the metadata server (which is tried only when a token is first needed).
    pub fn application_default() -> Result<Credentials> {
        if let Some(path) =
            std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS").filter(|p| !p.is_empty())
        {
            return Credentials::from_file(path);
        }
        if let Some(path) = gcloud_file().filter(|p| p.is_file()) {
            return Credentials::from_file(path);
        }
        Ok(Credentials::metadata_server())
    }

    /// The project these credentials name, when they name one.
    pub fn project(&self) -> Option<&str> {
        match self {
            Credentials::ServiceAccount(key) => key.project_id.as_deref(),
            _ => None,
        }
    }
}

/// gcloud's file: `$CLOUDSDK_CONFIG` or `~/.config/gcloud`, then `application_default_credentials.json`.
fn gcloud_file() -> Option<PathBuf> {
    let dir = match std::env::var_os("CLOUDSDK_CONFIG").filter(|p| !p.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".config/gcloud"),
    };
    Some(dir.join("application_default_credentials.json"))
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("private_key", &"***")
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::ServiceAccount(key) => f.debug_tuple("ServiceAccount").field(key).finish(),
            Credentials::AuthorizedUser {
                client_id,
                token_uri,
                ..
            } => f
                .debug_struct("AuthorizedUser")
                .field("client_id", client_id)
                .field("client_secret", &"***")
                .field("refresh_token", &"***")
                .field("token_uri", token_uri)
                .finish(),
            Credentials::Metadata { endpoint } => f
                .debug_struct("Metadata")
                .field("endpoint", endpoint)
                .finish(),
            Credentials::ExternalAccount(account) => {
                f.debug_tuple("ExternalAccount").field(account).finish()
            }
            Credentials::Impersonated(impersonated) => {
                f.debug_tuple("Impersonated").field(impersonated).finish()
            }
            Credentials::Anonymous => f.write_str("Anonymous"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_kinds_of_file_and_prints_no_secret() {
        let sa = Credentials::from_json(
            r#"{"type":"service_account","project_id":"p1","private_key_id":"kid1",
                "private_key":"-----BEGIN PRIVATE KEY-----\nSECRETKEY\n-----END PRIVATE KEY-----\n",
                "client_email":"sa@p1.iam.gserviceaccount.com","token_uri":"https://oauth2.googleapis.com/token"}"#,
        )
        .unwrap();
        assert_eq!(sa.project(), Some("p1"));
        assert!(!format!("{sa:?}").contains("SECRETKEY"), "{sa:?}");
        let user = Credentials::from_json(
            r#"{"type":"authorized_user","client_id":"c","client_secret":"CLIENTSECRET","refresh_token":"REFRESHSECRET"}"#,
        )
        .unwrap();
        let shown = format!("{user:?}");
        assert!(
            !shown.contains("CLIENTSECRET") && !shown.contains("REFRESHSECRET"),
            "{shown}"
        );
        let err = Credentials::from_json(r#"{"type":"external_account"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "no source: {err}");
        let err = Credentials::from_json(r#"{"type":"gdch_service_account"}"#).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        let err = Credentials::from_json(r#"{"type":"service_account","private_key":"SECRETKEY"}"#)
            .unwrap_err();
        assert!(!err.to_string().contains("SECRETKEY"), "{err}");
    }
}
