//! The XML documents of the Blob service: listings in, block lists out.

use serde::{Deserialize, Serialize};

/// `<EnumerationResults>` of List Containers.
#[derive(Debug, Deserialize)]
pub(crate) struct ContainerList {
    #[serde(rename = "Containers", default)]
    pub(crate) containers: ContainerItems,
    #[serde(rename = "NextMarker", default)]
    pub(crate) next_marker: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ContainerItems {
    #[serde(rename = "Container", default)]
    pub(crate) items: Vec<ContainerItem>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ContainerItem {
    #[serde(rename = "Name")]
    pub(crate) name: String,
    #[serde(rename = "Properties", default)]
    pub(crate) properties: ContainerProperties,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ContainerProperties {
    #[serde(rename = "Last-Modified", default)]
    pub(crate) last_modified: Option<String>,
}

/// `<EnumerationResults>` of List Blobs: blobs and prefixes, interleaved in name order. The listing
/// reads pages element by element ([`listing`](super::listing)); this model is what it is held to.
#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Deserialize)]
pub(crate) struct BlobList {
    #[serde(rename = "Blobs", default)]
    pub(crate) blobs: BlobItems,
    #[serde(rename = "NextMarker", default)]
    pub(crate) next_marker: Option<String>,
}

#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Default, Deserialize)]
pub(crate) struct BlobItems {
    #[serde(rename = "$value", default)]
    pub(crate) items: Vec<BlobItem>,
}

#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Deserialize)]
pub(crate) enum BlobItem {
    Blob(Blob),
    BlobPrefix(BlobPrefix),
}

#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Deserialize)]
pub(crate) struct Blob {
    #[serde(rename = "Name")]
    pub(crate) name: String,
    #[serde(rename = "Properties", default)]
    pub(crate) properties: Properties,
    #[serde(rename = "Metadata", default)]
    pub(crate) metadata: std::collections::BTreeMap<String, String>,
}

#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Deserialize)]
pub(crate) struct BlobPrefix {
    #[serde(rename = "Name")]
    pub(crate) name: String,
}

#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Default, Deserialize)]
pub(crate) struct Properties {
    #[serde(rename = "Last-Modified", default)]
    pub(crate) last_modified: Option<String>,
    #[serde(rename = "Etag", default)]
    pub(crate) etag: Option<String>,
    #[serde(rename = "Content-Length", default)]
    pub(crate) content_length: Option<u64>,
    #[serde(rename = "Content-Type", default)]
    pub(crate) content_type: Option<String>,
    #[serde(rename = "Content-MD5", default)]
    pub(crate) content_md5: Option<String>,
}

/// `<BlockList>` of Put Block List: the blocks to commit, in order.
#[derive(Debug, Serialize)]
#[serde(rename = "BlockList")]
pub(crate) struct BlockList {
    #[serde(rename = "Latest")]
    pub(crate) latest: Vec<String>,
}

/// `<Error>` of every failed request.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(rename = "Code", default)]
    pub(crate) code: Option<String>,
    #[serde(rename = "Message", default)]
    pub(crate) message: Option<String>,
}

/// Reads a Blob document whose root element must be `root`.
pub(crate) fn parse<'de, T: Deserialize<'de>>(root: &str, xml: &'de str) -> cloud_core::Result<T> {
    cloud_core::xml::parse("Azure Blob", root, xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_blobs_and_prefixes_interleaved() {
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1/devstoreaccount1" ContainerName="c">
  <Prefix/><Delimiter>/</Delimiter>
  <Blobs>
    <Blob><Name>a.txt</Name><Properties><Last-Modified>Sun, 06 Dec 2026 12:00:00 GMT</Last-Modified><Etag>0x8D</Etag><Content-Length>5</Content-Length><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5></Properties><Metadata><note>hi</note></Metadata></Blob>
    <BlobPrefix><Name>b/</Name></BlobPrefix>
    <Blob><Name>c.txt</Name><Properties><Content-Length>0</Content-Length></Properties></Blob>
  </Blobs>
  <NextMarker>2!token</NextMarker>
</EnumerationResults>"#;
        let list: BlobList = parse("EnumerationResults", xml).unwrap();
        assert_eq!(list.blobs.items.len(), 3);
        assert_eq!(list.next_marker.as_deref(), Some("2!token"));
        match &list.blobs.items[0] {
            BlobItem::Blob(b) => {
                assert_eq!(b.properties.content_length, Some(5));
                assert_eq!(b.metadata.get("note").map(String::as_str), Some("hi"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&list.blobs.items[1], BlobItem::BlobPrefix(p) if p.name == "b/"));
    }

    #[test]
    fn writes_a_block_list() {
        let xml = quick_xml::se::to_string(&BlockList {
            latest: vec!["AAA=".into(), "AAE=".into()],
        })
        .unwrap();
        assert_eq!(
            xml,
            "<BlockList><Latest>AAA=</Latest><Latest>AAE=</Latest></BlockList>"
        );
    }
}
