//! The fault scenario suite (`cloud_tests::conformance::faults`) for every storage provider over HTTP,
//! each through the fault proxy in front of its real server: S3 on moto (which lists pending uploads),
//! Azure Blob on Azurite, GCS on gcp-storage-emulator, Swift on a Swift cluster.

use std::sync::Arc;

use cloud_storage::multipart::MultipartConfig;
use cloud_tests::conformance::faults::{matcher, FaultFixture, Requests};

fn path(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

mod s3 {
    use super::*;
    use cloud_aws::{Credentials, S3Builder};
    use cloud_tests::servers::moto;
    use http::Method;

    async fn fixture() -> FaultFixture {
        let requests = Requests {
            // Path style: /bucket/key, with no sub-resource.
            object_read: matcher(|m, t| {
                m == Method::GET && path(t).matches('/').count() >= 2 && !t.contains("uploads")
            }),
            listing: matcher(|m, t| m == Method::GET && t.contains("list-type=2")),
            upload: matcher(|m, t| m == Method::PUT && path(t).matches('/').count() >= 2),
            parts_container: None,
        };
        FaultFixture::new(
            &moto::endpoint(),
            requests,
            11 << 20,
            |endpoint, client| {
                Arc::new(
                    S3Builder::new()
                        .endpoint(endpoint)
                        .credentials(Credentials::new(moto::ACCESS_KEY, moto::SECRET_KEY))
                        .path_style(true)
                        .http_client(client)
                        .multipart(
                            5 << 20,
                            MultipartConfig::new().part_size(5 << 20).concurrency(2),
                        )
                        .build()
                        .expect("S3 driver"),
                )
            },
            (),
        )
        .await
    }

    cloud_tests::storage_faults!(fixture);
}

mod azure {
    use super::*;
    use cloud_azure::AzureBlobBuilder;
    use cloud_tests::servers::azurite;
    use http::Method;

    async fn fixture() -> FaultFixture {
        let requests = Requests {
            // /account/container/blob, with no `comp`.
            object_read: matcher(|m, t| {
                m == Method::GET && path(t).matches('/').count() >= 3 && !t.contains("comp=")
            }),
            listing: matcher(|m, t| m == Method::GET && t.contains("comp=list")),
            upload: matcher(|m, t| {
                m == Method::PUT
                    && path(t).matches('/').count() >= 3
                    && !t.contains("comp=blocklist")
            }),
            parts_container: None,
        };
        FaultFixture::new(
            &azurite::host(),
            requests,
            3 << 20,
            |endpoint, client| {
                Arc::new(
                    AzureBlobBuilder::azurite(endpoint)
                        .http_client(client)
                        .multipart(
                            1 << 20,
                            MultipartConfig::new().part_size(1 << 20).concurrency(2),
                        )
                        .build()
                        .expect("Azure Blob driver"),
                )
            },
            (),
        )
        .await
    }

    cloud_tests::storage_faults!(fixture);
}

mod gcs {
    use super::*;
    use cloud_gcp::GcsBuilder;
    use http::Method;

    async fn fixture() -> FaultFixture {
        let requests = Requests {
            object_read: matcher(|m, t| m == Method::GET && t.contains("alt=media")),
            listing: matcher(|m, t| m == Method::GET && path(t).ends_with("/o")),
            upload: matcher(|m, t| {
                (m == Method::POST || m == Method::PUT) && t.contains("/upload/")
            }),
            parts_container: None,
        };
        FaultFixture::new(
            &cloud_tests::servers::gcs::host(),
            requests,
            1 << 20,
            |endpoint, client| {
                Arc::new(
                    GcsBuilder::emulator(endpoint)
                        .http_client(client)
                        .uploads(512 << 10, 256 << 10)
                        .build()
                        .expect("GCS driver"),
                )
            },
            (),
        )
        .await
    }

    cloud_tests::storage_faults!(fixture);
}

mod swift {
    use super::*;
    use cloud_openstack::{Credentials, SwiftBuilder};
    use cloud_tests::servers::swift;
    use http::Method;

    async fn fixture() -> FaultFixture {
        let requests = Requests {
            // /v1/AUTH_test/container/object, not a listing.
            object_read: matcher(|m, t| {
                m == Method::GET && path(t).matches('/').count() >= 4 && !t.contains("format=")
            }),
            listing: matcher(|m, t| m == Method::GET && t.contains("format=json")),
            upload: matcher(|m, t| {
                m == Method::PUT
                    && path(t).matches('/').count() >= 4
                    && !t.contains("multipart-manifest")
            }),
            parts_container: Some(|container| format!("{container}_segments")),
        };
        FaultFixture::new(
            &swift::host(),
            requests,
            3 << 20,
            |endpoint, client| {
                Arc::new(
                    SwiftBuilder::new()
                        .credentials(Credentials::tempauth(
                            swift::auth_url(),
                            "test:tester",
                            "testing",
                        ))
                        .storage_url(format!("{endpoint}/v1/AUTH_test"))
                        .http_client(client)
                        .multipart(
                            1 << 20,
                            MultipartConfig::new()
                                .part_size(1 << 20)
                                .concurrency(2)
                                .max_parts(1000),
                        )
                        .build()
                        .expect("Swift driver"),
                )
            },
            (),
        )
        .await
    }

    cloud_tests::storage_faults!(fixture);
}
