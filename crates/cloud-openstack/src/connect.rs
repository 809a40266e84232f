//! What every OpenStack driver's builder shares: the settings that say where Keystone is and who
//! signs in, where `from_env` reads them, and the authenticator they make for the services a driver
//! wants.

use std::sync::Arc;

use cloud_core::{HttpClient, Result, ServiceConfig};

use crate::auth::{EndpointChoice, OpenStackAuth, Wanted};
use crate::clouds::settings_from_env;
use crate::credentials::Credentials;
use crate::error::OpenStackErrors;

/// An environment variable that is set to something.
pub(crate) fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The settings every OpenStack builder has.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    pub(crate) credentials: Option<Credentials>,
    pub(crate) region: Option<String>,
    pub(crate) interface: Option<String>,
    pub(crate) client: Option<HttpClient>,
    /// Fill what is not given from `OS_CLOUD`, `OS_REGION_NAME`, `OS_INTERFACE` and the `OS_*`
    /// credentials.
    pub(crate) from_env: bool,
}

impl Connection {
    /// The client to use and an authenticator for the `wanted` services, which reaches Keystone
    /// through the same client.
    pub(crate) fn connect(self, wanted: Vec<Wanted>) -> Result<(HttpClient, Arc<OpenStackAuth>)> {
        let (credentials, region, interface) = if self.from_env {
            let (credentials, region, interface) =
                settings_from_env(self.credentials, self.region, self.interface)?;
            (Some(credentials), region, interface)
        } else {
            (self.credentials, self.region, self.interface)
        };
        let credentials = match credentials {
            Some(credentials) => credentials,
            None => Credentials::from_env()?,
        };
        let client = match self.client {
            Some(client) => client,
            None => HttpClient::new()?,
        };
        let choice = EndpointChoice {
            region,
            interface: interface
                .unwrap_or_else(|| "public".to_owned())
                .trim_end_matches("URL")
                .to_owned(),
        };
        // The auth service is reached without a token of its own.
        let identity = client.service(ServiceConfig::new("openstack").errors(OpenStackErrors));
        let auth = Arc::new(OpenStackAuth::new(
            credentials,
            choice,
            wanted,
            identity,
            client.clock(),
        ));
        Ok((client, auth))
    }
}
