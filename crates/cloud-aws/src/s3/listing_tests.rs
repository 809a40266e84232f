//! The element reader against the serde reader it replaced, on the shapes S3 and S3-compatible servers
//! send.

use super::*;
use crate::s3::model;

type Flat = (
    Vec<(String, Option<String>, Option<String>, u64)>,
    Vec<String>,
    bool,
    Option<String>,
);

fn flat(page: ListBucketResult) -> Flat {
    (
        page.contents
            .into_iter()
            .map(|c| (c.key, c.last_modified, c.etag, c.size))
            .collect(),
        page.common_prefixes.into_iter().map(|p| p.prefix).collect(),
        page.is_truncated,
        page.next_continuation_token,
    )
}

/// What the serde reader made of `xml`.
pub(crate) fn by_serde(xml: &str) -> Result<ListBucketResult> {
    model::parse("ListBucketResult", xml)
}

const PAGES: &[&str] = &[
    r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>photos</Name><Prefix>2026/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>2026/a&amp;b &lt;c&gt;.jpg</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><ChecksumAlgorithm>CRC32C</ChecksumAlgorithm><Size>5</Size><Owner><ID>75aa</ID><DisplayName>me</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>2026/b.jpg</Key><ETag>"9c2f-2"</ETag><Size>10485760</Size></Contents><CommonPrefixes><Prefix>2026/raw/</Prefix></CommonPrefixes><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>"#,
    "<ListBucketResult>\n  <Name>b</Name>\n  <IsTruncated>false</IsTruncated>\n  <Contents>\n    <Key>x</Key>\n    <Size>1</Size>\n  </Contents>\n</ListBucketResult>\n",
    "<ListBucketResult><Name>empty</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
    "<ListBucketResult><IsTruncated>1</IsTruncated><NextContinuationToken>t</NextContinuationToken><Contents><Key>caf&#233; &#x2603;</Key><Size>0</Size></Contents></ListBucketResult>",
    "<ListBucketResult><Contents><Key><![CDATA[a<b]]></Key></Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes><CommonPrefixes><Prefix>q/</Prefix></CommonPrefixes></ListBucketResult>",
    "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Contents><s3:Key>ns</s3:Key><s3:Size>3</s3:Size></s3:Contents></s3:ListBucketResult>",
];

#[test]
fn reads_every_page_as_the_serde_reader_does() {
    for xml in PAGES {
        let ours = flat(read_page(xml).unwrap());
        let theirs = flat(by_serde(xml).unwrap());
        assert_eq!(ours, theirs, "{xml}");
    }
    let first = flat(read_page(PAGES[0]).unwrap());
    assert_eq!(first.0[0].0, "2026/a&b <c>.jpg");
    assert_eq!(
        first.0[0].2.as_deref(),
        Some("\"5d41402abc4b2a76b9719d911017c592\"")
    );
    assert_eq!(first.0[1].3, 10_485_760);
    assert_eq!(first.1, ["2026/raw/"]);
    assert!(first.2);
    assert_eq!(flat(read_page(PAGES[3]).unwrap()).0[0].0, "café ☃");
}

#[test]
fn refuses_what_the_serde_reader_refuses() {
    for xml in [
        "<Error><Code>AccessDenied</Code></Error>",
        "",
        "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>ten</Size></Contents></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Key>again</Key></Contents></ListBucketResult>",
        "<ListBucketResult><CommonPrefixes></CommonPrefixes></ListBucketResult>",
        "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>",
        "<ListBucketResult><Contents><Key>k</Key><Size>18446744073709551616</Size></Contents></ListBucketResult>",
        // Cut short: never a shorter page.
        "<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents><Contents><Key>l</Key>",
    ] {
        let ours = read_page(xml).map(flat);
        assert!(ours.is_err(), "{xml}: {ours:?}");
        assert_eq!(ours.unwrap_err().kind(), cloud_core::ErrorKind::Unexpected);
        assert!(by_serde(xml).is_err(), "{xml}");
    }
}

#[test]
fn keeps_the_spaces_a_key_begins_or_ends_with() {
    let xml = "<ListBucketResult><Contents><Key> spaced key </Key><Size>1</Size></Contents></ListBucketResult>";
    assert_eq!(flat(read_page(xml).unwrap()).0[0].0, " spaced key ");
    assert_eq!(flat(by_serde(xml).unwrap()).0[0].0, " spaced key ");
}
