//! The default credential chain, in the AWS SDKs' order. A link that is not configured (a variable
//! unset, no file, no metadata service answering) passes to the next; a link that is configured but
//! fails (a credential process that exits with an error) ends the search with its error, as the SDKs
//! do. When nothing yields credentials, the error lists every link and why it gave none.

use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use cloud_core::{
    Clock, Error, ErrorKind, HttpService, Provide, Result, SystemClock, TemporaryToken,
};

use super::{
    config_file, credentials_file, env_var, metadata, process, profile_name, Credentials, Profile,
};

/// The links of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Environment,
    Profile,
    Container,
    Imds,
}

const LINKS: [Link; 4] = [
    Link::Environment,
    Link::Profile,
    Link::Container,
    Link::Imds,
];

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::Environment => "environment",
            Link::Profile => "profile",
            Link::Container => "container",
            Link::Imds => "imds",
        }
    }
}

/// What one link found.
enum Found {
    Credentials(TemporaryToken<Credentials>),
    /// Not configured here, and why.
    Nothing(String),
}

/// The AWS SDKs' default credential chain (see the [module](super) docs), as a [`Provide`]r: drivers
/// built without credentials use it, behind a cache that refreshes ahead of expiry.
///
/// Once a link has given credentials, refreshes ask that link alone: credentials do not silently
/// change their source half-way through a job.
pub struct DefaultChain {
    clock: Arc<dyn Clock>,
    /// The metadata client, made on first use (building a driver with keys in the environment costs
    /// nothing).
    metadata: OnceLock<std::result::Result<HttpService, String>>,
    chosen: Mutex<Option<Link>>,
}

impl DefaultChain {
    /// The chain, with expiry times read on the system clock.
    pub fn new() -> DefaultChain {
        DefaultChain::with_clock(Arc::new(SystemClock))
    }

    /// The chain, with expiry times read on `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> DefaultChain {
        DefaultChain {
            clock,
            metadata: OnceLock::new(),
            chosen: Mutex::new(None),
        }
    }

    /// The link that gave the current credentials (`environment`, `profile`, `container`, `imds`),
    /// once one has.
    pub fn chosen(&self) -> Option<&'static str> {
        self.chosen.lock().ok().and_then(|c| c.map(Link::name))
    }

    fn metadata(&self) -> Result<&HttpService> {
        self.metadata
            .get_or_init(|| metadata::client(self.clock.clone()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::new(ErrorKind::Unauthenticated, e.clone()))
    }

    async fn try_link(&self, link: Link) -> Result<Found> {
        let clock = &*self.clock;
        match link {
            Link::Environment => {
                match (
                    env_var("AWS_ACCESS_KEY_ID"),
                    env_var("AWS_SECRET_ACCESS_KEY"),
                ) {
                    (Some(id), Some(secret)) => {
                        let mut credentials = Credentials::new(id, secret);
                        if let Some(token) = env_var("AWS_SESSION_TOKEN") {
                            credentials = credentials.with_session_token(token);
                        }
                        Ok(Found::Credentials(TemporaryToken::forever(credentials)))
                    }
                    _ => Ok(Found::Nothing(
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set".into(),
                    )),
                }
            }
            Link::Profile => {
                let name = profile_name();
                let profile = Profile::load(&name)?;
                if let (Some(id), Some(secret)) = (
                    profile.get("aws_access_key_id"),
                    profile.get("aws_secret_access_key"),
                ) {
                    let mut credentials = Credentials::new(id, secret);
                    if let Some(token) = profile.get("aws_session_token") {
                        credentials = credentials.with_session_token(token);
                    }
                    return Ok(Found::Credentials(TemporaryToken::forever(credentials)));
                }
                if let Some(command) = profile.get("credential_process") {
                    return process::run(command, &name, clock)
                        .await
                        .map(Found::Credentials);
                }
                for (setting, what) in [
                    ("role_arn", "a role to assume (STS AssumeRole)"),
                    ("sso_session", "IAM Identity Center (SSO)"),
                    ("sso_start_url", "IAM Identity Center (SSO)"),
                    ("web_identity_token_file", "a web identity token"),
                ] {
                    if profile.get(setting).is_some() {
                        return Err(Error::unsupported(format!(
                            "profile {name:?} uses {what} ({setting}), which this version does not \
                             resolve yet; give keys, a credential_process, or exported credentials"
                        )));
                    }
                }
                Ok(Found::Nothing(format!(
                    "profile {name:?} has no keys or credential_process in {} or {}",
                    credentials_file().display(),
                    config_file().display()
                )))
            }
            Link::Container => match metadata::container_url()? {
                Some(url) => metadata::container(self.metadata()?, &url, clock)
                    .await
                    .map(Found::Credentials),
                None => Ok(Found::Nothing(
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are unset".into(),
                )),
            },
            Link::Imds => {
                let Some(endpoint) = metadata::imds_endpoint() else {
                    return Ok(Found::Nothing("AWS_EC2_METADATA_DISABLED is true".into()));
                };
                match metadata::imds(self.metadata()?, &endpoint, clock).await? {
                    Some(token) => Ok(Found::Credentials(token)),
                    None => Ok(Found::Nothing(format!(
                        "no instance metadata service answered at {endpoint} (not on EC2?)"
                    ))),
                }
            }
        }
    }
}

impl Default for DefaultChain {
    fn default() -> DefaultChain {
        DefaultChain::new()
    }
}

impl std::fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultChain")
            .field("chosen", &self.chosen())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Provide<Credentials> for DefaultChain {
    async fn provide(&self) -> Result<TemporaryToken<Credentials>> {
        let chosen = self.chosen.lock().ok().and_then(|c| *c);
        if let Some(link) = chosen {
            return match self.try_link(link).await? {
                Found::Credentials(token) => Ok(token),
                Found::Nothing(why) => Err(Error::new(
                    ErrorKind::Unauthenticated,
                    format!("the {} credentials are gone: {why}", link.name()),
                )),
            };
        }
        let mut tried = Vec::new();
        for link in LINKS {
            match self.try_link(link).await {
                Ok(Found::Credentials(token)) => {
                    if let Ok(mut chosen) = self.chosen.lock() {
                        *chosen = Some(link);
                    }
                    tracing::debug!(source = link.name(), "AWS credentials found");
                    return Ok(token);
                }
                Ok(Found::Nothing(why)) => tried.push(format!("{}: {why}", link.name())),
                Err(err) => {
                    let said = err.message().unwrap_or("failed").to_owned();
                    return Err(err.with_message(format!("{} credentials: {said}", link.name())));
                }
            }
        }
        Err(Error::new(
            ErrorKind::Unauthenticated,
            format!("no AWS credentials found; tried {}", tried.join("; ")),
        ))
    }

    fn source(&self) -> &str {
        self.chosen().unwrap_or("default chain")
    }
}
