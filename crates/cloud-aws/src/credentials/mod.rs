//! AWS credentials: explicit values, or the default chain the AWS SDKs resolve, refreshed before they
//! expire and shared by every clone of a driver.
//!
//! [`DefaultChain`] tries, in the SDKs' order: the environment (`AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`); a web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` with
//! `AWS_ROLE_ARN` and `AWS_ROLE_SESSION_NAME`, exchanged at STS); the profile `AWS_PROFILE` (default
//! `default`) of `~/.aws/credentials` and `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`,
//! `AWS_CONFIG_FILE`), with static keys, a `credential_process`, or a `role_arn` assumed with its
//! `source_profile` (chained), `credential_source` or `web_identity_token_file`, or IAM Identity
//! Center (`sso_session` or `sso_start_url`, with the login `aws sso login` cached); container credentials
//! (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `_FULL_URI`, with `AWS_CONTAINER_AUTHORIZATION_TOKEN`
//! or `_TOKEN_FILE`); and the instance metadata service, IMDSv2 (`AWS_EC2_METADATA_DISABLED`,
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT`).

mod chain;
#[cfg(feature = "fuzzing")]
pub(crate) mod fuzzing;
mod metadata;
mod process;
mod profile;
mod sso;
mod sts;

use std::fmt;

use cloud_core::{Error, ErrorKind, Result, Secret};

pub use chain::DefaultChain;
use profile::{config_file, credentials_file, profile_name, Profile};
pub(crate) use profile::{env_var, ServiceEnv};
pub use sts::{caller_identity, CallerIdentity};

/// An access key, its secret, and a session token for temporary credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
}

impl Credentials {
    /// Static credentials.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// Adds a session token (temporary credentials from STS).
    pub fn with_session_token(mut self, token: impl Into<Secret>) -> Credentials {
        self.session_token = Some(token.into());
        self
    }

    /// The access key id (not secret: it names the key).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &Secret {
        &self.secret_access_key
    }

    /// The session token, if any.
    pub fn session_token(&self) -> Option<&Secret> {
        self.session_token.as_ref()
    }

    /// Static credentials from the environment, then from the shared profile files' keys; an
    /// [`ErrorKind::Unauthenticated`] error naming every place looked in when none has them. Drivers
    /// built without credentials use the whole [`DefaultChain`] instead, which also finds temporary
    /// credentials and refreshes them.
    pub fn from_env() -> Result<Credentials> {
        if let (Some(id), Some(secret)) = (
            env_var("AWS_ACCESS_KEY_ID"),
            env_var("AWS_SECRET_ACCESS_KEY"),
        ) {
            let mut credentials = Credentials::new(id, secret);
            credentials.session_token = env_var("AWS_SESSION_TOKEN").map(Secret::new);
            return Ok(credentials);
        }
        let profile = Profile::load(&profile_name())?;
        if let (Some(id), Some(secret)) = (
            profile.get("aws_access_key_id"),
            profile.get("aws_secret_access_key"),
        ) {
            let mut credentials = Credentials::new(id, secret);
            credentials.session_token = profile.get("aws_session_token").map(Secret::new);
            return Ok(credentials);
        }
        Err(Error::new(
            ErrorKind::Unauthenticated,
            format!(
                "no AWS credentials: looked for AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment, \
                 then for aws_access_key_id and aws_secret_access_key in profile {:?} of {} and {}",
                profile_name(),
                credentials_file().display(),
                config_file().display()
            ),
        ))
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .finish()
    }
}

/// The EC2 instance's own region, from IMDSv2's `placement/region`: the last place the AWS SDKs look
/// for a region, after `AWS_REGION`, `AWS_DEFAULT_REGION` and the profile's `region`. `Ok(None)` off
/// EC2 (nothing answers within a second) or with `AWS_EC2_METADATA_DISABLED=true`.
pub async fn instance_region(
    clock: std::sync::Arc<dyn cloud_core::Clock>,
) -> Result<Option<String>> {
    let Some(endpoint) = metadata::imds_endpoint() else {
        return Ok(None);
    };
    let http = metadata::client(clock)?;
    metadata::imds_region(&http, &endpoint).await
}

/// [`instance_region`] on the clock of `client`, if a builder was given one.
pub(crate) async fn instance_region_with(
    client: Option<&cloud_core::HttpClient>,
) -> Result<Option<String>> {
    let clock = client.map_or_else(
        || std::sync::Arc::new(cloud_core::SystemClock) as std::sync::Arc<dyn cloud_core::Clock>,
        cloud_core::HttpClient::clock,
    );
    instance_region(clock).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_secret_and_token() {
        let credentials =
            Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI").with_session_token("FwoGZXIvYXdzEJr");
        let shown = format!("{credentials:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(
            !shown.contains("wJalrXUtnFEMI") && !shown.contains("FwoGZXIvYXdzEJr"),
            "{shown}"
        );
    }
}
