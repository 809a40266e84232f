//! Raw hyper: the same requests, unsigned and unverified, with the least a client does (the practical
//! limit).

use base64::Engine;

use super::*;

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

pub(super) async fn run(workload: &str, endpoint: &str, ops: usize) -> usize {
    let client = Arc::new(
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
            .build_http::<Body>(),
    );
    let small = Bytes::from(vec![1u8; SMALL]);
    let send = |method: http::Method, path: String, body: Body| {
        let client = client.clone();
        let uri = format!("{endpoint}{path}");
        async move {
            let listing = uri.contains("list-type=2");
            let request = http::Request::builder()
                .method(method)
                .uri(uri)
                .body(body)
                .unwrap();
            let Ok(response) = client.request(request).await else {
                return false;
            };
            let ok = response.status().is_success();
            let mut body = response.into_body();
            if listing {
                // The least a listing client does: find each key.
                let Ok(whole) = body.collect().await.map(|b| b.to_bytes()) else {
                    return false;
                };
                return ok && whole.windows(5).filter(|w| w == b"<Key>").count() == LIST_KEYS;
            }
            while let Some(frame) = body.frame().await {
                if frame.is_err() {
                    return false;
                }
            }
            ok
        }
    };
    let empty = || Empty::new().map_err(|never| match never {}).boxed_unsync();
    match workload {
        "put-1k" => {
            drive(ops, IN_FLIGHT, |i| {
                send(
                    http::Method::PUT,
                    format!("/bench/k{i}"),
                    Full::new(small.clone())
                        .map_err(|never| match never {})
                        .boxed_unsync(),
                )
            })
            .await
        }
        "get-1k" | "get-10k-concurrent" => {
            drive(ops, concurrency(workload), |i| {
                send(http::Method::GET, format!("/bench/k{i}"), empty())
            })
            .await
        }
        "head" => {
            drive(ops, IN_FLIGHT, |i| {
                send(http::Method::HEAD, format!("/bench/k{i}"), empty())
            })
            .await
        }
        "list" => {
            drive(ops, IN_FLIGHT, |_| {
                send(http::Method::GET, "/bench?list-type=2".into(), empty())
            })
            .await
        }
        "put-1g" => {
            let body = StreamBody::new(big_chunks().map(|c| c.map(Frame::data))).boxed_unsync();
            let client = client.clone();
            let request = http::Request::put(format!("{endpoint}/bench/big"))
                .header("content-length", BIG)
                .body(body)
                .unwrap();
            usize::from(
                !client
                    .request(request)
                    .await
                    .is_ok_and(|r| r.status().is_success()),
            )
        }
        "get-1g" => usize::from(!send(http::Method::GET, "/bench/big".into(), empty()).await),
        other => panic!("unknown workload {other}"),
    }
}

/// Raw hyper reading the 1 GiB object and checking its bytes against `x-amz-checksum-crc32c`, as
/// `ours` does: what a verified download costs at the least, so the driver's own share of the
/// 1 GiB GET shows apart from the checksum's.
pub(super) async fn get_verified(endpoint: &str) -> usize {
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    let request = http::Request::get(format!("{endpoint}/bench/big"))
        .body(Empty::new())
        .unwrap();
    let Ok(response) = client.request(request).await else {
        return 1;
    };
    let expected = response
        .headers()
        .get("x-amz-checksum-crc32c")
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes);
    let mut body = response.into_body();
    let (mut crc, mut received) = (0u32, 0u64);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return 1 };
        if let Some(data) = frame.data_ref() {
            crc = cloud_storage::crc32c_append(crc, data);
            received += data.len() as u64;
        }
    }
    usize::from(received != BIG || expected != Some(crc))
}
