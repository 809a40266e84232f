//! S3's XML documents, as they travel; converted to this project's types where used.

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListAllMyBucketsResult {
    #[serde(default)]
    pub(crate) buckets: Buckets,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct Buckets {
    #[serde(rename = "Bucket", default)]
    pub(crate) bucket: Vec<BucketEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct BucketEntry {
    pub(crate) name: String,
    pub(crate) creation_date: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListBucketResult {
    #[serde(default)]
    pub(crate) contents: Vec<Content>,
    #[serde(default)]
    pub(crate) common_prefixes: Vec<CommonPrefix>,
    #[serde(default)]
    pub(crate) is_truncated: bool,
    pub(crate) next_continuation_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Content {
    pub(crate) key: String,
    pub(crate) last_modified: Option<String>,
    #[serde(rename = "ETag")]
    pub(crate) etag: Option<String>,
    #[serde(default)]
    pub(crate) size: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CommonPrefix {
    pub(crate) prefix: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitiateMultipartUploadResult {
    pub(crate) upload_id: String,
}

#[derive(Debug, Serialize)]
#[serde(rename = "CompleteMultipartUpload")]
pub(crate) struct CompleteMultipartUpload {
    #[serde(rename = "Part")]
    pub(crate) parts: Vec<CompletedPart>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CompletedPart {
    pub(crate) part_number: u32,
    #[serde(rename = "ETag")]
    pub(crate) etag: String,
    /// The part's CRC-32C as sent with it: S3 refuses to complete an upload begun with
    /// `x-amz-checksum-algorithm` unless every part repeats its checksum.
    #[serde(rename = "ChecksumCRC32C", skip_serializing_if = "Option::is_none")]
    pub(crate) checksum_crc32c: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListMultipartUploadsResult {
    #[serde(rename = "Upload", default)]
    pub(crate) uploads: Vec<UploadEntry>,
    #[serde(default)]
    pub(crate) is_truncated: bool,
    pub(crate) next_key_marker: Option<String>,
    pub(crate) next_upload_id_marker: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UploadEntry {
    pub(crate) key: String,
    pub(crate) upload_id: String,
    pub(crate) initiated: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ErrorBody {
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) region: Option<String>,
}

/// Reads an S3 document whose root element must be `root`.
pub(crate) fn parse<'de, T: Deserialize<'de>>(root: &str, xml: &'de str) -> cloud_core::Result<T> {
    cloud_core::xml::parse("S3", root, xml)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_listing_with_objects_and_prefixes() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>b</Name><Prefix></Prefix><KeyCount>3</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
  <Contents><Key>a b.txt</Key><LastModified>2026-11-25T20:30:00.000Z</LastModified><ETag>"abc"</ETag><Size>5</Size></Contents>
  <Contents><Key>c&amp;d</Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>dir/</Prefix></CommonPrefixes>
  <NextContinuationToken>tok</NextContinuationToken>
</ListBucketResult>"#;
        let page: ListBucketResult = parse("ListBucketResult", xml).unwrap();
        assert_eq!(page.contents.len(), 2);
        assert_eq!(page.contents[1].key, "c&d");
        assert_eq!(page.contents[0].etag.as_deref(), Some("\"abc\""));
        assert!(
            cloud_core::time::rfc3339(page.contents[0].last_modified.as_deref().unwrap()).is_some()
        );
        assert_eq!(page.common_prefixes[0].prefix, "dir/");
        assert!(page.is_truncated);
        assert_eq!(page.next_continuation_token.as_deref(), Some("tok"));
    }

    #[test]
    fn writes_the_complete_request_in_order() {
        let body = CompleteMultipartUpload {
            parts: vec![
                CompletedPart {
                    part_number: 1,
                    etag: "\"e1\"".into(),
                    checksum_crc32c: Some("AAAAAQ==".into()),
                },
                CompletedPart {
                    part_number: 2,
                    etag: "\"e2\"".into(),
                    checksum_crc32c: Some("AAAAAg==".into()),
                },
            ],
        };
        let xml = quick_xml::se::to_string(&body).unwrap();
        assert_eq!(
            xml,
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag><ChecksumCRC32C>AAAAAQ==</ChecksumCRC32C></Part><Part><PartNumber>2</PartNumber><ETag>\"e2\"</ETag><ChecksumCRC32C>AAAAAg==</ChecksumCRC32C></Part></CompleteMultipartUpload>"
        );
    }
}
