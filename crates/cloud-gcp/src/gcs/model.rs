//! The JSON API's resources, as far as the driver reads them. 64-bit numbers arrive as strings
//! (`"size": "11"`); both forms are read, and anything else is an error, never a zero.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use cloud_core::{Error, Result};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// A number sent as a JSON string or number. Read by a visitor rather than an untagged enum, which
/// would buffer each value (a string allocated) before trying its forms: two per object of a listing.
fn number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    struct Number;
    impl<'de> Visitor<'de> for Number {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer, as a number or a string")
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(n))
        }

        fn visit_str<E: de::Error>(self, text: &str) -> std::result::Result<Self::Value, E> {
            text.parse()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(text), &self))
        }

        fn visit_none<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: Deserializer<'de>>(
            self,
            d: D2,
        ) -> std::result::Result<Self::Value, D2::Error> {
            d.deserialize_any(Number)
        }
    }
    d.deserialize_option(Number)
}

/// An object's metadata (`storage#object`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Object {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "number")]
    pub(crate) generation: Option<u64>,
    #[serde(default, deserialize_with = "number")]
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) content_type: Option<String>,
    #[serde(default)]
    pub(crate) content_encoding: Option<String>,
    #[serde(default)]
    pub(crate) cache_control: Option<String>,
    #[serde(default)]
    pub(crate) content_disposition: Option<String>,
    #[serde(default)]
    pub(crate) md5_hash: Option<String>,
    #[serde(default)]
    pub(crate) crc32c: Option<String>,
    #[serde(default)]
    pub(crate) etag: Option<String>,
    #[serde(default, deserialize_with = "cloud_core::time::optional_rfc3339")]
    pub(crate) updated: Option<SystemTime>,
    #[serde(default)]
    pub(crate) storage_class: Option<String>,
    #[serde(default)]
    pub(crate) metadata: Option<BTreeMap<String, String>>,
}

/// A page of a bucket's listing (`storage#objects`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ObjectList {
    /// `storage#objects`: an empty listing omits `items`, so the kind is what shows it is one.
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) items: Vec<Object>,
    #[serde(default)]
    pub(crate) prefixes: Vec<String>,
    #[serde(default)]
    pub(crate) next_page_token: Option<String>,
}

/// A bucket (`storage#bucket`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bucket {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "cloud_core::time::optional_rfc3339")]
    pub(crate) time_created: Option<SystemTime>,
    #[serde(default)]
    pub(crate) location: Option<String>,
    #[serde(default)]
    pub(crate) storage_class: Option<String>,
}

/// A page of buckets (`storage#buckets`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BucketList {
    /// `storage#buckets`.
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) items: Vec<Bucket>,
    #[serde(default)]
    pub(crate) next_page_token: Option<String>,
}

/// One step of a rewrite: done with the object, or a token to continue with.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rewrite {
    #[serde(default)]
    pub(crate) done: bool,
    #[serde(default)]
    pub(crate) rewrite_token: Option<String>,
    #[serde(default)]
    pub(crate) resource: Option<Object>,
}

/// `{"error": {"code": 404, "message": "…", "errors": [{"reason": "notFound", …}]}}`.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    pub(crate) error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorDetail {
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default)]
    pub(crate) errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorItem {
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

/// A listing of `kind`, parsed; anything else (`{}`, another resource) is not taken for an empty page.
pub(crate) fn parse_list<'a, T: Deserialize<'a> + Listing>(
    operation: &str,
    body: &'a [u8],
) -> Result<T> {
    let list: T = parse(operation, body)?;
    if list.kind() != T::KIND {
        return Err(Error::unexpected(format!(
            "{operation} answered with a {:?}, not a {}",
            list.kind(),
            T::KIND
        )));
    }
    Ok(list)
}

/// A page of a listing, which says what it is.
pub(crate) trait Listing {
    const KIND: &'static str;
    fn kind(&self) -> &str;
}

impl Listing for ObjectList {
    const KIND: &'static str = "storage#objects";
    fn kind(&self) -> &str {
        &self.kind
    }
}

impl Listing for BucketList {
    const KIND: &'static str = "storage#buckets";
    fn kind(&self) -> &str {
        &self.kind
    }
}

/// Parses a JSON answer of `operation`; an answer that is not the resource expected is
/// [`Unexpected`](cloud_core::ErrorKind::Unexpected), naming the operation but quoting nothing.
pub(crate) fn parse<'a, T: Deserialize<'a>>(operation: &str, body: &'a [u8]) -> Result<T> {
    cloud_core::json::parse(operation, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_as_strings_or_numbers_and_refuses_others() {
        let o: Object = parse("t", br#"{"name":"a","size":"11","generation":7}"#).unwrap();
        assert_eq!((o.size, o.generation), (Some(11), Some(7)));
        let o: Object = parse("t", br#"{"name":"a","size":null}"#).unwrap();
        assert_eq!((o.size, o.generation), (None, None));
        for wrong in [
            r#""eleven""#,
            "-1",
            "1.5",
            r#""-1""#,
            "true",
            "[1]",
            r#""""#,
        ] {
            let text = format!(r#"{{"name":"a","size":{wrong}}}"#);
            assert!(parse::<Object>("t", text.as_bytes()).is_err(), "{wrong}");
        }
        assert!(parse::<Object>("t", br#"{"size":"1"}"#).is_err(), "no name");
        let page: ObjectList = parse_list("t", br#"{"kind":"storage#objects"}"#).unwrap();
        assert!(page.items.is_empty() && page.next_page_token.is_none());
        assert!(parse_list::<ObjectList>("t", b"{}").is_err());
        assert!(parse_list::<ObjectList>("t", br#"{"kind":"storage#buckets"}"#).is_err());
    }
}
