//! Addressing JSON API requests: `endpoint/storage/v1/b/BUCKET/o/OBJECT` for metadata and
//! (`?alt=media`) content, `endpoint/upload/storage/v1/b/BUCKET/o` for uploads. An object's name is one
//! path segment, so its `/` are encoded too.

use cloud_core::request::encode_value;
pub(crate) use cloud_core::request::{header_value as header, query, request};
use cloud_core::Result;

#[derive(Clone, Debug)]
pub(crate) struct Addressing {
    /// `scheme://authority[/path]`, without a trailing slash.
    base: String,
}

fn with_query(mut url: String, query: &str) -> String {
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

impl Addressing {
    pub(crate) fn new(endpoint: &str) -> Result<Addressing> {
        let parsed = cloud_core::endpoint::parse_endpoint(endpoint, "Google Cloud Storage")?;
        let path = parsed.uri().path().trim_end_matches('/');
        Ok(Addressing {
            base: format!("{}://{}{path}", parsed.scheme(), parsed.authority()),
        })
    }

    /// The bucket collection (list, insert).
    pub(crate) fn buckets(&self, query: &str) -> String {
        with_query(format!("{}/storage/v1/b", self.base), query)
    }

    /// One bucket.
    pub(crate) fn bucket(&self, bucket: &str, query: &str) -> String {
        with_query(
            format!("{}/storage/v1/b/{}", self.base, encode_value(bucket)),
            query,
        )
    }

    /// A bucket's objects (list).
    pub(crate) fn objects(&self, bucket: &str, query: &str) -> String {
        with_query(
            format!("{}/storage/v1/b/{}/o", self.base, encode_value(bucket)),
            query,
        )
    }

    /// One object: its metadata, or with `alt=media` its content.
    pub(crate) fn object(&self, bucket: &str, object: &str, query: &str) -> String {
        with_query(
            format!(
                "{}/storage/v1/b/{}/o/{}",
                self.base,
                encode_value(bucket),
                encode_value(object)
            ),
            query,
        )
    }

    /// Where objects are uploaded (`uploadType=…` is the caller's to add).
    pub(crate) fn upload(&self, bucket: &str, query: &str) -> String {
        with_query(
            format!(
                "{}/upload/storage/v1/b/{}/o",
                self.base,
                encode_value(bucket)
            ),
            query,
        )
    }

    /// A server-side rewrite of one object onto another.
    pub(crate) fn rewrite(&self, from: (&str, &str), to: (&str, &str), query: &str) -> String {
        with_query(
            format!(
                "{}/storage/v1/b/{}/o/{}/rewriteTo/b/{}/o/{}",
                self.base,
                encode_value(from.0),
                encode_value(from.1),
                encode_value(to.0),
                encode_value(to.1)
            ),
            query,
        )
    }

    /// The host part, for signed URLs.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_name_is_one_segment() {
        let gcs = Addressing::new("https://storage.googleapis.com/").unwrap();
        assert_eq!(
            gcs.object("box", "a b/ü", "alt=media"),
            "https://storage.googleapis.com/storage/v1/b/box/o/a%20b%2F%C3%BC?alt=media"
        );
        assert_eq!(
            gcs.upload("box", "uploadType=multipart"),
            "https://storage.googleapis.com/upload/storage/v1/b/box/o?uploadType=multipart"
        );
    }
}
