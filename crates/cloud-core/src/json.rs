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
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::{Error, Result};
use crate::{Body, HttpService, Operation, Request};

/// Parses the JSON answer of `operation`; anything that is not what the API documents is
/// [`Unexpected`](crate::ErrorKind::Unexpected), with the line and column where reading stopped.
///
/// The body's UTF-8 is checked once, whole, and then read as text: `serde_json` checks each string
/// of a byte slice on its own, which costs a listing of short names about a quarter of its parse.
pub fn parse<'a, T: Deserialize<'a>>(operation: &str, body: &'a [u8]) -> Result<T> {
    let text = std::str::from_utf8(body).map_err(|e| {
        Error::unexpected(format!(
            "{operation} answered with a body that is not UTF-8 text (byte {})",
            e.valid_up_to()
        ))
    })?;
    serde_json::from_str(text).map_err(|e| {
        Error::unexpected(format!(
            "{operation} answered with JSON that is not what the API documents (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// A request with `value` as its JSON body (`Content-Type: application/json`).
pub fn request<T: Serialize + ?Sized>(
    method: Method,
    url: impl Into<String>,
    value: &T,
) -> Result<Request> {
    let body = serde_json::to_vec(value)
        .map_err(|e| Error::invalid_input(format!("the request cannot be written as JSON: {e}")))?;
    let mut request = crate::request::request(method, url, Body::from(body))?;
    request.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(request)
}

/// A JSON API behind one [`HttpService`]: each answer is read whole (so a body cut short is retried
/// like any other failure of an idempotent call) and parsed into the type its operation documents.
/// Cheap to clone.
///
/// ```
/// use cloud_core::json::JsonApi;
/// use cloud_core::{HttpClient, ServiceConfig};
///
/// # fn main() -> cloud_core::Result<()> {
/// let api = JsonApi::new(HttpClient::new()?.service(ServiceConfig::new("example")));
/// assert_eq!(api.http().provider(), "example");
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct JsonApi {
    http: HttpService,
}

impl JsonApi {
    /// Requests go through `http`, whose authorizer and error parser the provider chose.
    pub fn new(http: HttpService) -> JsonApi {
        JsonApi { http }
    }

    /// The service requests go through.
    pub fn http(&self) -> &HttpService {
        &self.http
    }

    async fn body(&self, operation: Operation, request: Request) -> Result<bytes::Bytes> {
        self.http
            .send_buffered(operation, request)
            .await?
            .into_body()
            .bytes()
            .await
    }

    /// `GET url`, its answer read as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        operation: impl Into<Operation> + Send,
        url: &str,
    ) -> Result<T> {
        let operation = operation.into();
        let request = crate::request::request(Method::GET, url, Body::empty())?;
        // Cloning an operation named by a literal copies no text.
        let body = self.body(operation.clone(), request).await?;
        parse(operation.name(), &body)
    }

    /// `method url` with `value` as its JSON body, the answer read as `T`. Whether the request is
    /// repeated after it may have reached the server follows `operation` (a `POST` is not, unless
    /// marked idempotent).
    pub async fn send<T: DeserializeOwned, B: Serialize + Sync + ?Sized>(
        &self,
        operation: impl Into<Operation> + Send,
        method: Method,
        url: &str,
        value: &B,
    ) -> Result<T> {
        let operation = operation.into();
        let request = request(method, url, value)?;
        // Cloning an operation named by a literal copies no text.
        let body = self.body(operation.clone(), request).await?;
        parse(operation.name(), &body)
    }

    /// `method url`, with `value` as its JSON body if there is one, for calls whose answer carries
    /// no data (`202 Accepted`, `204 No Content`): any 2xx is success, the body is not read as JSON.
    pub async fn call<B: Serialize + Sync + ?Sized>(
        &self,
        operation: impl Into<Operation> + Send,
        method: Method,
        url: &str,
        value: Option<&B>,
    ) -> Result<()> {
        let request = match value {
            Some(value) => request(method, url, value)?,
            None => crate::request::request(method, url, Body::empty())?,
        };
        self.body(operation.into(), request).await.map(drop)
    }
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
    /// A visitor rather than an untagged enum, which would buffer each value before trying its forms.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Id, D::Error> {
        struct NumberOrString;
        impl serde::de::Visitor<'_> for NumberOrString {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }

            fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<Id, E> {
                Ok(Id(n.to_string()))
            }

            fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<Id, E> {
                Ok(Id(n.to_string()))
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> std::result::Result<Id, E> {
                Ok(Id(text.to_owned()))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> std::result::Result<Id, E> {
                Ok(Id(text))
            }
        }
        deserializer.deserialize_any(NumberOrString)
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
        assert!(parse::<Vec<Id>>("T", b"[true]").is_err());
        assert!(parse::<Vec<Id>>("T", br#"[{"id": 1}]"#).is_err());
    }

    #[test]
    fn names_read_borrowed_and_escaped_and_a_body_that_is_not_utf8_is_refused() {
        #[derive(Deserialize)]
        struct Named<'a> {
            #[serde(borrow)]
            name: std::borrow::Cow<'a, str>,
        }
        let plain: Named<'_> = parse("T", r#"{"name": "caf\u00e9/é"}"#.as_bytes()).unwrap();
        assert_eq!(plain.name, "café/é");
        let borrowed: Named<'_> = parse("T", br#"{"name": "a/b"}"#).unwrap();
        assert!(matches!(borrowed.name, std::borrow::Cow::Borrowed("a/b")));
        let err = parse::<Named<'_>>("GetThing", b"{\"name\": \"secret\xff\"}")
            .err()
            .expect("not UTF-8");
        assert_eq!(err.kind(), crate::ErrorKind::Unexpected);
        let text = err.to_string();
        assert!(
            text.contains("GetThing") && text.contains("UTF-8"),
            "{text}"
        );
        assert!(!text.contains("secret"), "{text}");
    }

    #[test]
    fn requests_carry_their_json_and_its_type() {
        let req = request(Method::POST, "http://h/v2/x", &serde_json::json!({"a": 1})).unwrap();
        assert_eq!(req.headers()["content-type"], "application/json");
        assert_eq!(req.method(), Method::POST);
    }
}
