//! This project's drivers, with default settings as a user gets them (the emulator's endpoint aside).

use std::sync::Arc;

use bytes::Bytes;
use cloud_azure::AzureBlobBuilder;
use cloud_core::{HttpClient, ProxyConfig};
use cloud_gcp::GcsBuilder;
use cloud_openstack::{Credentials, SwiftBuilder};
use cloud_storage::{ListOptions, StorageExt};
use cloud_tests::servers::{azurite, gcs, swift};
use futures_util::StreamExt;

use super::{Driver, CONTAINER, IN_FLIGHT, LIST_KEYS, SMALL};
use cloud_tests::usage::drive;

pub(crate) fn driver(provider: &str) -> Driver {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client");
    match provider {
        "azure" => Arc::new(
            AzureBlobBuilder::azurite(&azurite::host())
                .http_client(client)
                .build()
                .expect("Azure driver"),
        ),
        "gcs" => Arc::new(
            GcsBuilder::emulator(&gcs::host())
                .http_client(client)
                .build()
                .expect("GCS driver"),
        ),
        "swift" => Arc::new(
            SwiftBuilder::new()
                .credentials(Credentials::tempauth(
                    swift::auth_url(),
                    "test:tester",
                    "testing",
                ))
                .http_client(client)
                .build()
                .expect("Swift driver"),
        ),
        other => panic!("unknown provider {other}"),
    }
}

pub(crate) async fn run(driver: &Driver, workload: &str, ops: usize) -> usize {
    // One request first, as raw's setup makes: Swift's token is fetched and a connection opened.
    let _ = driver.get_container(CONTAINER).await;
    let small = Bytes::from(vec![1u8; SMALL]);
    match workload {
        "put-1k" => {
            drive(ops, IN_FLIGHT, |i| {
                let (driver, small) = (driver.clone(), small.clone());
                async move {
                    driver
                        .put_bytes(CONTAINER, &format!("k{i}"), small)
                        .await
                        .is_ok()
                }
            })
            .await
        }
        "get-1k" => {
            drive(ops, IN_FLIGHT, |i| {
                let driver = driver.clone();
                async move {
                    driver
                        .get_bytes(CONTAINER, &format!("k{i}"))
                        .await
                        .is_ok_and(|b| b.len() == SMALL)
                }
            })
            .await
        }
        "head" => {
            drive(ops, IN_FLIGHT, |i| {
                let driver = driver.clone();
                async move {
                    driver
                        .head_object(CONTAINER, &format!("k{i}"))
                        .await
                        .is_ok()
                }
            })
            .await
        }
        "list" => {
            drive(ops, IN_FLIGHT, |_| {
                let driver = driver.clone();
                async move {
                    let listed = driver
                        .list_objects(CONTAINER, &ListOptions::new().prefix("list/"))
                        .filter(|e| std::future::ready(e.is_ok()))
                        .count()
                        .await;
                    listed == LIST_KEYS
                }
            })
            .await
        }
        other => panic!("unknown workload {other}"),
    }
}
