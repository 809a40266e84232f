//! What GCS sends, as fuzz targets: object and bucket listings, object resources, rewrite steps,
//! error bodies, media headers.

use cloud_core::fuzzing::{error_parser, headers, Target};

use super::model::{self, BucketList, Object, ObjectList, Rewrite};

const OBJECT: &str = r#"{"kind":"storage#object","id":"b/2026/a.jpg/1701","name":"2026/a.jpg","bucket":"b","generation":"1701","metageneration":"1","contentType":"image/jpeg","timeCreated":"2026-11-30T10:00:00.000Z","updated":"2026-11-30T10:00:00.000Z","size":"5","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","crc32c":"mnG7TA==","etag":"CKih16GjycICEAE=","metadata":{"owner":"me"}}"#;

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "gcs: object listings",
            seeds: &[
                r#"{"kind":"storage#objects","nextPageToken":"CgphLmpwZw==","prefixes":["2026/raw/"],"items":[{"kind":"storage#object","name":"2026/a.jpg","bucket":"b","generation":"1701","size":"5","md5Hash":"XUFAKrxLKna5cZ2REBfFkg==","crc32c":"mnG7TA==","etag":"CKih16GjycICEAE=","updated":"2026-11-30T10:00:00.000Z"}]}"#,
                r#"{"kind":"storage#objects"}"#,
            ],
            run: |input| {
                if let Ok(page) = model::parse_list::<ObjectList>("ListObjects", input) {
                    for object in page.items {
                        let _ = super::headers::object_meta(object);
                    }
                }
            },
        },
        Target {
            name: "gcs: objects, buckets and rewrites",
            seeds: &[
                OBJECT,
                r#"{"kind":"storage#buckets","items":[{"kind":"storage#bucket","name":"b","timeCreated":"2026-01-01T00:00:00.000Z","location":"EU","storageClass":"STANDARD"}]}"#,
                r#"{"kind":"storage#rewriteResponse","totalBytesRewritten":"1048576","objectSize":"10000000000","done":false,"rewriteToken":"TOKEN"}"#,
            ],
            run: |input| {
                if let Ok(object) = model::parse::<Object>("GetObject", input) {
                    let _ = super::headers::object_meta(object);
                }
                let _ = model::parse_list::<BucketList>("ListBuckets", input);
                if let Ok(step) = model::parse::<Rewrite>("CopyObject", input) {
                    if let Some(object) = step.resource {
                        let _ = super::headers::object_meta(object);
                    }
                }
            },
        },
        Target {
            name: "gcs: error bodies",
            seeds: &[
                r#"{"error":{"code":404,"message":"No such object: b/k","errors":[{"message":"No such object: b/k","domain":"global","reason":"notFound"}]}}"#,
                r#"{"error":{"code":429,"message":"The rate of change requests to the object b/k exceeds the rate limit.","errors":[{"reason":"rateLimitExceeded"}]}}"#,
                r#"{"error":{"code":412,"message":"At least one of the pre-conditions you specified did not hold.","errors":[{"reason":"conditionNotMet","locationType":"header","location":"If-Match"}]}}"#,
            ],
            run: |input| error_parser(&super::error::GcsErrors, input),
        },
        Target {
            name: "gcs: media headers",
            seeds: &[
                "content-length: 5\netag: CKih16GjycICEAE=\nx-goog-hash: crc32c=mnG7TA==,md5=XUFAKrxLKna5cZ2REBfFkg==\nx-goog-generation: 1701\nx-goog-meta-owner: me\nlast-modified: Mon, 30 Nov 2026 10:00:00 GMT\nx-goog-stored-content-length: 5",
            ],
            run: |input| {
                let headers = headers(input);
                let _ = super::headers::media_meta("k", &headers, 5);
                let _ = super::headers::goog_hashes(&headers);
            },
        },
    ]
}
