//! Commands that hand out credentials (AWS's `credential_process`, the Azure CLI): run with standard
//! input closed and standard output captured, killed when the caller gives up or after a time limit.
//! Errors name the command, never what it printed, which holds secrets.

use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// Runs `command`, called `what` in errors, for at most `limit`: its output whatever its exit status,
/// which the caller judges. Its standard error goes where the caller pointed it (inherited unless
/// set). One that cannot start is [`Unauthenticated`](ErrorKind::Unauthenticated), saying so when it
/// is not installed; one that outlives `limit` is a [`Timeout`](ErrorKind::Timeout).
pub async fn output(
    what: &str,
    mut command: tokio::process::Command,
    limit: Duration,
) -> Result<std::process::Output> {
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            let missing = if e.kind() == std::io::ErrorKind::NotFound {
                ": it is not installed, or not on PATH"
            } else {
                ""
            };
            Error::new(
                ErrorKind::Unauthenticated,
                format!("{what} could not start{missing}"),
            )
            .with_source(e)
        })?;
    tokio::time::timeout(limit, child.wait_with_output())
        .await
        .map_err(|_| {
            Error::new(
                ErrorKind::Timeout,
                format!("{what} gave no answer within {} s", limit.as_secs()),
            )
        })?
        .map_err(|e| Error::new(ErrorKind::Unauthenticated, what.to_owned()).with_source(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("sh");
        command.arg("-c").arg(script);
        command
    }

    #[tokio::test]
    async fn output_comes_back_and_missing_or_slow_commands_are_typed_errors() {
        let out = output("t", sh("echo hello; exit 3"), Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(out.stdout, b"hello\n");
        assert_eq!(out.status.code(), Some(3));
        let missing = tokio::process::Command::new("no-such-command-anywhere");
        let err = output("the tool", missing, Duration::from_secs(10))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        assert!(err.to_string().contains("not installed"), "{err}");
        // `exec`, so that the process killed is the one sleeping, not a shell that leaves it behind.
        let err = output("the tool", sh("exec sleep 5"), Duration::from_millis(100))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    }
}
