//! OpenStack credentials as clouds hand them out: a Keystone v3 user and password scoped to a
//! project, a Keystone application credential, Swift's own tempauth (v1), or a token and storage URL
//! already obtained.

use std::fmt;

use cloud_core::{Error, ErrorKind, Result, Secret};

use crate::connect::var;

/// How a client proves who it is to OpenStack.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// Keystone v3 password authentication, scoped to a project.
    Password {
        /// Keystone's URL (`https://keystone.example.com:5000/v3`, with or without `/v3`).
        auth_url: String,
        /// The user's name.
        username: String,
        /// The user's password.
        password: Secret,
        /// The user's domain (`Default` unless given).
        user_domain: String,
        /// The project to scope the token to.
        project: String,
        /// The project's domain (`Default` unless given).
        project_domain: String,
    },
    /// A Keystone v3 application credential (already scoped to its project).
    ApplicationCredential {
        /// Keystone's URL.
        auth_url: String,
        /// The credential's id.
        id: String,
        /// Its secret.
        secret: Secret,
    },
    /// Swift's tempauth (`GET /auth/v1.0` with `X-Auth-User` and `X-Auth-Key`), as test clusters and
    /// some providers run it.
    TempAuth {
        /// The auth URL (`http://127.0.0.1:8080/auth/v1.0`).
        auth_url: String,
        /// `account:user`.
        user: String,
        /// The user's key.
        key: Secret,
    },
    /// A token and the storage URL it is good for, obtained elsewhere (it is used until refused).
    Token {
        /// The account's storage URL (`https://swift.example.com/v1/AUTH_project`).
        storage_url: String,
        /// The token.
        token: Secret,
    },
}

impl Credentials {
    /// Keystone v3 password credentials in the `Default` domains.
    pub fn password(
        auth_url: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
        project: impl Into<String>,
    ) -> Credentials {
        Credentials::Password {
            auth_url: auth_url.into(),
            username: username.into(),
            password: Secret::new(password),
            user_domain: "Default".to_owned(),
            project: project.into(),
            project_domain: "Default".to_owned(),
        }
    }

    /// Tempauth credentials (`user` is `account:user`).
    pub fn tempauth(
        auth_url: impl Into<String>,
        user: impl Into<String>,
        key: impl Into<String>,
    ) -> Credentials {
        Credentials::TempAuth {
            auth_url: auth_url.into(),
            user: user.into(),
            key: Secret::new(key),
        }
    }

    /// Credentials from the variables an OpenStack RC file sets: `OS_AUTH_URL` with
    /// `OS_APPLICATION_CREDENTIAL_ID` and `OS_APPLICATION_CREDENTIAL_SECRET`, or with `OS_USERNAME`,
    /// `OS_PASSWORD`, `OS_PROJECT_NAME` (or `OS_TENANT_NAME`), `OS_USER_DOMAIN_NAME` and
    /// `OS_PROJECT_DOMAIN_NAME`; `OS_AUTH_TYPE=v1password` (or an auth URL ending in `/auth/v1.0`)
    /// for tempauth; `OS_STORAGE_URL` with `OS_AUTH_TOKEN` for a token obtained elsewhere. When
    /// `OS_CLOUD` is set, the cloud it names in `clouds.yaml` instead ([`CloudConfig::load`]).
    ///
    /// [`CloudConfig::load`]: crate::CloudConfig::load
    pub fn from_env() -> Result<Credentials> {
        if let Some(cloud) = var("OS_CLOUD") {
            return Ok(crate::clouds::CloudConfig::load(&cloud)?.credentials);
        }
        if let (Some(storage_url), Some(token)) = (var("OS_STORAGE_URL"), var("OS_AUTH_TOKEN")) {
            return Ok(Credentials::Token {
                storage_url,
                token: Secret::new(token),
            });
        }
        let Some(auth_url) = var("OS_AUTH_URL") else {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "no OpenStack credentials: OS_AUTH_URL is unset (source the cloud's RC file), and \
                 OS_STORAGE_URL with OS_AUTH_TOKEN is not set either",
            ));
        };
        if let (Some(id), Some(secret)) = (
            var("OS_APPLICATION_CREDENTIAL_ID"),
            var("OS_APPLICATION_CREDENTIAL_SECRET"),
        ) {
            return Ok(Credentials::ApplicationCredential {
                auth_url,
                id,
                secret: Secret::new(secret),
            });
        }
        let (Some(username), Some(password)) = (var("OS_USERNAME"), var("OS_PASSWORD")) else {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                "OS_AUTH_URL is set but neither OS_USERNAME with OS_PASSWORD nor \
                 OS_APPLICATION_CREDENTIAL_ID with OS_APPLICATION_CREDENTIAL_SECRET is",
            ));
        };
        let v1 = var("OS_AUTH_TYPE").is_some_and(|t| t == "v1password")
            || auth_url.trim_end_matches('/').ends_with("/auth/v1.0");
        if v1 {
            return Ok(Credentials::tempauth(auth_url, username, password));
        }
        let project = var("OS_PROJECT_NAME")
            .or_else(|| var("OS_TENANT_NAME"))
            .ok_or_else(|| {
                Error::invalid_input(
                    "OS_PROJECT_NAME is unset: Keystone v3 scopes tokens to a project",
                )
            })?;
        Ok(Credentials::Password {
            auth_url,
            username,
            password: Secret::new(password),
            user_domain: var("OS_USER_DOMAIN_NAME").unwrap_or_else(|| "Default".to_owned()),
            project,
            project_domain: var("OS_PROJECT_DOMAIN_NAME").unwrap_or_else(|| "Default".to_owned()),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Password {
                auth_url,
                username,
                user_domain,
                project,
                project_domain,
                ..
            } => f
                .debug_struct("Password")
                .field("auth_url", &cloud_core::redact::url(auth_url))
                .field("username", username)
                .field("password", &"***")
                .field("user_domain", user_domain)
                .field("project", project)
                .field("project_domain", project_domain)
                .finish(),
            Credentials::ApplicationCredential { auth_url, id, .. } => f
                .debug_struct("ApplicationCredential")
                .field("auth_url", &cloud_core::redact::url(auth_url))
                .field("id", id)
                .field("secret", &"***")
                .finish(),
            Credentials::TempAuth { auth_url, user, .. } => f
                .debug_struct("TempAuth")
                .field("auth_url", &cloud_core::redact::url(auth_url))
                .field("user", user)
                .field("key", &"***")
                .finish(),
            Credentials::Token { storage_url, .. } => f
                .debug_struct("Token")
                .field("storage_url", &cloud_core::redact::url(storage_url))
                .field("token", &"***")
                .finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_no_secret() {
        let all = [
            Credentials::password("https://k/v3", "u", "PASSWORD-1", "p"),
            Credentials::tempauth("http://h/auth/v1.0", "test:tester", "KEY-1"),
            Credentials::ApplicationCredential {
                auth_url: "https://k".into(),
                id: "id".into(),
                secret: Secret::new("APPSECRET-1"),
            },
            Credentials::Token {
                storage_url: "https://s/v1/AUTH_p".into(),
                token: Secret::new("TOKEN-1"),
            },
        ];
        let shown = format!("{all:?}");
        for secret in ["PASSWORD-1", "KEY-1", "APPSECRET-1", "TOKEN-1"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
