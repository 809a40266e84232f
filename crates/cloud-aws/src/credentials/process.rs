//! `credential_process`: a profile's command that prints credentials as JSON (`Version` 1,
//! `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and `Expiration`), as the AWS CLI and SDKs
//! run it. It is run again whenever the credentials it gave are about to expire.

use std::time::Duration;

use cloud_core::{Clock, Error, ErrorKind, Result, Secret, TemporaryToken};
use serde::Deserialize;

use super::Credentials;

/// The longest a command may take before it counts as failed.
const PROCESS_TIMEOUT: Duration = Duration::from_secs(60);

/// The JSON the credential APIs and commands answer with (`Token` in the metadata services'
/// answers, `SessionToken` in a credential process's).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CredentialsJson {
    #[serde(default)]
    pub(crate) version: Option<u32>,
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: String,
    #[serde(default, alias = "Token")]
    pub(crate) session_token: Option<String>,
    #[serde(default)]
    pub(crate) expiration: Option<String>,
}

impl CredentialsJson {
    /// The credentials, expiring when `Expiration` says (never when it is absent).
    pub(crate) fn into_token(
        self,
        clock: &dyn Clock,
        what: &str,
    ) -> Result<TemporaryToken<Credentials>> {
        if self.access_key_id.is_empty() || self.secret_access_key.is_empty() {
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!("{what} gave an empty access key or secret"),
            ));
        }
        let mut credentials = Credentials::new(self.access_key_id, self.secret_access_key);
        if let Some(token) = self.session_token.filter(|t| !t.is_empty()) {
            credentials = credentials.with_session_token(Secret::new(token));
        }
        let Some(expiration) = self.expiration else {
            return Ok(TemporaryToken::forever(credentials));
        };
        let at = cloud_core::time::rfc3339(&expiration).ok_or_else(|| {
            Error::unexpected(format!(
                "{what} gave an Expiration that is not an RFC 3339 time: {expiration:?}"
            ))
        })?;
        Ok(TemporaryToken::expiring_at(credentials, at, clock))
    }
}

/// Runs `command` through the shell and reads the credentials it prints.
pub(crate) async fn run(
    command: &str,
    profile: &str,
    clock: &dyn Clock,
) -> Result<TemporaryToken<Credentials>> {
    let what = format!("the credential_process of profile {profile:?}");
    let mut shell = tokio::process::Command::new("sh");
    // Its messages (a prompt, a warning) are the user's to see.
    shell
        .arg("-c")
        .arg(command)
        .stderr(std::process::Stdio::inherit());
    let output = cloud_core::process::output(&what, shell, PROCESS_TIMEOUT).await?;
    if !output.status.success() {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            format!("{what} failed ({})", output.status),
        ));
    }
    // Its output holds secrets: a parse error names the problem, never the text.
    let json: CredentialsJson = serde_json::from_slice(&output.stdout).map_err(|_| {
        Error::new(
            ErrorKind::Unauthenticated,
            format!("{what} printed something other than credentials JSON"),
        )
    })?;
    if json.version.is_some_and(|v| v != 1) {
        return Err(Error::unsupported(format!(
            "{what} printed Version {:?}; only version 1 is defined",
            json.version
        )));
    }
    json.into_token(clock, &what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloud_core::ManualClock;

    fn expiring(at: std::time::SystemTime) -> CredentialsJson {
        CredentialsJson {
            version: Some(1),
            access_key_id: "AKIA".into(),
            secret_access_key: "secret".into(),
            session_token: None,
            expiration: Some(
                humantime::format_rfc3339_seconds(at)
                    .to_string()
                    .replace('Z', "+00:00"),
            ),
        }
    }

    #[test]
    fn an_expiration_with_a_zone_offset_is_read_as_the_time_it_names() {
        // Tools that print `datetime.isoformat()` write `+00:00`, not `Z`.
        let clock = ManualClock::new();
        let in_an_hour = clock.system_time() + Duration::from_secs(3600);
        let token = expiring(in_an_hour).into_token(&clock, "t").unwrap();
        let left = token.expires_at.unwrap() - clock.now();
        assert!(
            left > Duration::from_secs(3590) && left <= Duration::from_secs(3600),
            "{left:?}"
        );
        let mut west = expiring(in_an_hour);
        // The same instant, five hours west of UTC.
        let local = humantime::format_rfc3339_seconds(in_an_hour - Duration::from_secs(5 * 3600));
        west.expiration = Some(local.to_string().replace('Z', "-05:00"));
        let token = west.into_token(&clock, "t").unwrap();
        let left = token.expires_at.unwrap() - clock.now();
        assert!(left > Duration::from_secs(3590), "{left:?}");
        let mut wrong = expiring(in_an_hour);
        wrong.expiration = Some("next tuesday".into());
        let err = wrong.into_token(&clock, "t").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
    }
}
