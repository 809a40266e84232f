//! Swift's JSON listings (`format=json`), as far as the driver reads them. A listing is a JSON array;
//! anything else is an answer not understood, never an empty page.

use std::time::SystemTime;

use cloud_core::Result;
use cloud_storage::{Checksum, ListEntry, ObjectMeta};
use serde::Deserialize;

/// One entry of a container's listing, read straight into what the listing yields: an object, or
/// (with a delimiter) a `subdir` as a prefix.
///
/// Read through [`RawEntry`]'s fields rather than as an untagged enum, which serde reads by holding
/// each entry in a buffer of its own and trying each variant on it (most of a listing's CPU).
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawEntry")]
pub(crate) struct Entry(pub(crate) ListEntry);

/// The fields either kind of entry may have.
#[derive(Deserialize)]
pub(crate) struct RawEntry {
    name: Option<String>,
    bytes: Option<u64>,
    hash: Option<String>,
    content_type: Option<String>,
    #[serde(default, deserialize_with = "cloud_core::time::optional_rfc3339")]
    last_modified: Option<SystemTime>,
    subdir: Option<String>,
}

impl TryFrom<RawEntry> for Entry {
    type Error = &'static str;

    /// An object when it has a name and a size (as the untagged enum read it), else a `subdir`. An
    /// object's `hash` is its ETag and, when it is an MD5 in hex, the checksum a read is held to.
    fn try_from(raw: RawEntry) -> Result<Entry, &'static str> {
        match (raw.name, raw.bytes, raw.subdir) {
            (Some(name), Some(bytes), _) => {
                let mut meta = ObjectMeta::new(name, bytes);
                meta.checksum = raw
                    .hash
                    .as_deref()
                    .filter(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(|h| Checksum::Md5(h.to_ascii_lowercase()));
                meta.etag = raw.hash;
                meta.content_type = raw.content_type;
                meta.last_modified = raw.last_modified;
                Ok(Entry(ListEntry::Object(meta)))
            }
            (_, _, Some(subdir)) => Ok(Entry(ListEntry::Prefix(subdir))),
            _ => Err("an entry has neither a name and a size nor a subdir"),
        }
    }
}

/// One container of the account's listing.
#[derive(Debug, Deserialize)]
pub(crate) struct ContainerEntry {
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) count: Option<u64>,
    #[serde(default)]
    pub(crate) bytes: Option<u64>,
    #[serde(default, deserialize_with = "cloud_core::time::optional_rfc3339")]
    pub(crate) last_modified: Option<SystemTime>,
}

/// The answer to a bulk or SLO delete (`Accept: application/json`).
#[derive(Debug, Deserialize)]
pub(crate) struct BulkDelete {
    #[serde(rename = "Response Status")]
    pub(crate) status: String,
    #[serde(rename = "Errors", default)]
    pub(crate) errors: Vec<Vec<String>>,
}

/// Parses a listing page of `operation`; 204 (no content) is an empty page.
pub(crate) fn parse_list<'a, T: Deserialize<'a>>(
    operation: &str,
    no_content: bool,
    body: &'a [u8],
) -> Result<Vec<T>> {
    if no_content {
        return Ok(Vec::new());
    }
    cloud_core::json::parse(operation, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_and_subdirs_and_refuses_others() {
        let page: Vec<Entry> = parse_list(
            "t",
            false,
            br#"[{"name":"a","bytes":3,"hash":"h","last_modified":"2026-12-06T19:10:26.329910"},{"subdir":"b/"}]"#,
        )
        .unwrap();
        assert_eq!(
            page.iter().map(|e| e.0.name()).collect::<Vec<_>>(),
            ["a", "b/"]
        );
        let ListEntry::Object(meta) = &page[0].0 else {
            panic!("an object first");
        };
        // UTC without a zone, as Swift writes it.
        assert_eq!(
            meta.last_modified,
            cloud_core::time::rfc3339("2026-12-06T19:10:26.329910Z")
        );
        assert_eq!(meta.etag.as_deref(), Some("h"));
        assert_eq!(meta.checksum, None, "not an MD5");
        assert_eq!(page[1].0, ListEntry::Prefix("b/".into()));
        assert!(parse_list::<Entry>("t", false, b"{}").is_err());
        assert!(
            parse_list::<Entry>("t", false, br#"[{"name":"a"}]"#).is_err(),
            "no size"
        );
        assert!(parse_list::<Entry>("t", false, b"<html>login</html>").is_err());
        assert!(
            parse_list::<Entry>("t", false, b"").is_err(),
            "a 200 says what it holds"
        );
        assert!(parse_list::<Entry>("t", true, b"").unwrap().is_empty());
    }
}
