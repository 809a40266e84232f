//! S3 behaviours that need moto's fuller emulation of AWS.

use cloud_aws::{Credentials, S3Builder};
use cloud_core::{HttpClient, ProxyConfig};
use cloud_storage::{StorageDriver, StorageExt};
use cloud_tests::servers::moto;
use futures_util::TryStreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_and_uses_buckets_outside_us_east_1() {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .unwrap();
    let s3 = S3Builder::new()
        .endpoint(moto::endpoint())
        .region("eu-west-1")
        .credentials(Credentials::new(moto::ACCESS_KEY, moto::SECRET_KEY))
        .http_client(client)
        .build()
        .unwrap();
    let bucket = format!("eu-bucket-{}", std::process::id());
    s3.create_container(&bucket).await.unwrap();
    s3.put_bytes(&bucket, "k", "in Ireland").await.unwrap();
    assert_eq!(s3.get_bytes(&bucket, "k").await.unwrap(), "in Ireland");
    let names: Vec<String> = s3
        .list_containers()
        .map_ok(|c| c.name)
        .try_collect()
        .await
        .unwrap();
    assert!(names.contains(&bucket), "{names:?}");
}
