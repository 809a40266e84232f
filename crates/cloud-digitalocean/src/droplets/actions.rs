//! Waiting for an action (`/v2/actions/{id}`) to finish, with the common poller.

use cloud_core::{poll_until, Error, ErrorKind, Result};

use super::compute::Inner;
use super::model::{Action, OneAction};

impl Inner {
    /// Waits until `action` completes; an action that errors is an error naming it, one that does not
    /// finish within the driver's polling budget is [`ErrorKind::Timeout`].
    pub(crate) async fn wait_for(&self, action: Action) -> Result<Action> {
        let done = if action.status == "in-progress" {
            let path = format!("/v2/actions/{}", action.id);
            let polled = poll_until(
                &self.poll,
                || async {
                    let answer: OneAction = self.get("GetAction", &path).await?;
                    Ok(answer.action)
                },
                |a: &Action| a.status != "in-progress",
            )
            .await;
            polled.map_err(|e| {
                let what = action.kind.as_deref().unwrap_or("an action");
                let message = format!("waiting for the {what} action {}", action.id);
                let message = match e.message() {
                    Some(m) => format!("{message}: {m}"),
                    None => message,
                };
                e.with_message(message)
            })?
        } else {
            action
        };
        match done.status.as_str() {
            "completed" => Ok(done),
            "errored" => Err(Error::new(
                ErrorKind::Unexpected,
                format!(
                    "the {} action {} errored",
                    done.kind.as_deref().unwrap_or("requested"),
                    done.id
                ),
            )),
            other => Err(Error::unexpected(format!(
                "action {} has the status {other:?}, which the API does not document",
                done.id
            ))),
        }
    }
}
