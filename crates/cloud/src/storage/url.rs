//! Storage URLs: `scheme://container/key`.

use std::fmt;

use cloud_core::{Error, Result};

/// A parsed storage URL: `scheme://container/key`, where container and key may be absent.
///
/// The key is everything after the first `/` following the container, taken literally (no percent
/// decoding), so `local://photos/2026/cat 1.jpg` names the key `2026/cat 1.jpg`.
///
/// ```
/// use cloud::storage::StorageUrl;
///
/// let url: StorageUrl = "s3://bucket/path/to/key.txt".parse()?;
/// assert_eq!(url.scheme(), "s3");
/// assert_eq!(url.container(), Some("bucket"));
/// assert_eq!(url.key(), Some("path/to/key.txt"));
///
/// let bucket_only: StorageUrl = "memory://scratch".parse()?;
/// assert_eq!(bucket_only.key(), None);
/// # Ok::<(), cloud::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct StorageUrl {
    scheme: String,
    container: Option<String>,
    key: Option<String>,
}

impl StorageUrl {
    /// The scheme, lower-case (`s3`, `local`, `memory`, …).
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The container, if the URL names one.
    pub fn container(&self) -> Option<&str> {
        self.container.as_deref()
    }

    /// The key (or key prefix), if the URL names one.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The same container with `key` instead.
    pub fn with_key(&self, key: impl Into<String>) -> StorageUrl {
        let key: String = key.into();
        StorageUrl {
            scheme: self.scheme.clone(),
            container: self.container.clone(),
            key: (!key.is_empty()).then_some(key),
        }
    }

    /// Whether `text` looks like a storage URL (`scheme://…`) rather than a local path.
    pub fn is_url(text: &str) -> bool {
        text.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
    }
}

impl std::str::FromStr for StorageUrl {
    type Err = Error;

    fn from_str(text: &str) -> Result<StorageUrl> {
        if !StorageUrl::is_url(text) {
            return Err(Error::invalid_input(format!(
                "{text:?} is not a storage URL (scheme://container/key)"
            )));
        }
        let (scheme, rest) = text.split_once("://").unwrap_or_default();
        let (container, key) = match rest.split_once('/') {
            Some((container, key)) => (container, key),
            None => (rest, ""),
        };
        Ok(StorageUrl {
            scheme: scheme.to_ascii_lowercase(),
            container: (!container.is_empty()).then(|| container.to_owned()),
            key: (!key.is_empty()).then(|| key.to_owned()),
        })
    }
}

impl fmt::Display for StorageUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme)?;
        if let Some(container) = &self.container {
            f.write_str(container)?;
            if let Some(key) = &self.key {
                write!(f, "/{key}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_back() {
        for text in ["s3://b", "s3://b/k", "local://c/a b/ü?#%20", "memory://"] {
            let url: StorageUrl = text.parse().unwrap();
            assert_eq!(url.to_string(), text);
        }
    }

    #[test]
    fn tells_urls_from_paths() {
        assert!(StorageUrl::is_url("gs://bucket"));
        assert!(!StorageUrl::is_url("/tmp/file"));
        assert!(!StorageUrl::is_url("relative/dir"));
        assert!(!StorageUrl::is_url("weird name://x"));
        assert!("plain/path".parse::<StorageUrl>().is_err());
    }
}
