//! Addressing S3 requests: path-style or virtual-hosted URLs of buckets and keys.

use cloud_core::request::encode_path;
pub(crate) use cloud_core::request::{header_value as header, query, request};
use cloud_core::Result;

/// How bucket and key map onto URLs of one endpoint.
#[derive(Clone, Debug)]
pub(crate) struct Addressing {
    scheme: String,
    /// Host and port.
    authority: String,
    path_style: bool,
}

impl Addressing {
    /// Addressing for `endpoint`; path-style when asked, or when the host is an IP address or
    /// `localhost` (virtual hosts cannot work there).
    pub(crate) fn new(endpoint: &str, path_style: Option<bool>) -> Result<Addressing> {
        let endpoint = cloud_core::endpoint::parse_endpoint(endpoint, "S3")?;
        let host = endpoint.host();
        let literal_host = host == "localhost"
            || host.parse::<std::net::IpAddr>().is_ok()
            || host.starts_with('[');
        Ok(Addressing {
            scheme: endpoint.scheme().to_owned(),
            authority: endpoint.authority().to_owned(),
            path_style: path_style.unwrap_or(false) || literal_host,
        })
    }

    /// Whether `bucket` can be a DNS label (lower case, digits, hyphens; no dots, which break TLS).
    fn virtual_host_ok(&self, bucket: &str) -> bool {
        !self.path_style
            && (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }

    /// The URL of the endpoint's root (ListBuckets).
    pub(crate) fn root(&self) -> String {
        format!("{}://{}/", self.scheme, self.authority)
    }

    /// The URL of `key` in `bucket` (the bucket itself when `key` is empty), with `query` appended.
    pub(crate) fn url(&self, bucket: &str, key: &str, query: &str) -> String {
        // Built piece by piece into one buffer sized once: this runs for every request.
        let mut url = String::with_capacity(
            self.scheme.len() + self.authority.len() + bucket.len() + key.len() + query.len() + 8,
        );
        url.push_str(&self.scheme);
        url.push_str("://");
        if self.virtual_host_ok(bucket) {
            url.push_str(bucket);
            url.push('.');
            url.push_str(&self.authority);
        } else {
            url.push_str(&self.authority);
            url.push('/');
            url.push_str(bucket);
        }
        url.push('/');
        url.extend(encode_path(key));
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        url
    }
}

/// The `x-amz-copy-source` value for `bucket`/`key`.
pub(crate) fn copy_source(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{}", encode_path(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_virtual_hosts_on_aws_and_paths_on_local_endpoints() {
        let aws = Addressing::new("https://s3.eu-west-1.amazonaws.com", None).unwrap();
        assert_eq!(
            aws.url("photos", "a b/c+d.jpg", ""),
            "https://photos.s3.eu-west-1.amazonaws.com/a%20b/c%2Bd.jpg"
        );
        assert_eq!(
            aws.url("Has.Dots", "k", ""),
            "https://s3.eu-west-1.amazonaws.com/Has.Dots/k"
        );
        let local = Addressing::new("http://127.0.0.1:9000", None).unwrap();
        assert_eq!(
            local.url("b", "ü/~x", "uploads="),
            "http://127.0.0.1:9000/b/%C3%BC/~x?uploads="
        );
    }
}
