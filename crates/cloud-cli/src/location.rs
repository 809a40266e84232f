//! Where a command reads or writes: a local path, or a storage URL and the driver for it.

use std::path::PathBuf;
use std::sync::Arc;

use cloud::storage::{from_url_with, OpenOptions, StorageDriver, StorageUrl};
use cloud::{Error, Result};

/// A command-line argument naming a place.
pub(crate) enum Location {
    /// A plain file or folder on this machine.
    Local(PathBuf),
    /// A container, object or prefix on a provider.
    Remote(Remote),
}

/// A storage URL with its driver.
#[derive(Clone)]
pub(crate) struct Remote {
    pub(crate) driver: Arc<dyn StorageDriver>,
    pub(crate) url: StorageUrl,
}

impl Remote {
    /// The container, which the command needs.
    pub(crate) fn container(&self) -> Result<&str> {
        self.url
            .container()
            .ok_or_else(|| Error::invalid_input(format!("{} names no container", self.url)))
    }

    /// The key, or the empty string for the whole container.
    pub(crate) fn key(&self) -> &str {
        self.url.key().unwrap_or_default()
    }

    /// The key as a prefix of a folder: empty, or ending with `/`.
    pub(crate) fn folder_prefix(&self) -> String {
        let key = self.key();
        if key.is_empty() || key.ends_with('/') {
            key.to_owned()
        } else {
            format!("{key}/")
        }
    }
}

impl Location {
    pub(crate) fn parse(text: &str, options: &OpenOptions) -> Result<Location> {
        if !StorageUrl::is_url(text) {
            return Ok(Location::Local(PathBuf::from(text)));
        }
        let (driver, url) = from_url_with(text, options)?;
        Ok(Location::Remote(Remote { driver, url }))
    }

    /// The remote location, or an error saying the command needs one.
    pub(crate) fn remote(text: &str, options: &OpenOptions) -> Result<Remote> {
        match Location::parse(text, options)? {
            Location::Remote(remote) => Ok(remote),
            Location::Local(_) => Err(Error::invalid_input(format!(
                "{text} is a local path; this command needs a storage URL such as local://container/key"
            ))),
        }
    }
}
