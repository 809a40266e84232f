//! Addressing Blob requests: `endpoint/container/blob`, where the endpoint is the account's host
//! (`https://acct.blob.core.windows.net`) or, for Azurite, a host and the account as the first path
//! segment (`http://127.0.0.1:10000/devstoreaccount1`).

use cloud_core::request::{encode_path, encode_value};
pub(crate) use cloud_core::request::{header_value as header, query, request};
use cloud_core::Result;

#[derive(Clone, Debug)]
pub(crate) struct Addressing {
    /// `scheme://authority[/account]`, without a trailing slash.
    base: String,
}

impl Addressing {
    pub(crate) fn new(endpoint: &str) -> Result<Addressing> {
        let parsed = cloud_core::endpoint::parse_endpoint(endpoint, "Azure Blob")?;
        let path = parsed.uri().path().trim_end_matches('/');
        Ok(Addressing {
            base: format!("{}://{}{path}", parsed.scheme(), parsed.authority()),
        })
    }

    /// The service's URL with `query` (List Containers).
    pub(crate) fn root(&self, query: &str) -> String {
        format!("{}/?{query}", self.base)
    }

    /// The container's URL with `query` (`restype=container` is the caller's to add).
    pub(crate) fn container(&self, container: &str, query: &str) -> String {
        format!("{}/{}?{query}", self.base, encode_value(container))
    }

    /// The blob's URL, with `query` when not empty.
    pub(crate) fn blob(&self, container: &str, blob: &str, query: &str) -> String {
        let mut url = format!(
            "{}/{}/{}",
            self.base,
            encode_value(container),
            encode_path(blob)
        );
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_emulators_account_segment() {
        let azurite = Addressing::new("http://127.0.0.1:10000/devstoreaccount1/").unwrap();
        assert_eq!(
            azurite.blob("box", "a b/ü", ""),
            "http://127.0.0.1:10000/devstoreaccount1/box/a%20b/%C3%BC"
        );
        let azure = Addressing::new("https://acct.blob.core.windows.net").unwrap();
        assert_eq!(
            azure.container("box", "restype=container"),
            "https://acct.blob.core.windows.net/box?restype=container"
        );
    }
}
