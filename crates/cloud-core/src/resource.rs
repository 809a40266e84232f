//! What a request is about, named in its errors.

use std::fmt;

/// What a request is about, for its errors: a container (bucket), or an object in it. Written out
/// only when an error names it, so a request that succeeds formats nothing.
///
/// ```
/// use cloud_core::Resource;
///
/// assert_eq!(Resource::object("photos", "2026/a.jpg").to_string(), "photos/2026/a.jpg");
/// assert_eq!(Resource::from("photos/2026/a.jpg").container(), "photos");
/// assert_eq!(Resource::from("photos").to_string(), "photos");
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Resource<'a> {
    container: &'a str,
    key: Option<&'a str>,
}

impl<'a> Resource<'a> {
    /// The object `key` in `container`.
    pub fn object(container: &'a str, key: &'a str) -> Resource<'a> {
        Resource {
            container,
            key: Some(key),
        }
    }

    /// The container (bucket) the request is about.
    pub fn container(&self) -> &'a str {
        self.container
    }
}

/// `container` or `container/key` (a container's name holds no `/`).
impl<'a> From<&'a str> for Resource<'a> {
    fn from(resource: &'a str) -> Resource<'a> {
        match resource.split_once('/') {
            Some((container, key)) => Resource::object(container, key),
            None => Resource {
                container: resource,
                key: None,
            },
        }
    }
}

impl<'a> From<&'a String> for Resource<'a> {
    fn from(resource: &'a String) -> Resource<'a> {
        Resource::from(resource.as_str())
    }
}

impl fmt::Display for Resource<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.key {
            Some(key) => write!(f, "{}/{key}", self.container),
            None => f.write_str(self.container),
        }
    }
}
