//! Configuring a Swift driver: builder, environment, catalog choice.

use std::sync::Arc;

use cloud_core::{HttpClient, Result, Secret, ServiceConfig};
use cloud_storage::multipart::MultipartConfig;

use super::error::SwiftErrors;
use super::storage::{Swift, SwiftInner};
use crate::auth::Wanted;
use crate::connect::{var, Connection};
use crate::credentials::Credentials;

/// Settings for a [`Swift`] driver.
///
/// ```
/// use cloud_openstack::{Credentials, SwiftBuilder};
///
/// # fn main() -> cloud_core::Result<()> {
/// let swift = SwiftBuilder::new()
///     .credentials(Credentials::password(
///         "https://keystone.example.com:5000/v3",
///         "demo",
///         "secret",
///         "demo-project",
///     ))
///     .region("RegionOne")
///     .build()?;
/// # let _ = swift;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Default)]
#[must_use]
pub struct SwiftBuilder {
    connection: Connection,
    storage_url: Option<String>,
    multipart_threshold: Option<u64>,
    multipart: Option<MultipartConfig>,
    temp_url_key: Option<Secret>,
    keep_replaced_segments: bool,
}

impl SwiftBuilder {
    /// Nothing set: credentials must be given (or read with [`from_env`](SwiftBuilder::from_env)).
    pub fn new() -> SwiftBuilder {
        SwiftBuilder::default()
    }

    /// Settings from the `OS_*` variables of an OpenStack RC file, read at
    /// [`build`](SwiftBuilder::build) (see [`Credentials::from_env`]; with `OS_CLOUD`, that cloud of
    /// `clouds.yaml`, its region and interface), with `OS_REGION_NAME`,
    /// `OS_INTERFACE` and `OS_TEMP_URL_KEY`.
    pub fn from_env() -> SwiftBuilder {
        let mut builder = SwiftBuilder::default();
        builder.connection.from_env = true;
        builder
    }

    /// The credentials to authenticate with.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.connection.credentials = Some(credentials);
        self
    }

    /// The region whose object-store endpoint to use (default: the catalog's first).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.connection.region = Some(region.into());
        self
    }

    /// The catalog interface to use: `public` (default), `internal` or `admin`.
    pub fn interface(mut self, interface: impl Into<String>) -> Self {
        self.connection.interface = Some(interface.into());
        self
    }

    /// A storage URL to use instead of the one the auth service names.
    pub fn storage_url(mut self, url: impl Into<String>) -> Self {
        self.storage_url = Some(url.into());
        self
    }

    /// The HTTP client to share (default: a new one).
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.connection.client = Some(client);
        self
    }

    /// Objects larger than `threshold` bytes, and streams of unknown length, go up as Static Large
    /// Objects with `config` (default: above 16 MiB, 8 MiB segments, 5 at once; a manifest holds at
    /// most 1,000 segments, so segments grow for larger objects).
    pub fn multipart(mut self, threshold: u64, config: MultipartConfig) -> Self {
        self.multipart_threshold = Some(threshold);
        self.multipart = Some(config);
        self
    }

    /// Leaves the segments of a large object that a write or copy replaces, instead of deleting them
    /// after it (which costs a HEAD before every write): for buckets known to hold no large objects,
    /// or segments shared between manifests.
    pub fn keep_replaced_segments(mut self, keep: bool) -> Self {
        self.keep_replaced_segments = keep;
        self
    }

    /// The account's TempURL key, for presigned URLs (default: read from the account when needed).
    pub fn temp_url_key(mut self, key: impl Into<String>) -> Self {
        self.temp_url_key = Some(Secret::new(key));
        self
    }

    /// Builds the driver. Nothing is sent until the first call: that one authenticates.
    pub fn build(self) -> Result<Swift> {
        let mut builder = self;
        if builder.connection.from_env {
            builder.temp_url_key = builder
                .temp_url_key
                .or_else(|| var("OS_TEMP_URL_KEY").map(Secret::new));
        }
        let object_store = Wanted::required(&["object-store"]).at(builder.storage_url);
        let (client, auth) = builder.connection.connect(vec![object_store])?;
        let http = client.service(
            ServiceConfig::new("swift")
                .shared_authorizer(auth.clone())
                .errors(SwiftErrors),
        );
        // 8 MiB segments, 5 at once; a manifest lists at most 1,000 segments.
        let multipart = builder.multipart.unwrap_or_else(|| {
            MultipartConfig::new()
                .part_size(8 << 20)
                .concurrency(5)
                .max_parts(1000)
        });
        Ok(Swift {
            inner: Arc::new(SwiftInner {
                http,
                auth,
                multipart_threshold: builder.multipart_threshold.unwrap_or(16 << 20),
                multipart,
                temp_url_key: builder.temp_url_key,
                keep_replaced_segments: builder.keep_replaced_segments,
            }),
        })
    }
}
