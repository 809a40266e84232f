//! Swift's JSON listings (`format=json`), as far as the driver reads them. A listing is a JSON array;
//! anything else is an answer not understood, never an empty page.

use cloud_core::{Error, Result};
use serde::Deserialize;

/// One entry of a container's listing: an object, or (with a delimiter) a `subdir`.
///
/// Read through [`RawEntry`]'s fields rather than as an untagged enum, which serde reads by holding
/// each entry in a buffer of its own and trying each variant on it (most of a listing's CPU).
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawEntry")]
pub(crate) enum Entry {
    Object {
        name: String,
        bytes: u64,
        #[serde(default)]
        hash: Option<String>,
        #[serde(default)]
        content_type: Option<String>,
        #[serde(default)]
        last_modified: Option<String>,
    },
    Subdir {
        subdir: String,
    },
}

/// The fields either kind of entry may have.
#[derive(Deserialize)]
pub(crate) struct RawEntry {
    name: Option<String>,
    bytes: Option<u64>,
    hash: Option<String>,
    content_type: Option<String>,
    last_modified: Option<String>,
    subdir: Option<String>,
}

impl TryFrom<RawEntry> for Entry {
    type Error = &'static str;

    /// An object when it has a name and a size (as the untagged enum read it), else a `subdir`.
    fn try_from(raw: RawEntry) -> Result<Entry, &'static str> {
        match (raw.name, raw.bytes, raw.subdir) {
            (Some(name), Some(bytes), _) => Ok(Entry::Object {
                name,
                bytes,
                hash: raw.hash,
                content_type: raw.content_type,
                last_modified: raw.last_modified,
            }),
            (_, _, Some(subdir)) => Ok(Entry::Subdir { subdir }),
            _ => Err("an entry has neither a name and a size nor a subdir"),
        }
    }
}

impl Entry {
    pub(crate) fn name(&self) -> &str {
        match self {
            Entry::Object { name, .. } => name,
            Entry::Subdir { subdir } => subdir,
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
    #[serde(default)]
    pub(crate) last_modified: Option<String>,
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
pub(crate) fn parse_list<T: for<'a> Deserialize<'a>>(
    operation: &str,
    no_content: bool,
    body: &[u8],
) -> Result<Vec<T>> {
    if no_content {
        return Ok(Vec::new());
    }
    serde_json::from_slice(body).map_err(|e| {
        Error::unexpected(format!(
            "{operation} answered with something other than a JSON listing (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// A Swift timestamp (`2026-12-06T19:10:26.329910`, UTC without a zone).
pub(crate) fn timestamp(value: Option<&str>) -> Option<std::time::SystemTime> {
    cloud_core::json::timestamp(value?)
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
            page.iter().map(Entry::name).collect::<Vec<_>>(),
            ["a", "b/"]
        );
        assert!(timestamp(Some("2026-12-06T19:10:26.329910")).is_some());
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
