//! What Azure Blob sends, as fuzz targets: container and blob listings, error bodies, blob headers.

use cloud_core::fuzzing::{error_parser, headers, text, Target};

use super::model::{self, ContainerList};

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "azure: blob listings",
            seeds: &[
                r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acct.blob.core.windows.net/" ContainerName="photos"><Prefix>2026/</Prefix><MaxResults>5000</MaxResults><Delimiter>/</Delimiter><Blobs><Blob><Name>2026/a.jpg</Name><Properties><Creation-Time>Mon, 30 Nov 2026 10:00:00 GMT</Creation-Time><Last-Modified>Mon, 30 Nov 2026 10:00:00 GMT</Last-Modified><Etag>0x8DB1234567890AB</Etag><Content-Length>5</Content-Length><Content-Type>image/jpeg</Content-Type><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5><BlobType>BlockBlob</BlobType></Properties><Metadata><owner>me</owner></Metadata></Blob><BlobPrefix><Name>2026/raw/</Name></BlobPrefix></Blobs><NextMarker>2!96!MDAwMDM1</NextMarker></EnumerationResults>"#,
            ],
            run: |input| {
                // The element reader, held to what the serde model makes of the same bytes.
                let text = text(input);
                let ours = super::listing::read_page(&text);
                let theirs = super::listing::by_serde(&text);
                if let (Ok(ours), Ok(theirs)) = (&ours, &theirs) {
                    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"));
                }
            },
        },
        Target {
            name: "azure: container listings",
            seeds: &[
                r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acct.blob.core.windows.net/"><MaxResults>5000</MaxResults><Containers><Container><Name>photos</Name><Properties><Last-Modified>Mon, 30 Nov 2026 10:00:00 GMT</Last-Modified><Etag>"0x8DB"</Etag><LeaseStatus>unlocked</LeaseStatus></Properties></Container></Containers><NextMarker/></EnumerationResults>"#,
            ],
            run: |input| {
                let _ = model::parse::<ContainerList>("EnumerationResults", &text(input));
            },
        },
        Target {
            name: "azure: error bodies",
            seeds: &[
                r#"<?xml version="1.0" encoding="utf-8"?><Error><Code>ContainerNotFound</Code><Message>The specified container does not exist.
RequestId:6f3a0f5e-701e-0021-7b5a-example
Time:2026-12-07T10:00:00.0000000Z</Message></Error>"#,
                "x-ms-error-code: ServerBusy\nx-ms-request-id: r-1\nretry-after: 2\n",
                r#"<Error><Code>AuthenticationFailed</Code><Message>Server failed to authenticate the request.</Message><AuthenticationErrorDetail>The MAC signature found in the HTTP request 'abc=' is not the same as any computed signature.</AuthenticationErrorDetail></Error>"#,
            ],
            run: |input| error_parser(&super::error::BlobErrors, input),
        },
        Target {
            name: "azure: blob headers",
            seeds: &[
                "content-length: 5\netag: \"0x8DB\"\nlast-modified: Mon, 30 Nov 2026 10:00:00 GMT\ncontent-md5: XUFAKrxLKna5cZ2REBfFkg==\nx-ms-meta-owner: me\nx-ms-blob-content-md5: XUFAKrxLKna5cZ2REBfFkg==",
            ],
            run: |input| {
                let headers = headers(input);
                let _ = super::headers::object_meta("k", &headers, 5, true);
                let _ = super::headers::object_meta("k", &headers, 5, false);
            },
        },
    ]
}
