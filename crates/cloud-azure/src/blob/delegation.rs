//! Presigned URLs for an Entra ID identity: a user delegation SAS, signed with a key the service hands
//! out to the identity (Get User Delegation Key). One key is kept and reused for every URL that expires
//! before it does.

use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine;
use cloud_core::{Body, Error, Result};
use http::Method;
use serde::Deserialize;

use super::model::parse;
use super::requests::request;
use super::storage::BlobInner;
use crate::auth::{hmac, API_VERSION};

/// The longest a user delegation key may live (the service refuses more than seven days).
const MAX_KEY_LIFE: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a new key lives unless a URL needs longer.
const KEY_LIFE: Duration = Duration::from_secs(24 * 3600);

/// `<UserDelegationKey>`: the identity the key belongs to, its validity, and its value.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct DelegationKey {
    #[serde(rename = "SignedOid")]
    oid: String,
    #[serde(rename = "SignedTid")]
    tid: String,
    #[serde(rename = "SignedStart")]
    start: String,
    #[serde(rename = "SignedExpiry")]
    expiry: String,
    #[serde(rename = "SignedService")]
    service: String,
    #[serde(rename = "SignedVersion")]
    version: String,
    #[serde(rename = "Value")]
    value: String,
    /// When the key stops working, by our clock.
    #[serde(skip)]
    valid_until: Option<SystemTime>,
}

/// The one key kept for the driver.
#[derive(Debug, Default)]
pub(crate) struct DelegationKeys {
    key: Mutex<Option<DelegationKey>>,
}

fn iso(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

impl DelegationKeys {
    /// A key valid at least until `until`, reused when the kept one is.
    async fn key_until(&self, inner: &BlobInner, until: SystemTime) -> Result<DelegationKey> {
        if let Ok(kept) = self.key.lock() {
            if let Some(key) = kept.as_ref().filter(|k| k.valid_until >= Some(until)) {
                return Ok(key.clone());
            }
        }
        let now = SystemTime::now();
        let life = until
            .duration_since(now)
            .unwrap_or_default()
            .max(KEY_LIFE)
            .min(MAX_KEY_LIFE);
        if now + life < until {
            return Err(Error::invalid_input(
                "a presigned Azure URL for an Entra ID identity can last at most seven days",
            ));
        }
        // Starting a little in the past covers clocks a few minutes apart.
        let start = now - Duration::from_secs(300);
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>{}</Start><Expiry>{}</Expiry></KeyInfo>",
            iso(start),
            iso(now + life)
        );
        let url = inner
            .addressing
            .root("restype=service&comp=userdelegationkey");
        let req = request(Method::POST, url, Body::from(body))?;
        let answer = inner.call_xml("GetUserDelegationKey", "", req).await?;
        let mut key: DelegationKey = parse("UserDelegationKey", &answer)?;
        key.valid_until = Some(now + life);
        if let Ok(mut kept) = self.key.lock() {
            *kept = Some(key.clone());
        }
        Ok(key)
    }

    /// The query of a user delegation SAS for one blob: `permissions` until `now + expires_in`.
    pub(crate) async fn blob_sas(
        &self,
        inner: &BlobInner,
        container: &str,
        blob: &str,
        permissions: &str,
        expires_in: Duration,
    ) -> Result<String> {
        let expiry = SystemTime::now() + expires_in;
        let key = self.key_until(inner, expiry).await?;
        let value = base64::engine::general_purpose::STANDARD
            .decode(key.value.trim())
            .map_err(|_| Error::unexpected("the user delegation key is not base64"))?;
        let expiry = iso(expiry);
        Ok(signed_query(
            &key,
            &value,
            inner.auth.account(),
            container,
            blob,
            permissions,
            &expiry,
        ))
    }
}

/// The SAS query (API 2020-12-06 and later): the string to sign lists permissions, times, the
/// canonical resource, the key's fields, then empty optional fields, the version and resource type.
fn signed_query(
    key: &DelegationKey,
    value: &[u8],
    account: &str,
    container: &str,
    blob: &str,
    permissions: &str,
    expiry: &str,
) -> String {
    let resource = format!("/blob/{account}/{container}/{blob}");
    let to_sign = [
        permissions,
        "", // signed start: valid from now
        expiry,
        &resource,
        &key.oid,
        &key.tid,
        &key.start,
        &key.expiry,
        &key.service,
        &key.version,
        "", // authorized user object ID
        "", // unauthorized user object ID
        "", // correlation ID
        "", // IP range
        "", // protocol
        API_VERSION,
        "b",
        "", // snapshot time
        "", // encryption scope
        "", // rscc
        "", // rscd
        "", // rsce
        "", // rscl
        "", // rsct
    ]
    .join("\n");
    let signature = hmac(value, to_sign.as_bytes());
    cloud_core::request::query(&[
        ("sv", API_VERSION),
        ("sr", "b"),
        ("sp", permissions),
        ("se", expiry),
        ("skoid", &key.oid),
        ("sktid", &key.tid),
        ("skt", &key.start),
        ("ske", &key.expiry),
        ("sks", &key.service),
        ("skv", &key.version),
        ("sig", &signature),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_key_and_signs_with_its_fields() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?><UserDelegationKey><SignedOid>oid-1</SignedOid><SignedTid>tid-1</SignedTid><SignedStart>2026-12-07T00:00:00Z</SignedStart><SignedExpiry>2026-12-08T00:00:00Z</SignedExpiry><SignedService>b</SignedService><SignedVersion>2023-11-03</SignedVersion><Value>a2V5</Value></UserDelegationKey>"#;
        let key: DelegationKey = parse("UserDelegationKey", xml).unwrap();
        let query = signed_query(
            &key,
            b"key",
            "acct",
            "box",
            "a.txt",
            "r",
            "2026-12-07T01:00:00Z",
        );
        for field in [
            "sv=2023-11-03",
            "sr=b",
            "sp=r",
            "skoid=oid-1",
            "sktid=tid-1",
            "sks=b",
            "sig=",
        ] {
            assert!(query.contains(field), "{field} in {query}");
        }
    }
}
