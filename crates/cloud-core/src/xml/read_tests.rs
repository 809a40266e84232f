//! The plain scanner against quick-xml's reader, and which documents it leaves to it.

use super::*;

/// Documents both readers must read the same way: plain ones, and ones the scanner leaves alone.
pub(crate) const DOCUMENTS: &[&str] = &[
    r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Contents><Name>a&amp;b &lt;c&gt; &quot;d&quot; &apos;e&apos;</Name><Size>5</Size></Contents><Empty/><Spaced a = 'x>y' b="it's" /></ListBucketResult>"#,
    "<root>\n  <ab>text</ab>\n  <abc>odd</abc>\n</root>\n",
    "<r><ab>caf\u{e9} \u{2603}</ab><cd></cd></r>",
    "<r><ab><![CDATA[a<b]]></ab></r>",
    "<r><ab>&#233;&#x2603;</ab></r>",
    "<r><!-- note --><ab>x</ab></r>",
    "<r><ab>line\r\nend</ab></r>",
    "<s3:r xmlns:s3=\"x\"><s3:ab>ns</s3:ab></s3:r>",
    "<r><ab>x</ab ></r>",
    "<r><ab>x</ba></r>",
    "<r><ab>&bogus;</ab></r>",
    "<r><ab>a & b</ab></r>",
    "<r><ab>x</ab>",
    "<r><ab x>y</ab></r>",
    "<r><ab x=y>y</ab></r>",
    "<?xml version=\"1.0\"?><?pi data?><r/>",
    "  <?xml version=\"1.0\"?><r/>",
    "<r>text & more</r>",
    "</r>",
    "<r><ab/ ></r>",
];

fn scanned(xml: &str) -> Scanned {
    plain::scan(xml, &mut Recorder::default()).unwrap()
}

#[test]
fn both_readers_agree_on_the_plain_documents() {
    // The others are left to the general reader alone (see the next tests).
    for xml in &DOCUMENTS[..3] {
        assert!(plain_agrees(xml), "not scanned as plain: {xml}");
    }
}

#[test]
fn plain_documents_are_scanned_and_hand_over_their_text() {
    let mut sink = Recorder::default();
    assert_eq!(plain::scan(DOCUMENTS[0], &mut sink).unwrap(), Scanned::Read);
    assert!(
        sink.seen.contains(&"\"a&b <c> \"d\" 'e'".to_string()),
        "{:?}",
        sink.seen
    );
    assert!(sink.seen.contains(&"<Empty/>".to_string()));
    assert!(sink.seen.contains(&"<Spaced/>".to_string()));
    for xml in &DOCUMENTS[1..3] {
        assert_eq!(scanned(xml), Scanned::Read, "{xml}");
    }
    let mut sink = Recorder::default();
    plain::scan(DOCUMENTS[1], &mut sink).unwrap();
    // `<abc>` has an odd name: its text was not wanted, and not handed over.
    assert!(
        !sink.seen.iter().any(|s| s.contains("odd")),
        "{:?}",
        sink.seen
    );
    assert!(sink.seen.contains(&"\"text".to_string()));
}

#[test]
fn anything_else_goes_to_the_general_reader() {
    for xml in &DOCUMENTS[3..] {
        assert_eq!(scanned(xml), Scanned::NotPlain, "{xml}");
    }
}

#[test]
fn read_falls_back_and_names_the_document_in_errors() {
    let sink = read(
        "S3",
        "r",
        "<r><ab>&#233;<![CDATA[<]]></ab></r>",
        Recorder::default,
    )
    .unwrap();
    assert!(
        sink.seen.contains(&"\"\u{e9}<".to_string()),
        "{:?}",
        sink.seen
    );
    for bad in [
        "<r><ab>x</ba></r>",
        "<r><ab>&bogus;</ab></r>",
        "<r><ab>x</ab>",
    ] {
        let err = read("S3", "r", bad, Recorder::default).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Unexpected);
        assert!(
            err.to_string()
                .contains("S3 sent a <r> document that could not be read"),
            "{bad}: {err}"
        );
    }
    let err = read("S3", "r", "<other/>", Recorder::default).unwrap_err();
    assert!(
        err.to_string().contains("expected <r>, got <other>"),
        "{err}"
    );
}
