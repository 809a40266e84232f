//! Reading XML answers: a document is read only if its root element is the one the request calls for.
//!
//! `serde` deserializers ignore the root's name, so a body such as `<Maintenance/>` or an error
//! document would otherwise read as a result with every field absent: an empty listing reported as
//! success. [`parse`] refuses it instead, naming what was expected and what came.
//!
//! Large answers read often (listing pages) go through [`read`] instead, into a [`Sink`] that keeps
//! only what it needs.
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! struct ListBucketResult {
//!     #[serde(rename = "Name")]
//!     name: String,
//! }
//!
//! let ok: ListBucketResult =
//!     cloud_core::xml::parse("S3", "ListBucketResult", "<ListBucketResult><Name>b</Name></ListBucketResult>").unwrap();
//! assert_eq!(ok.name, "b");
//! let err = cloud_core::xml::parse::<ListBucketResult>("S3", "ListBucketResult", "<Oops><Name>b</Name></Oops>")
//!     .unwrap_err();
//! assert!(err.to_string().contains("expected <ListBucketResult>, got <Oops>"), "{err}");
//! ```

mod plain;
pub(crate) mod read;

pub use read::{read, Sink, Text};

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The local name (without a namespace prefix) of the document's root element, if it has one.
pub fn root_name(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(start) | Event::Empty(start) => {
                let name = start.local_name();
                return Some(String::from_utf8_lossy(name.as_ref()).into_owned());
            }
            Event::Eof => return None,
            // The declaration, comments, processing instructions, a doctype, whitespace.
            _ => {}
        }
    }
}

/// Checks that the document's root element is `root`.
pub fn expect_root(service: &str, root: &str, xml: &str) -> Result<()> {
    match root_name(xml) {
        Some(found) if found == root => Ok(()),
        Some(found) => Err(Error::unexpected(format!(
            "{service} answered with a document we do not understand: expected <{root}>, got <{found}>"
        ))),
        None => Err(Error::unexpected(format!(
            "{service} answered with no XML document where <{root}> was expected"
        ))),
    }
}

/// Reads a document whose root element must be `root` into `T`.
pub fn parse<'de, T: Deserialize<'de>>(service: &str, root: &str, xml: &'de str) -> Result<T> {
    expect_root(service, root, xml)?;
    quick_xml::de::from_str(xml).map_err(|e| {
        Error::unexpected(format!(
            "{service} sent a <{root}> document that could not be read"
        ))
        .with_source(e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_root_past_declaration_comments_and_namespaces() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- hi --><s3:ListBucketResult xmlns:s3=\"x\"><a/></s3:ListBucketResult>";
        assert_eq!(root_name(xml).as_deref(), Some("ListBucketResult"));
        assert_eq!(root_name("<Empty/>").as_deref(), Some("Empty"));
        assert_eq!(root_name("not xml"), None);
        assert_eq!(root_name(""), None);
    }

    #[test]
    fn refuses_another_root_and_an_empty_body() {
        for body in [
            "<Error><Code>X</Code></Error>",
            "",
            "<html><body>down</body></html>",
        ] {
            let err = expect_root("S3", "ListBucketResult", body).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Unexpected, "{body}");
        }
    }
}
