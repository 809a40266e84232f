//! Building a [`Nova`] driver: credentials, the catalog's endpoints, paging and waiting.

use std::time::Duration;

use cloud_core::json::JsonApi;
use cloud_core::{Backoff, HttpClient, PollOptions, Result, ServiceConfig};

use super::compute::{Inner, Nova};
use crate::auth::Wanted;
use crate::connect::{var, Connection};
use crate::credentials::Credentials;
use crate::error::OpenStackErrors;

/// Where images are listed, got and deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageApi {
    /// Glance v2 when the catalog has an `image` service, Nova's image proxy otherwise.
    #[default]
    Auto,
    /// Glance v2 (`/v2/images`).
    Glance,
    /// Nova's own image proxy (`/images/detail`), which older clouds and some emulators keep.
    Nova,
}

/// Settings for a [`Nova`] driver.
///
/// ```
/// use cloud_openstack::{Credentials, NovaBuilder};
///
/// # fn main() -> cloud_core::Result<()> {
/// let nova = NovaBuilder::new()
///     .credentials(Credentials::password(
///         "https://keystone.example.com:5000/v3",
///         "demo",
///         "secret",
///         "demo-project",
///     ))
///     .region("RegionOne")
///     .build()?;
/// # let _ = nova;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct NovaBuilder {
    connection: Connection,
    compute_url: Option<String>,
    compute_service_name: Option<String>,
    availability_zone: Option<String>,
    image_api: ImageApi,
    page_size: Option<u32>,
    poll: Option<PollOptions>,
}

impl NovaBuilder {
    /// Nothing set: credentials must be given (or read with [`from_env`](NovaBuilder::from_env)).
    pub fn new() -> NovaBuilder {
        NovaBuilder::default()
    }

    /// Settings from the `OS_*` variables of an OpenStack RC file, read at
    /// [`build`](NovaBuilder::build): credentials as [`Credentials::from_env`] reads them (with
    /// `OS_CLOUD`, that cloud of `clouds.yaml`), `OS_REGION_NAME`, `OS_INTERFACE`,
    /// `OS_COMPUTE_API_URL` (a compute endpoint instead of the catalog's), `OS_COMPUTE_SERVICE_NAME`
    /// and `OS_AVAILABILITY_ZONE`.
    pub fn from_env() -> NovaBuilder {
        let mut builder = NovaBuilder::default();
        builder.connection.from_env = true;
        builder
    }

    /// The credentials to authenticate with (Keystone v3, or v2.0 for an auth URL ending in `/v2.0`).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.connection.credentials = Some(credentials);
        self
    }

    /// The region whose endpoints to use (default: the catalog's first).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.connection.region = Some(region.into());
        self
    }

    /// The catalog interface to use: `public` (default), `internal` or `admin`.
    pub fn interface(mut self, interface: impl Into<String>) -> Self {
        self.connection.interface = Some(interface.into());
        self
    }

    /// A compute endpoint to use instead of the catalog's (`https://nova.example.com:8774/v2.1`).
    pub fn compute_url(mut self, url: impl Into<String>) -> Self {
        self.compute_url = Some(url.into());
        self
    }

    /// The catalog name of the compute service, for catalogs that list several of type `compute`.
    pub fn compute_service_name(mut self, name: impl Into<String>) -> Self {
        self.compute_service_name = Some(name.into());
        self
    }

    /// The availability zone for nodes and volumes whose request names no location.
    pub fn availability_zone(mut self, zone: impl Into<String>) -> Self {
        self.availability_zone = Some(zone.into());
        self
    }

    /// Where images come from (default: [`ImageApi::Auto`]).
    pub fn image_api(mut self, api: ImageApi) -> Self {
        self.image_api = api;
        self
    }

    /// How many servers, images, volumes or snapshots to ask for a page (default 1,000, Nova's own
    /// default ceiling).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size.max(1));
        self
    }

    /// The HTTP client to share (default: a new one).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.connection.client = Some(client);
        self
    }

    /// How to wait for what must finish before a call returns (a volume attached or detached);
    /// default: every 1 to 5 s, for at most 5 minutes.
    pub fn polling(mut self, poll: PollOptions) -> Self {
        self.poll = Some(poll);
        self
    }

    /// Builds the driver. Nothing is sent until the first call: that one authenticates.
    pub fn build(self) -> Result<Nova> {
        let mut builder = self;
        if builder.connection.from_env {
            builder.compute_url = builder.compute_url.or_else(|| var("OS_COMPUTE_API_URL"));
            builder.compute_service_name = builder
                .compute_service_name
                .or_else(|| var("OS_COMPUTE_SERVICE_NAME"));
            builder.availability_zone = builder
                .availability_zone
                .or_else(|| var("OS_AVAILABILITY_ZONE"));
        }
        let compute = Wanted::required(&["compute"])
            .at(builder.compute_url)
            .named(builder.compute_service_name);
        let wanted = vec![
            compute,
            Wanted::optional(&["image"]),
            Wanted::optional(&["volumev3", "block-storage", "volumev2", "volume"]),
        ];
        let (client, auth) = builder.connection.connect(wanted)?;
        let http = client.service(
            ServiceConfig::new("nova")
                .shared_authorizer(auth.clone())
                .errors(OpenStackErrors),
        );
        let poll = builder.poll.unwrap_or_else(|| {
            PollOptions::default()
                .with_backoff(Backoff::new(Duration::from_secs(1), Duration::from_secs(5)))
                .with_timeout(Some(Duration::from_secs(300)))
                .with_clock(client.clock())
        });
        Ok(Nova::from_inner(Inner {
            api: JsonApi::new(http),
            auth,
            zone: builder.availability_zone,
            image_api: builder.image_api,
            page_size: builder.page_size.unwrap_or(1000),
            poll,
        }))
    }
}
