//! Addressing Swift requests: `STORAGE_URL/container/object`, where the storage URL is the account's
//! (`https://swift.example.com/v1/AUTH_project`), as the auth service names it.

use cloud_core::request::{encode_path, encode_value};
pub(crate) use cloud_core::request::{header_value as header, query, request};

fn with_query(mut url: String, query: &str) -> String {
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// The account's URL with `query` (container listings).
pub(crate) fn account(base: &str, query: &str) -> String {
    with_query(base.to_owned(), query)
}

/// A container's URL with `query`.
pub(crate) fn container(base: &str, container: &str, query: &str) -> String {
    with_query(format!("{base}/{}", encode_value(container)), query)
}

/// An object's URL with `query`; its `/` are kept, as Swift names objects by path.
pub(crate) fn object(base: &str, container: &str, object: &str, query: &str) -> String {
    with_query(
        format!("{base}/{}/{}", encode_value(container), encode_path(object)),
        query,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_each_part_once() {
        assert_eq!(
            object(
                "http://h/v1/AUTH_t",
                "a b",
                "x/ü?.txt",
                "multipart-manifest=get"
            ),
            "http://h/v1/AUTH_t/a%20b/x/%C3%BC%3F.txt?multipart-manifest=get"
        );
    }
}
