//! Reading JSON answers and sending JSON requests.
//!
//! A JSON API's answer is read into the type the operation documents. Top-level fields a listing
//! cannot do without (`"servers"`, `"droplets"`) are not `Option`s, so an answer such as `{}` or an
//! error document sent with `200` fails to parse instead of reading as an empty success; [`parse`]
//! names the operation and the place, never the body (which may hold secrets).
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! struct Servers {
//!     servers: Vec<cloud_core::json::Id>,
//! }
//!
//! let ok: Servers = cloud_core::json::parse("ListServers", br#"{"servers": [7, "b2"]}"#).unwrap();
//! assert_eq!(ok.servers[0].as_str(), "7");
//! let err = cloud_core::json::parse::<Servers>("ListServers", b"{}").unwrap_err();
//! assert_eq!(err.kind(), cloud_core::ErrorKind::Unexpected);
//! ```

use std::fmt;

use http::{HeaderValue, Method};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::{Body, Request};

/// Parses the JSON answer of `operation`; anything that is not what the API documents is
/// [`Unexpected`](crate::ErrorKind::Unexpected), with the line and column where reading stopped.
pub fn parse<'a, T: Deserialize<'a>>(operation: &str, body: &'a [u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        Error::unexpected(format!(
            "{operation} answered with JSON that is not what the API documents (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// A request with `value` as its JSON body (`Content-Type: application/json`).
pub fn request<T: Serialize + ?Sized>(method: Method, url: &str, value: &T) -> Result<Request> {
    let body = serde_json::to_vec(value)
        .map_err(|e| Error::invalid_input(format!("the request cannot be written as JSON: {e}")))?;
    let mut request = crate::request::request(method, url, Body::from(body))?;
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// An identifier that an API writes as a number in one answer and as a string in another
/// (DigitalOcean's snapshot ids, say), kept as the string it spells.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Id, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum NumberOrString {
            Number(u64),
            Signed(i64),
            Text(String),
        }
        Ok(Id(match NumberOrString::deserialize(deserializer)? {
            NumberOrString::Number(n) => n.to_string(),
            NumberOrString::Signed(n) => n.to_string(),
            NumberOrString::Text(text) => text,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_from_numbers_and_strings_and_nothing_else() {
        let ids: Vec<Id> = parse("T", br#"[1, "x-2", -3]"#).unwrap();
        let texts: Vec<&str> = ids.iter().map(Id::as_str).collect();
        assert_eq!(texts, ["1", "x-2", "-3"]);
        assert!(parse::<Vec<Id>>("T", b"[1.5]").is_err());
        assert!(parse::<Vec<Id>>("T", b"[null]").is_err());
    }

    #[test]
    fn requests_carry_their_json_and_its_type() {
        let req = request(Method::POST, "http://h/v2/x", &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(req.method(), Method::POST);
    }
}
