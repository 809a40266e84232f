//! This project's S3 driver, with default settings, as a user gets it.

use super::*;
use cloud_storage::GetOptions;

pub(super) async fn run(workload: &str, endpoint: &str, ops: usize) -> usize {
    let s3 = s3_client(endpoint, "AKIABENCH", "bench-secret");
    let small = Bytes::from(vec![1u8; SMALL]);
    match workload {
        "put-1k" => {
            drive(ops, IN_FLIGHT, |i| {
                let (s3, small) = (s3.clone(), small.clone());
                async move { s3.put_bytes("bench", &format!("k{i}"), small).await.is_ok() }
            })
            .await
        }
        "get-1k" | "get-10k-concurrent" => {
            drive(ops, concurrency(workload), |i| {
                let s3 = s3.clone();
                async move { s3.get_bytes("bench", &format!("k{i}")).await.is_ok() }
            })
            .await
        }
        "head" => {
            drive(ops, IN_FLIGHT, |i| {
                let s3 = s3.clone();
                async move { s3.head_object("bench", &format!("k{i}")).await.is_ok() }
            })
            .await
        }
        "list" => {
            drive(ops, IN_FLIGHT, |_| {
                let s3 = s3.clone();
                async move {
                    let listed = s3.list_objects("bench", &ListOptions::new()).count().await;
                    listed == LIST_KEYS
                }
            })
            .await
        }
        "put-1g" => {
            let payload = Payload::from_stream(big_chunks(), Some(BIG));
            usize::from(
                s3.put_object("bench", "big", payload, &PutOptions::new())
                    .await
                    .is_err(),
            )
        }
        "get-1g" => get_big(&s3, &GetOptions::new()).await,
        other => panic!("unknown workload {other}"),
    }
}

/// The 1 GiB GET without the checksum check, as raw hyper reads it.
pub(super) async fn get_unchecked(endpoint: &str) -> usize {
    let s3 = s3_client(endpoint, "AKIABENCH", "bench-secret");
    get_big(&s3, &GetOptions::new().skip_checksum(true)).await
}

/// Reads the 1 GiB object with `options`: 1 error unless every byte came and the read ended well.
async fn get_big(s3: &cloud_aws::S3, options: &GetOptions) -> usize {
    let Ok(result) = s3.get_object("bench", "big", options).await else {
        return 1;
    };
    let mut body = result.body;
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => received += chunk.len() as u64,
            Err(_) => return 1,
        }
    }
    usize::from(received != BIG)
}
