//! Azure Storage credentials: an account's shared key, a SAS token, or a connection string holding
//! either, as the portal and `az storage account show-connection-string` hand them out; or an
//! Entra ID identity.

use std::fmt;

use crate::identity::Identity;

use base64::Engine;
use cloud_core::{Error, ErrorKind, Result, Secret};

/// Azurite's well-known development account.
pub const DEV_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known development key (public: it is in Microsoft's documentation).
pub const DEV_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// How requests to a storage account are authorized.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// The account's shared key (base64, as the portal shows it): every request is signed with it.
    SharedKey {
        /// The storage account's name.
        account: String,
        /// The account key.
        key: Secret,
    },
    /// A shared access signature: the query string (without `?`) appended to every request.
    Sas {
        /// The storage account's name.
        account: String,
        /// The SAS token.
        token: Secret,
    },
    /// An Entra ID identity: requests carry its OAuth token (`Authorization: Bearer`), and
    /// presigned URLs are user delegation SAS.
    Entra {
        /// The storage account's name.
        account: String,
        /// Who the driver is.
        identity: Identity,
    },
}

impl Credentials {
    /// The shared key `key` of `account`.
    pub fn shared_key(account: impl Into<String>, key: impl Into<Secret>) -> Credentials {
        Credentials::SharedKey {
            account: account.into(),
            key: key.into(),
        }
    }

    /// The SAS token `token` for `account` (a leading `?` is dropped).
    pub fn sas(account: impl Into<String>, token: &str) -> Credentials {
        Credentials::Sas {
            account: account.into(),
            token: Secret::new(token.trim_start_matches('?')),
        }
    }

    /// The Entra ID `identity`, for `account`.
    pub fn entra(account: impl Into<String>, identity: Identity) -> Credentials {
        Credentials::Entra {
            account: account.into(),
            identity,
        }
    }

    /// Azurite's development account and key.
    pub fn development() -> Credentials {
        Credentials::shared_key(DEV_ACCOUNT, DEV_KEY)
    }

    /// The storage account's name.
    pub fn account(&self) -> &str {
        match self {
            Credentials::SharedKey { account, .. }
            | Credentials::Sas { account, .. }
            | Credentials::Entra { account, .. } => account,
        }
    }

    /// The decoded shared key, when these credentials have one.
    pub(crate) fn key_bytes(&self) -> Result<Option<Vec<u8>>> {
        match self {
            Credentials::SharedKey { key, .. } => base64::engine::general_purpose::STANDARD
                .decode(key.expose().trim())
                .map(Some)
                .map_err(|_| {
                    Error::new(
                        ErrorKind::InvalidInput,
                        "the Azure storage account key is not base64",
                    )
                }),
            Credentials::Sas { .. } | Credentials::Entra { .. } => Ok(None),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::SharedKey { account, .. } => f
                .debug_struct("SharedKey")
                .field("account", account)
                .field("key", &"***")
                .finish(),
            Credentials::Sas { account, .. } => f
                .debug_struct("Sas")
                .field("account", account)
                .field("token", &"***")
                .finish(),
            Credentials::Entra { account, identity } => f
                .debug_struct("Entra")
                .field("account", account)
                .field("identity", identity)
                .finish(),
        }
    }
}

/// What a connection string says: credentials and, when it names one, the Blob endpoint.
#[derive(Debug)]
pub(crate) struct ConnectionString {
    pub(crate) credentials: Credentials,
    pub(crate) blob_endpoint: Option<String>,
}

impl ConnectionString {
    /// Parses `AccountName=…;AccountKey=…;DefaultEndpointsProtocol=…;EndpointSuffix=…;BlobEndpoint=…;
    /// SharedAccessSignature=…`, or `UseDevelopmentStorage=true` (Azurite on 127.0.0.1:10000).
    pub(crate) fn parse(text: &str) -> Result<ConnectionString> {
        let mut fields = std::collections::BTreeMap::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            // Values (keys, signatures) may hold `=`; only the first one separates.
            let (name, value) = part.split_once('=').ok_or_else(|| {
                Error::invalid_input("an Azure connection string part has no `=`")
            })?;
            fields.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
        let get = |name: &str| fields.get(name).cloned();
        if get("usedevelopmentstorage").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            let host =
                get("developmentstorageproxyuri").unwrap_or_else(|| "http://127.0.0.1".to_owned());
            return Ok(ConnectionString {
                credentials: Credentials::development(),
                blob_endpoint: Some(format!("{host}:10000/{DEV_ACCOUNT}")),
            });
        }
        let blob_endpoint = get("blobendpoint").or_else(|| {
            let account = get("accountname")?;
            let protocol = get("defaultendpointsprotocol").unwrap_or_else(|| "https".to_owned());
            let suffix = get("endpointsuffix").unwrap_or_else(|| "core.windows.net".to_owned());
            Some(format!("{protocol}://{account}.blob.{suffix}"))
        });
        let account = match get("accountname") {
            Some(account) => account,
            None => blob_endpoint
                .as_deref()
                .and_then(account_of_endpoint)
                .ok_or_else(|| {
                    Error::invalid_input("an Azure connection string without AccountName")
                })?,
        };
        let credentials =
            match (get("accountkey"), get("sharedaccesssignature")) {
                (Some(key), _) => Credentials::shared_key(account, key),
                (None, Some(sas)) => Credentials::sas(account, &sas),
                (None, None) => return Err(Error::new(
                    ErrorKind::Unauthenticated,
                    "the Azure connection string has neither AccountKey nor SharedAccessSignature",
                )),
            };
        Ok(ConnectionString {
            credentials,
            blob_endpoint,
        })
    }
}

/// `account` of `https://account.blob.core.windows.net`.
fn account_of_endpoint(endpoint: &str) -> Option<String> {
    let host = endpoint.split("://").nth(1)?.split(['/', ':']).next()?;
    let (account, rest) = host.split_once('.')?;
    rest.starts_with("blob.").then(|| account.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_connection_strings_azure_hands_out() {
        let parsed = ConnectionString::parse(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5PQ==;EndpointSuffix=core.windows.net",
        )
        .unwrap();
        assert_eq!(
            parsed.credentials,
            Credentials::shared_key("acct", "a2V5PQ==")
        );
        assert_eq!(
            parsed.blob_endpoint.as_deref(),
            Some("https://acct.blob.core.windows.net")
        );
        let sas = ConnectionString::parse(
            "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2022-11-02&sig=abc%3D",
        )
        .unwrap();
        assert_eq!(
            sas.credentials,
            Credentials::sas("acct", "sv=2022-11-02&sig=abc%3D")
        );
        let dev = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(dev.credentials.account(), DEV_ACCOUNT);
        assert_eq!(
            dev.blob_endpoint.as_deref(),
            Some("http://127.0.0.1:10000/devstoreaccount1")
        );
        assert!(ConnectionString::parse("AccountName=acct").is_err());
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", Credentials::shared_key("acct", "c2VjcmV0a2V5"));
        assert!(!shown.contains("c2VjcmV0a2V5"), "{shown}");
        let shown = format!("{:?}", Credentials::sas("acct", "sig=planted"));
        assert!(!shown.contains("planted"), "{shown}");
    }
}
