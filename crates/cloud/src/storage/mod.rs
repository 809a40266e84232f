//! Object storage: the [`StorageDriver`] API, its providers, and choosing one by URL.
//!
//! Everything of [`cloud_storage`] is here, plus [`from_url`] and the [`Registry`] of schemes.

mod registry;
mod url;

pub use cloud_storage::*;
pub use registry::{from_url, from_url_with, Factory, OpenOptions, Registry};
pub use url::StorageUrl;

#[cfg(feature = "local")]
pub use cloud_local::{Faults, LocalStorage, MemoryStorage, MemoryStorageBuilder};

/// Amazon S3 and S3-compatible services.
#[cfg(feature = "aws")]
pub mod s3 {
    pub use cloud_aws::{Credentials, S3Builder, S3};
}

/// Microsoft Azure Blob Storage, and Azurite.
#[cfg(feature = "azure")]
pub mod azure {
    pub use cloud_azure::{
        AzureBlob, AzureBlobBuilder, Credentials, API_VERSION, DEV_ACCOUNT, DEV_KEY,
    };
}

/// Google Cloud Storage, and its emulators.
#[cfg(feature = "gcp")]
pub mod gcs {
    pub use cloud_gcp::{
        Credentials, Gcs, GcsBuilder, ServiceAccountKey, STORAGE_SCOPE, TOKEN_URI,
    };
}

/// OpenStack Swift (Keystone v3 or tempauth).
#[cfg(feature = "openstack")]
pub mod swift {
    pub use cloud_openstack::{Credentials, Swift, SwiftBuilder};
}
