//! What Swift sends, as fuzz targets: object and container listings, bulk-delete answers, object
//! headers, error bodies.

use cloud_core::fuzzing::{error_parser, headers, Target};

use super::model::{self, BulkDelete, ContainerEntry, Entry};

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "swift: listings",
            seeds: &[
                r#"[{"hash":"5d41402abc4b2a76b9719d911017c592","last_modified":"2026-12-06T19:10:26.329910","bytes":5,"name":"2026/a.jpg","content_type":"image/jpeg"},{"subdir":"2026/raw/"}]"#,
                r#"[{"count":2,"bytes":15,"name":"photos","last_modified":"2026-12-06T19:10:26.329910"}]"#,
                "[]",
            ],
            run: |input| {
                let _ = model::parse_list::<Entry>("ListObjects", false, input);
                let _ = model::parse_list::<ContainerEntry>("ListContainers", false, input);
                let _ = serde_json::from_slice::<BulkDelete>(input);
            },
        },
        Target {
            name: "swift: bulk delete answers",
            seeds: &[
                r#"{"Number Not Found": 0, "Response Status": "200 OK", "Response Body": "", "Errors": [], "Number Deleted": 2}"#,
                r#"{"Number Not Found": 0, "Response Status": "400 Bad Request", "Errors": [["/b/k", "409 Conflict"]], "Number Deleted": 0}"#,
            ],
            run: |input| {
                let _ = serde_json::from_slice::<BulkDelete>(input);
            },
        },
        Target {
            name: "swift: object headers and errors",
            seeds: &[
                "content-length: 5\netag: 5d41402abc4b2a76b9719d911017c592\nlast-modified: Sun, 06 Dec 2026 19:10:27 GMT\nx-timestamp: 1765048226.32991\nx-object-meta-owner: me\ncontent-type: text/plain\nx-static-large-object: True",
                "<html><h1>Unauthorized</h1><p>This server could not verify that you are authorized to access the document you requested.</p></html>",
            ],
            run: |input| {
                let headers = headers(input);
                let _ = super::headers::object_meta("k", &headers, 5);
                error_parser(&super::error::SwiftErrors, input);
            },
        },
    ]
}
