//! The default credential chain, in the AWS SDKs' order. A link that is not configured (a variable
//! unset, no file, no metadata service answering) passes to the next; a link that is configured but
//! fails (a credential process that exits with an error) ends the search with its error, as the SDKs
//! do. When nothing yields credentials, the error lists every link and why it gave none.

use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use cloud_core::{
    Clock, Error, ErrorKind, HttpClient, HttpService, Provide, Result, TemporaryToken,
};
use futures_util::future::BoxFuture;

use super::{
    config_file, credentials_file, env_var, metadata, process, profile_name, sso, sts, Credentials,
    Profile,
};

/// The links of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Link {
    Environment,
    WebIdentity,
    Profile,
    Container,
    Imds,
}

const LINKS: [Link; 5] = [
    Link::Environment,
    Link::WebIdentity,
    Link::Profile,
    Link::Container,
    Link::Imds,
];

impl Link {
    fn name(self) -> &'static str {
        match self {
            Link::Environment => "environment",
            Link::WebIdentity => "web identity",
            Link::Profile => "profile",
            Link::Container => "container",
            Link::Imds => "imds",
        }
    }
}

/// How deep `source_profile` may chain roles before it counts as a loop.
const MAX_ROLE_CHAIN: usize = 8;

/// A role session's name: the configured one, else one naming this library and the time.
fn session_name(configured: Option<&str>) -> String {
    configured.map(str::to_owned).unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        format!("cloud-rs-{now}")
    })
}

/// What one link found.
enum Found {
    Credentials(TemporaryToken<Credentials>),
    /// Not configured here, and why.
    Nothing(String),
}

/// The AWS SDKs' default credential chain (see the `credentials` module's docs), as a [`Provide`]r: drivers
/// built without credentials use it, behind a cache that refreshes ahead of expiry.
///
/// Once a link has given credentials, refreshes ask that link alone: credentials do not silently
/// change their source half-way through a job.
pub struct DefaultChain {
    /// Reaches STS (through the driver's proxies and TLS settings).
    client: HttpClient,
    clock: Arc<dyn Clock>,
    /// The metadata client, made on first use (building a driver with keys in the environment costs
    /// nothing).
    metadata: OnceLock<std::result::Result<HttpService, String>>,
    chosen: Mutex<Option<Link>>,
}

impl DefaultChain {
    /// The chain, reaching STS through a client of its own.
    pub fn new() -> Result<DefaultChain> {
        Ok(DefaultChain::for_client(&HttpClient::new()?))
    }

    /// The chain, reaching STS through `client` and reading expiry times on its clock.
    pub fn for_client(client: &HttpClient) -> DefaultChain {
        DefaultChain {
            client: client.clone(),
            clock: client.clock(),
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

    /// The profile `name`'s credentials: its keys, its `credential_process`, or a role assumed with
    /// the credentials of its `source_profile` (itself resolved the same way), its
    /// `credential_source`, or its `web_identity_token_file`.
    fn profile(&self, name: String, depth: usize) -> BoxFuture<'_, Result<Found>> {
        Box::pin(async move {
            let profile = Profile::load(&name)?;
            let keys = match (
                profile.get("aws_access_key_id"),
                profile.get("aws_secret_access_key"),
            ) {
                (Some(id), Some(secret)) => {
                    let mut credentials = Credentials::new(id, secret);
                    if let Some(token) = profile.get("aws_session_token") {
                        credentials = credentials.with_session_token(token);
                    }
                    Some(credentials)
                }
                _ => None,
            };
            if let Some(role) = profile.get("role_arn") {
                if depth >= MAX_ROLE_CHAIN {
                    return Err(Error::invalid_input(format!(
                        "profile {name:?}: source_profile chains more than {MAX_ROLE_CHAIN} roles (a loop?)"
                    )));
                }
                let session = session_name(profile.get("role_session_name"));
                if let Some(file) = profile.get("web_identity_token_file") {
                    return sts::with_web_identity(&self.client, role, &session, file)
                        .await
                        .map(Found::Credentials);
                }
                let source = match (
                    profile.get("source_profile"),
                    profile.get("credential_source"),
                ) {
                    // A profile may name itself as the source of its own keys.
                    (Some(source), _) if source == name && keys.is_some() => keys.clone(),
                    (Some(source), _) => match self.profile(source.to_owned(), depth + 1).await? {
                        Found::Credentials(token) => Some(token.token),
                        Found::Nothing(why) => {
                            return Err(Error::new(
                                ErrorKind::Unauthenticated,
                                format!("profile {name:?}: its source_profile {source:?}: {why}"),
                            ))
                        }
                    },
                    (None, Some(source)) => {
                        let link = match source {
                            "Environment" => Link::Environment,
                            "EcsContainer" => Link::Container,
                            "Ec2InstanceMetadata" => Link::Imds,
                            other => {
                                return Err(Error::invalid_input(format!(
                                    "profile {name:?}: credential_source {other:?} is none of \
                                     Environment, EcsContainer, Ec2InstanceMetadata"
                                )))
                            }
                        };
                        match self.try_link(link).await? {
                            Found::Credentials(token) => Some(token.token),
                            Found::Nothing(why) => {
                                return Err(Error::new(
                                    ErrorKind::Unauthenticated,
                                    format!(
                                        "profile {name:?}: its credential_source {source}: {why}"
                                    ),
                                ))
                            }
                        }
                    }
                    (None, None) => {
                        return Err(Error::invalid_input(format!(
                        "profile {name:?} has role_arn but no source_profile, credential_source \
                             or web_identity_token_file"
                    )))
                    }
                };
                let Some(source) = source else {
                    return Err(Error::invalid_input(format!(
                        "profile {name:?} is its own source_profile but has no keys"
                    )));
                };
                return sts::assume_role(
                    &self.client,
                    source,
                    role,
                    &session,
                    profile.get("external_id"),
                )
                .await
                .map(Found::Credentials);
            }
            if let Some(keys) = keys {
                return Ok(Found::Credentials(TemporaryToken::forever(keys)));
            }
            if let Some(command) = profile.get("credential_process") {
                return process::run(command, &name, &*self.clock)
                    .await
                    .map(Found::Credentials);
            }
            if profile.get("sso_session").is_some() || profile.get("sso_start_url").is_some() {
                return sso::role_credentials(&self.client, &name, &profile)
                    .await
                    .map(Found::Credentials);
            }
            Ok(Found::Nothing(format!(
                "profile {name:?} has no keys, credential_process, role or SSO in {} or {}",
                credentials_file().display(),
                config_file().display()
            )))
        })
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
            Link::WebIdentity => {
                match (
                    env_var("AWS_WEB_IDENTITY_TOKEN_FILE"),
                    env_var("AWS_ROLE_ARN"),
                ) {
                    (Some(file), Some(role)) => {
                        let name = session_name(env_var("AWS_ROLE_SESSION_NAME").as_deref());
                        sts::with_web_identity(&self.client, &role, &name, &file)
                            .await
                            .map(Found::Credentials)
                    }
                    _ => Ok(Found::Nothing(
                        "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not both set".into(),
                    )),
                }
            }
            Link::Profile => self.profile(profile_name(), 0).await,
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
