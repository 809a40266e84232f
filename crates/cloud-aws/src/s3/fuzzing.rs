//! S3's answers as fuzz targets: listings, multipart answers, error bodies, object headers.

use cloud_core::fuzzing::{error_parser, headers, text, Target};

use super::model::{
    self, InitiateMultipartUploadResult, ListAllMyBucketsResult, ListBucketResult,
    ListMultipartUploadsResult,
};

const LIST_OBJECTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>photos</Name><Prefix>2026/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>2026/a&amp;b.jpg</Key><LastModified>2026-11-30T10:00:00.000Z</LastModified><ETag>&quot;5d41402abc4b2a76b9719d911017c592&quot;</ETag><ChecksumAlgorithm>CRC32C</ChecksumAlgorithm><Size>5</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>2026/b.jpg</Key><LastModified>2026-11-30T10:00:01.000Z</LastModified><ETag>"9c2f-2"</ETag><Size>10485760</Size></Contents><CommonPrefixes><Prefix>2026/raw/</Prefix></CommonPrefixes><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>"#;

const LIST_BUCKETS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID><DisplayName>owner</DisplayName></Owner><Buckets><Bucket><Name>photos</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket><Bucket><Name>logs</Name><CreationDate>2025-06-15T12:30:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"#;

const LIST_UPLOADS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><NextKeyMarker>big.bin</NextKeyMarker><NextUploadIdMarker>VXBsb2FkIElE</NextUploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>true</IsTruncated><Upload><Key>big.bin</Key><UploadId>VXBsb2FkIElE</UploadId><Initiated>2026-11-30T10:00:00.000Z</Initiated><ChecksumAlgorithm>CRC32C</ChecksumAlgorithm></Upload></ListMultipartUploadsResult>"#;

const INITIATE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>big.bin</Key><UploadId>VXBsb2FkIElE</UploadId></InitiateMultipartUploadResult>"#;

const ERRORS: &[&str] = &[
    r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>eftixk72aD6Ap5</HostId></Error>"#,
    r#"<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message><Endpoint>b.s3.eu-west-1.amazonaws.com</Endpoint><Bucket>b</Bucket><Region>eu-west-1</Region></Error>"#,
    r#"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"#,
    "<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>",
    "x-amz-bucket-region: us-west-2\nx-amz-request-id: 4442587FB7D0A2F9\n",
];

const HEADERS: &str = "content-length: 5\netag: \"5d41402abc4b2a76b9719d911017c592\"\nlast-modified: Wed, 21 Oct 2015 07:28:00 GMT\ncontent-type: text/plain\nx-amz-checksum-crc32c: mnG7TA==\nx-amz-meta-owner: me\nx-amz-version-id: 3HL4kqtJlcpXroDTDmJ";

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "s3: ListObjectsV2 pages",
            seeds: &[LIST_OBJECTS],
            run: |input| {
                // The element reader, held to what the serde reader makes of the same bytes.
                let text = text(input);
                let ours = super::listing::read_page(&text);
                let theirs = model::parse::<ListBucketResult>("ListBucketResult", &text);
                if let (Ok(ours), Ok(theirs)) = (&ours, &theirs) {
                    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
                }
                if let Ok(page) = ours {
                    let _ = super::storage::merge_page(page);
                }
            },
        },
        Target {
            name: "s3: ListBuckets",
            seeds: &[LIST_BUCKETS],
            run: |input| {
                if let Ok(listed) =
                    model::parse::<ListAllMyBucketsResult>("ListAllMyBucketsResult", &text(input))
                {
                    for bucket in listed.buckets.bucket {
                        let _ = bucket
                            .creation_date
                            .as_deref()
                            .and_then(cloud_core::time::rfc3339);
                    }
                }
            },
        },
        Target {
            name: "s3: ListMultipartUploads",
            seeds: &[LIST_UPLOADS],
            run: |input| {
                if let Ok(page) = model::parse::<ListMultipartUploadsResult>(
                    "ListMultipartUploadsResult",
                    &text(input),
                ) {
                    for upload in page.uploads {
                        let _ = upload
                            .initiated
                            .as_deref()
                            .and_then(cloud_core::time::rfc3339);
                    }
                }
            },
        },
        Target {
            name: "s3: CreateMultipartUpload",
            seeds: &[INITIATE],
            run: |input| {
                let _ = model::parse::<InitiateMultipartUploadResult>(
                    "InitiateMultipartUploadResult",
                    &text(input),
                );
            },
        },
        Target {
            name: "s3: error bodies",
            seeds: ERRORS,
            run: |input| error_parser(&super::error::S3Errors, input),
        },
        Target {
            name: "s3: object headers",
            seeds: &[HEADERS],
            run: |input| {
                let headers = headers(input);
                let _ = super::headers::object_meta("k", &headers, 5);
                let _ = super::headers::crc32c_header(&headers);
            },
        },
    ]
}
