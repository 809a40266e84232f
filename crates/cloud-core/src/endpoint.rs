//! Endpoint URLs as users give them: checked once, when a driver is built.

use http::Uri;

use crate::error::{Error, Result};
use crate::redact;

/// A checked endpoint: a URL with a scheme and a host and no user information.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    uri: Uri,
}

impl Endpoint {
    /// The whole URL.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.uri.scheme_str().unwrap_or_default()
    }

    /// Host and port.
    pub fn authority(&self) -> &str {
        self.uri.authority().map_or("", |a| a.as_str())
    }

    /// The host alone.
    pub fn host(&self) -> &str {
        self.uri.host().unwrap_or_default()
    }
}

/// Parses the endpoint of `service` (`"S3"`, `"EC2"`, …): a URL with a scheme and a host, and no user
/// name or password (credentials are set apart, so that they are never sent or shown as part of a URL).
/// Messages show the URL redacted.
///
/// ```
/// use cloud_core::endpoint::parse_endpoint;
///
/// let endpoint = parse_endpoint("http://127.0.0.1:9000", "S3").unwrap();
/// assert_eq!(endpoint.authority(), "127.0.0.1:9000");
/// let err = parse_endpoint("http://admin:hunter2@127.0.0.1:9000", "S3").unwrap_err();
/// assert!(!err.to_string().contains("hunter2"));
/// ```
pub fn parse_endpoint(endpoint: &str, service: &str) -> Result<Endpoint> {
    let shown = redact::url(endpoint);
    let uri: Uri = endpoint.parse().map_err(|_| {
        Error::invalid_input(format!("the {service} endpoint {shown:?} is not a URL"))
    })?;
    let (Some(_), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(Error::invalid_input(format!(
            "the {service} endpoint {shown:?} needs a scheme and a host"
        )));
    };
    if authority.as_str().contains('@') {
        return Err(Error::invalid_input(format!(
            "the {service} endpoint {shown:?} holds a user name or password: give credentials \
             through the driver's credential settings, not in the URL"
        )));
    }
    Ok(Endpoint { uri })
}
