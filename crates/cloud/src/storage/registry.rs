//! Choosing a storage provider at run time, by the scheme of a URL.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};

use cloud_core::{Error, Result};
use cloud_storage::StorageDriver;

use super::url::StorageUrl;

/// Settings the providers' factories may read when opening a URL.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct OpenOptions {
    /// The root folder of `local://` URLs (default: the `CLOUD_LOCAL_ROOT` environment variable).
    pub local_root: Option<PathBuf>,
}

impl OpenOptions {
    /// Options from the environment: `CLOUD_LOCAL_ROOT`.
    pub fn from_env() -> OpenOptions {
        OpenOptions {
            local_root: std::env::var_os("CLOUD_LOCAL_ROOT").map(PathBuf::from),
        }
    }

    /// Sets the root folder of `local://` URLs.
    pub fn local_root(mut self, root: impl Into<PathBuf>) -> OpenOptions {
        self.local_root = Some(root.into());
        self
    }
}

/// Opens a driver for a URL of one scheme.
pub type Factory =
    Arc<dyn Fn(&StorageUrl, &OpenOptions) -> Result<Arc<dyn StorageDriver>> + Send + Sync>;

/// The schemes this process knows, and how to open each. Providers compiled in (by cargo feature) are
/// registered from the start; applications may add their own.
pub struct Registry {
    factories: RwLock<BTreeMap<String, Factory>>,
}

impl Registry {
    /// The process-wide registry.
    pub fn global() -> &'static Registry {
        static GLOBAL: OnceLock<Registry> = OnceLock::new();
        GLOBAL.get_or_init(Registry::with_builtins)
    }

    /// A registry with the providers compiled into this build.
    pub fn with_builtins() -> Registry {
        let registry = Registry {
            factories: RwLock::new(BTreeMap::new()),
        };
        #[cfg(feature = "local")]
        {
            registry.register("local", Arc::new(open_local));
            registry.register("memory", Arc::new(open_memory));
        }
        #[cfg(feature = "aws")]
        registry.register("s3", Arc::new(open_s3));
        #[cfg(feature = "azure")]
        {
            registry.register("az", Arc::new(open_azure));
            registry.register("azure", Arc::new(open_azure));
        }
        #[cfg(feature = "gcp")]
        {
            registry.register("gs", Arc::new(open_gcs));
            registry.register("gcs", Arc::new(open_gcs));
        }
        #[cfg(feature = "openstack")]
        registry.register("swift", Arc::new(open_swift));
        registry
    }

    /// Makes `scheme://` URLs open with `factory`, replacing any earlier factory for it.
    pub fn register(&self, scheme: &str, factory: Factory) {
        let mut factories = self.factories.write().unwrap_or_else(|e| e.into_inner());
        factories.insert(scheme.to_ascii_lowercase(), factory);
    }

    /// The schemes known, in order.
    pub fn schemes(&self) -> Vec<String> {
        let factories = self.factories.read().unwrap_or_else(|e| e.into_inner());
        factories.keys().cloned().collect()
    }

    /// Opens the driver for `url`.
    pub fn open(&self, url: &StorageUrl, options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
        let factory = {
            let factories = self.factories.read().unwrap_or_else(|e| e.into_inner());
            factories.get(url.scheme()).cloned()
        };
        match factory {
            Some(factory) => factory(url, options),
            None => Err(Error::unsupported(format!(
                "no storage provider for {}:// in this build (known: {})",
                url.scheme(),
                self.schemes().join(", ")
            ))),
        }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("schemes", &self.schemes())
            .finish()
    }
}

/// The driver for `url` (`local://container/key`, `memory://container`, `s3://bucket/key` with the
/// `aws` feature, `az://container/blob` with `azure`, `gs://bucket/object` with `gcp`, `swift://container/object` with `openstack`, …) and the URL parsed, with options from the environment.
///
/// ```
/// # fn main() -> cloud::Result<()> {
/// let (store, url) = cloud::storage::from_url("memory://scratch/notes.txt")?;
/// assert_eq!(store.provider(), "memory");
/// assert_eq!(url.container(), Some("scratch"));
/// # Ok(())
/// # }
/// ```
pub fn from_url(url: &str) -> Result<(Arc<dyn StorageDriver>, StorageUrl)> {
    from_url_with(url, &OpenOptions::from_env())
}

/// Like [`from_url`], with explicit options.
pub fn from_url_with(
    url: &str,
    options: &OpenOptions,
) -> Result<(Arc<dyn StorageDriver>, StorageUrl)> {
    let parsed: StorageUrl = url.parse()?;
    let driver = Registry::global().open(&parsed, options)?;
    Ok((driver, parsed))
}

#[cfg(feature = "local")]
fn open_local(_url: &StorageUrl, options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
    let root = options.local_root.clone().ok_or_else(|| {
        Error::invalid_input(
            "local:// URLs need a root folder: set CLOUD_LOCAL_ROOT (or pass --local-root)",
        )
    })?;
    Ok(Arc::new(cloud_local::LocalStorage::new(root)?))
}

/// The one driver of `cell`, built on first use: every URL of a provider shares its connection pool
/// and credential cache.
#[cfg(any(
    feature = "aws",
    feature = "azure",
    feature = "gcp",
    feature = "openstack"
))]
fn shared<D: StorageDriver + Clone>(
    cell: &'static OnceLock<D>,
    build: impl FnOnce() -> Result<D>,
) -> Result<Arc<dyn StorageDriver>> {
    if let Some(driver) = cell.get() {
        return Ok(Arc::new(driver.clone()));
    }
    let driver = build()?;
    Ok(Arc::new(cell.get_or_init(|| driver).clone()))
}

#[cfg(feature = "aws")]
fn open_s3(_url: &StorageUrl, _options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
    static SHARED: OnceLock<cloud_aws::S3> = OnceLock::new();
    shared(&SHARED, || cloud_aws::S3Builder::from_env().build())
}

#[cfg(feature = "azure")]
fn open_azure(_url: &StorageUrl, _options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
    // az:// and azure:// alike.
    static SHARED: OnceLock<cloud_azure::AzureBlob> = OnceLock::new();
    shared(&SHARED, || {
        cloud_azure::AzureBlobBuilder::from_env().build()
    })
}

#[cfg(feature = "gcp")]
fn open_gcs(_url: &StorageUrl, _options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
    // gs:// and gcs:// alike.
    static SHARED: OnceLock<cloud_gcp::Gcs> = OnceLock::new();
    shared(&SHARED, || cloud_gcp::GcsBuilder::from_env().build())
}

#[cfg(feature = "openstack")]
fn open_swift(_url: &StorageUrl, _options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
    static SHARED: OnceLock<cloud_openstack::Swift> = OnceLock::new();
    shared(&SHARED, || {
        cloud_openstack::SwiftBuilder::from_env().build()
    })
}

#[cfg(feature = "local")]
fn open_memory(_url: &StorageUrl, _options: &OpenOptions) -> Result<Arc<dyn StorageDriver>> {
    // One store per process, so every memory:// URL sees the same containers.
    static SHARED: OnceLock<cloud_local::MemoryStorage> = OnceLock::new();
    Ok(Arc::new(
        SHARED.get_or_init(cloud_local::MemoryStorage::new).clone(),
    ))
}
