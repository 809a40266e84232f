//! TempURLs: `temp_url_sig` is the HMAC-SHA256 of the method, the expiry and the object's path, under
//! the account's TempURL key (`X-Account-Meta-Temp-URL-Key`, or the one given to the builder).

use std::time::{Duration, SystemTime};

use cloud_core::headers::text;
use cloud_core::{Body, Error, Result, Secret};
use cloud_storage::PresignMethod;
use hmac::{Hmac, KeyInit, Mac};
use http::Method;
use sha2::Sha256;

use super::requests::{object, query, request};
use super::storage::SwiftInner;

/// The signature of `method` on `path` (decoded, as Swift sees it) until `expires` (Unix seconds).
pub(crate) fn signature(key: &str, method: &str, expires: u64, path: &str) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|_| Error::invalid_input("the TempURL key cannot be an HMAC key"))?;
    mac.update(format!("{method}\n{expires}\n{path}").as_bytes());
    Ok(cloud_core::hex::encode(mac.finalize().into_bytes()))
}

/// The path part of a URL, decoded.
fn decoded_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    let path = path.split('?').next().unwrap_or_default();
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .into_owned()
}

async fn key(inner: &SwiftInner) -> Result<Secret> {
    if let Some(key) = &inner.temp_url_key {
        return Ok(key.clone());
    }
    let base = inner.base().await?;
    let req = request(Method::HEAD, &base, Body::empty())?;
    let response = inner.call("HeadAccount", "", req).await?;
    text(response.headers(), "x-account-meta-temp-url-key")
        .map(Secret::new)
        .ok_or_else(|| {
            Error::unsupported(
                "TempURLs without a key: set X-Account-Meta-Temp-URL-Key on the account \
                 (`swift post -m Temp-URL-Key:…`) or give SwiftBuilder::temp_url_key",
            )
        })
}

/// A TempURL for `container/key`.
pub(crate) async fn url(
    inner: &SwiftInner,
    container: &str,
    key_name: &str,
    method: PresignMethod,
    expires_in: Duration,
) -> Result<String> {
    let method = match method {
        PresignMethod::Get => "GET",
        PresignMethod::Put => "PUT",
        _ => return Err(Error::unsupported("that presigned method")),
    };
    let secret = key(inner).await?;
    let expires = crate::auth::unix(SystemTime::now() + expires_in);
    let base = inner.base().await?;
    let url = object(&base, container, key_name, "");
    let sig = signature(secret.expose(), method, expires, &decoded_path(&url))?;
    let expires = expires.to_string();
    Ok(format!(
        "{url}?{}",
        query(&[("temp_url_sig", &sig), ("temp_url_expires", &expires)])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_decoded_path() {
        assert_eq!(
            decoded_path("http://h:8080/v1/AUTH_t/box/a%20b/c.txt"),
            "/v1/AUTH_t/box/a b/c.txt"
        );
        // HMAC-SHA256("key", "GET\n1700000000\n/v1/AUTH_t/box/k"), as Python's hmac computes it.
        let sig = signature("key", "GET", 1_700_000_000, "/v1/AUTH_t/box/k").unwrap();
        assert_eq!(
            sig,
            "e0bb9bef3c75f837c249068fa72a453f65c37f6f77255da6d372588535f67826"
        );
        assert_ne!(
            sig,
            signature("key", "PUT", 1_700_000_000, "/v1/AUTH_t/box/k").unwrap()
        );
    }
}
