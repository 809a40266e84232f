//! V4 signed URLs (`GOOG4-RSA-SHA256`), signed with the service account's own key: whoever holds
//! the URL may read (or write) that one object until it expires, without credentials of their own.

use std::time::{Duration, SystemTime};

use cloud_core::request::{encode_path, encode_value};
use cloud_core::{Error, Result};
use cloud_storage::PresignMethod;
use ring::digest::{digest, SHA256};

use super::storage::GcsInner;
use crate::auth::Signer;

/// GCS refuses signed URLs valid for longer than seven days.
const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// The URL of `bucket/key` at `base` (`https://storage.googleapis.com`), for `method`, signed at
/// `now` by `signer` and valid for `expires_in`.
pub(crate) fn sign(
    signer: &Signer,
    base: &str,
    bucket: &str,
    key: &str,
    method: &str,
    expires_in: Duration,
    now: SystemTime,
) -> Result<String> {
    if expires_in > MAX_LIFETIME || expires_in.is_zero() {
        return Err(Error::invalid_input(
            "a GCS signed URL lasts from one second to seven days",
        ));
    }
    let (scheme, host) = base
        .split_once("://")
        .ok_or_else(|| Error::invalid_input("the GCS endpoint has no scheme"))?;
    let (host, prefix) = host.split_once('/').map_or((host, ""), |(h, p)| (h, p));
    let stamp = humantime::format_rfc3339_seconds(now).to_string();
    let datetime: String = stamp.chars().filter(|c| *c != '-' && *c != ':').collect();
    let date = &datetime[..8];
    let scope = format!("{date}/auto/storage/goog4_request");
    let credential = format!("{}/{scope}", signer.email);
    let expires = expires_in.as_secs().to_string();
    // Sorted by name, as the canonical request wants them.
    let params = [
        ("X-Goog-Algorithm", "GOOG4-RSA-SHA256"),
        ("X-Goog-Credential", credential.as_str()),
        ("X-Goog-Date", datetime.as_str()),
        ("X-Goog-Expires", expires.as_str()),
        ("X-Goog-SignedHeaders", "host"),
    ];
    let query = params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode_value(v)))
        .collect::<Vec<_>>()
        .join("&");
    let prefix = if prefix.is_empty() {
        String::new()
    } else {
        format!("/{prefix}")
    };
    let path = format!("{prefix}/{}/{}", encode_value(bucket), encode_path(key));
    let canonical = format!("{method}\n{path}\n{query}\nhost:{host}\n\nhost\nUNSIGNED-PAYLOAD");
    let to_sign = format!(
        "GOOG4-RSA-SHA256\n{datetime}\n{scope}\n{}",
        cloud_core::hex::encode(digest(&SHA256, canonical.as_bytes()))
    );
    let signature = cloud_core::hex::encode(&signer.sign(to_sign.as_bytes())?);
    Ok(format!(
        "{scheme}://{host}{path}?{query}&X-Goog-Signature={signature}"
    ))
}

/// A signed URL for the driver's endpoint; [`Unsupported`](cloud_core::ErrorKind::Unsupported)
/// without a service account key to sign with.
pub(crate) fn url(
    inner: &GcsInner,
    bucket: &str,
    key: &str,
    method: PresignMethod,
    expires_in: Duration,
) -> Result<String> {
    let Some(signer) = &inner.signer else {
        return Err(Error::unsupported(
            "signed URLs without a service account key (tokens from a user or the metadata server cannot sign)",
        ));
    };
    let method = match method {
        PresignMethod::Get => "GET",
        PresignMethod::Put => "PUT",
        _ => return Err(Error::unsupported("that presigned method")),
    };
    sign(
        signer,
        inner.addressing.base(),
        bucket,
        key,
        method,
        expires_in,
        SystemTime::now(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

    #[test]
    fn signs_the_canonical_request_with_the_accounts_key() {
        let text = include_str!("../../tests/data/service-account.json");
        let crate::Credentials::ServiceAccount(key) = crate::Credentials::from_json(text).unwrap()
        else {
            panic!("a service account");
        };
        let signer = Signer::new(&key).unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_000_000);
        let url = sign(
            &signer,
            "https://storage.googleapis.com",
            "box",
            "a b/c.txt",
            "GET",
            Duration::from_secs(600),
            now,
        )
        .unwrap();
        assert!(url.starts_with("https://storage.googleapis.com/box/a%20b/c.txt?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=tests%40cloud-tests.iam.gserviceaccount.com%2F20260528%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20260528T202640Z&X-Goog-Expires=600&X-Goog-SignedHeaders=host&X-Goog-Signature="), "{url}");
        let (_, signature) = url.rsplit_once("X-Goog-Signature=").unwrap();
        let signature: Vec<u8> = (0..signature.len() / 2)
            .map(|i| u8::from_str_radix(&signature[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let canonical = "GET\n/box/a%20b/c.txt\nX-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=tests%40cloud-tests.iam.gserviceaccount.com%2F20260528%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20260528T202640Z&X-Goog-Expires=600&X-Goog-SignedHeaders=host\nhost:storage.googleapis.com\n\nhost\nUNSIGNED-PAYLOAD";
        let to_sign = format!(
            "GOOG4-RSA-SHA256\n20260528T202640Z\n20260528/auto/storage/goog4_request\n{}",
            cloud_core::hex::encode(digest(&SHA256, canonical.as_bytes()))
        );
        let public = include_bytes!("../../tests/data/public-key.pkcs1.der");
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
            .verify(to_sign.as_bytes(), &signature)
            .expect("the signature verifies with the account's public key");
        assert!(sign(
            &signer,
            "https://h",
            "b",
            "k",
            "GET",
            Duration::from_secs(8 * 86400),
            now
        )
        .is_err());
    }
}
