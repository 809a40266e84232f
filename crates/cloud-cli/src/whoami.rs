//! `cloud whoami`: where the AWS credentials come from (which link of the default chain), whose they
//! are (STS `GetCallerIdentity`), and when they expire. No secret is printed.

use std::time::{Instant, SystemTime};

use cloud::aws::{caller_identity, DefaultChain};
use cloud::core::{HttpClient, Provide};
use serde_json::json;

use crate::report::Output;

pub(crate) async fn run(output: Output) -> cloud::Result<()> {
    let client = HttpClient::new()?;
    let chain = DefaultChain::for_client(&client);
    let provided = chain.provide().await?;
    let source = chain.chosen().unwrap_or("default chain");
    let access_key = provided.token.access_key_id().to_owned();
    let expires = provided.expires_at.map(|at| {
        let left = at.saturating_duration_since(Instant::now());
        (SystemTime::now() + left, left)
    });
    // Who they are needs STS; credentials that work elsewhere may still be refused there.
    let identity = caller_identity(&client, provided.token).await;
    if output.json {
        let (arn, account, error) = match &identity {
            Ok(id) => (json!(id.arn), json!(id.account), json!(null)),
            Err(err) => (json!(null), json!(null), json!(err.to_string())),
        };
        output.json(&json!({
            "provider": "aws",
            "source": source,
            "access_key_id": access_key,
            "arn": arn,
            "account": account,
            "expires": expires.map(|(at, _)| humantime::format_rfc3339_seconds(at).to_string()),
            "identity_error": error,
        }));
        return Ok(());
    }
    output.line(&format!("source      {source}"));
    output.line(&format!("access key  {access_key}"));
    match identity {
        Ok(id) => {
            output.line(&format!("arn         {}", id.arn));
            output.line(&format!("account     {}", id.account));
        }
        Err(err) => output.line(&format!("identity    unknown: {err}")),
    }
    match expires {
        Some((at, left)) => output.line(&format!(
            "expires     {} (in {} min)",
            humantime::format_rfc3339_seconds(at),
            left.as_secs() / 60
        )),
        None => output.line("expires     never (long-term keys)"),
    }
    Ok(())
}
