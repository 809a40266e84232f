//! The Azure CLI's login (`az login`) as a source of tokens, as Azure's SDKs use it on a developer's
//! machine: `az account get-access-token` for Azure Storage, run whenever a token is needed (the CLI
//! keeps and refreshes the login itself).

use std::time::Duration;

use cloud_core::{Clock, Error, ErrorKind, Result, Secret, TemporaryToken};
use serde::Deserialize;

use crate::identity::STORAGE_RESOURCE;

/// Time for `az` to answer: it starts a Python interpreter and may refresh its login first.
const AZ_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a token is used when the CLI does not say (`expires_on` came with az 2.54).
const UNDATED_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "accessToken")]
    access_token: String,
    /// Seconds since 1970, a number (or, from some versions, a string of one).
    #[serde(default)]
    expires_on: Option<cloud_core::json::Id>,
}

/// A token for Azure Storage from the CLI's login, in `tenant_id` when one is named.
pub(crate) async fn token(
    tenant_id: Option<&str>,
    clock: &dyn Clock,
) -> Result<TemporaryToken<Secret>> {
    let mut az = tokio::process::Command::new("az");
    az.args(["account", "get-access-token", "--output", "json"])
        .args(["--resource", STORAGE_RESOURCE])
        .stderr(std::process::Stdio::piped());
    if let Some(tenant) = tenant_id {
        az.args(["--tenant", tenant]);
    }
    let what = "the Azure CLI (az account get-access-token)";
    let out = cloud_core::process::output(what, az, AZ_TIMEOUT).await?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        let message = if said.contains("az login") {
            "the Azure CLI is not logged in: run `az login`".to_owned()
        } else {
            let first = said.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            format!(
                "{what} failed ({}): {}",
                out.status,
                cloud_core::redact::text(first.trim())
            )
        };
        return Err(Error::new(ErrorKind::Unauthenticated, message));
    }
    parse(&out.stdout, clock)
}

/// Reads what `az account get-access-token --output json` prints; never quotes it.
fn parse(stdout: &[u8], clock: &dyn Clock) -> Result<TemporaryToken<Secret>> {
    let answer: Answer = cloud_core::json::parse("GetAccessToken", stdout).map_err(|_| {
        Error::new(
            ErrorKind::Unauthenticated,
            "the Azure CLI printed something other than a token in JSON",
        )
    })?;
    let expires_on = answer
        .expires_on
        .as_ref()
        .and_then(|id| id.as_str().trim().parse::<u64>().ok());
    let lifetime = match expires_on {
        None => UNDATED_LIFETIME,
        Some(at) => {
            let now = clock
                .system_time()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            Duration::from_secs(at.saturating_sub(now))
        }
    };
    if answer.access_token.is_empty() || lifetime.is_zero() {
        return Err(Error::new(
            ErrorKind::Unauthenticated,
            "the Azure CLI gave an empty or expired token: run `az login`",
        ));
    }
    Ok(TemporaryToken::expiring_in(
        Secret::new(answer.access_token),
        lifetime,
        clock,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloud_core::ManualClock;

    #[test]
    fn reads_the_token_and_its_end_and_never_quotes_it() {
        let clock = ManualClock::new();
        let now = clock
            .system_time()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let printed = format!(
            r#"{{"accessToken":"eyJ.CLI-TOKEN","expiresOn":"2026-12-08 10:00:00.000000","expires_on":{},"subscription":"s","tenant":"t","tokenType":"Bearer"}}"#,
            now + 3000
        );
        let token = parse(printed.as_bytes(), &clock).unwrap();
        assert_eq!(token.token.expose(), "eyJ.CLI-TOKEN");
        let left = token.expires_at.unwrap() - clock.now();
        assert_eq!(left, Duration::from_secs(3000));
        let old_cli = parse(
            br#"{"accessToken":"eyJ.x","expiresOn":"2026-12-08 10:00:00.000000"}"#,
            &clock,
        );
        assert_eq!(
            old_cli.unwrap().expires_at.unwrap() - clock.now(),
            UNDATED_LIFETIME
        );
        let expired = format!(r#"{{"accessToken":"eyJ.x","expires_on":{}}}"#, now - 5);
        let err = parse(expired.as_bytes(), &clock).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        let err = parse(b"WARNING: eyJ.SECRET", &clock).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
}
