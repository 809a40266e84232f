//! The element reader against the serde model, on the pages Azure and Azurite send.

use super::*;

const PAGES: &[&str] = &[
    r#"<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://acct.blob.core.windows.net/" ContainerName="photos"><Prefix>2026/</Prefix><MaxResults>5000</MaxResults><Delimiter>/</Delimiter><Blobs><Blob><Name>2026/a&amp;b.jpg</Name><Properties><Creation-Time>Mon, 30 Nov 2026 10:00:00 GMT</Creation-Time><Last-Modified>Mon, 30 Nov 2026 10:00:00 GMT</Last-Modified><Etag>0x8DB1234567890AB</Etag><Content-Length>5</Content-Length><Content-Type>image/jpeg</Content-Type><Content-MD5>XUFAKrxLKna5cZ2REBfFkg==</Content-MD5><BlobType>BlockBlob</BlobType><LeaseStatus>unlocked</LeaseStatus></Properties><Metadata><owner>me</owner><note>a &lt; b</note></Metadata><OrMetadata /></Blob><BlobPrefix><Name>2026/raw/</Name></BlobPrefix><Blob><Name>2026/c.txt</Name><Properties><Content-Length>0</Content-Length><Content-MD5 /></Properties><Metadata /></Blob></Blobs><NextMarker>2!96!MDAwMDM1</NextMarker></EnumerationResults>"#,
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<EnumerationResults ServiceEndpoint=\"http://127.0.0.1/devstoreaccount1\" ContainerName=\"c\">\n  <Prefix/><Delimiter>/</Delimiter>\n  <Blobs>\n    <Blob><Name>a.txt</Name><Properties><Last-Modified>Sun, 06 Dec 2026 12:00:00 GMT</Last-Modified><Etag>0x8D</Etag><Content-Length>5</Content-Length></Properties><Metadata><note>hi</note></Metadata></Blob>\n    <BlobPrefix><Name>b/</Name></BlobPrefix>\n  </Blobs>\n  <NextMarker/>\n</EnumerationResults>",
    "<EnumerationResults><Blobs/><NextMarker></NextMarker></EnumerationResults>",
    "<EnumerationResults><Blobs><Blob><Name><![CDATA[x<y]]> &#233;</Name></Blob></Blobs></EnumerationResults>",
    // Stray text among the metadata is no metadata entry.
    "<EnumerationResults><Blobs><Blob><Name>a</Name><Metadata> x <owner>me</owner></Metadata></Blob></Blobs></EnumerationResults>",
];

#[test]
fn reads_every_page_as_the_serde_model_does() {
    for xml in PAGES {
        let ours = read_page(xml).unwrap();
        let theirs = by_serde(xml).unwrap();
        assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "{xml}");
    }
    let first = read_page(PAGES[0]).unwrap();
    assert_eq!(first.entries.len(), 3);
    assert_eq!(first.next_marker.as_deref(), Some("2!96!MDAwMDM1"));
    let ListEntry::Object(meta) = &first.entries[0] else {
        panic!("{:?}", first.entries[0]);
    };
    assert_eq!(meta.key, "2026/a&b.jpg");
    assert_eq!(meta.size, 5);
    assert_eq!(meta.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(meta.metadata.get("note").map(String::as_str), Some("a < b"));
    assert!(meta.checksum.is_some() && meta.last_modified.is_some());
    assert!(matches!(&first.entries[2], ListEntry::Prefix(p) if p == "2026/raw/"));
    assert_eq!(read_page(PAGES[1]).unwrap().next_marker, None);
    let ListEntry::Object(odd) = &read_page(PAGES[3]).unwrap().entries[0] else {
        panic!()
    };
    assert_eq!(odd.key, "x<y \u{e9}");
}

#[test]
fn refuses_what_it_cannot_read() {
    for xml in [
        "<Error><Code>AuthenticationFailed</Code></Error>",
        "",
        "<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></EnumerationResults>",
        "<EnumerationResults><Blobs><Blob><Name>a</Name><Name>b</Name></Blob></Blobs></EnumerationResults>",
        "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>ten</Content-Length></Properties></Blob></Blobs></EnumerationResults>",
        // Cut short: never a shorter page.
        "<EnumerationResults><Blobs><Blob><Name>a</Name></Blob><Blob><Name>b</Name>",
    ] {
        let err = read_page(xml).unwrap_err();
        assert_eq!(err.kind(), cloud_core::ErrorKind::Unexpected, "{xml}");
        assert!(by_serde(xml).is_err(), "{xml}");
    }
}
