//! Azure Blob beyond the conformance suite, against Azurite (which checks Shared Key and SAS
//! signatures) and a scripted server (for answers Azurite never gives).

use std::time::Duration;

use bytes::Bytes;
use cloud_azure::{AzureBlobBuilder, Credentials, DEV_ACCOUNT};
use cloud_core::{ErrorKind, HttpClient, ProxyConfig};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{Checksum, PresignMethod, StorageDriver, StorageExt};
use cloud_tests::scripted::one_attempt_client;
use cloud_tests::server::{text, TestServer};
use cloud_tests::servers::azurite;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

fn client() -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .expect("client")
}

fn azurite_blob() -> cloud_azure::AzureBlob {
    AzureBlobBuilder::azurite(&azurite::host())
        .http_client(client())
        .build()
        .expect("Azure Blob driver")
}

async fn new_container(blob: &cloud_azure::AzureBlob) -> String {
    let name = format!("azure-{}-{:x}", std::process::id(), fastrand_u32());
    blob.create_container(&name)
        .await
        .expect("create container");
    name
}

fn fastrand_u32() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

/// A plain HTTP request, without the driver: what a browser or `curl` does with a presigned URL.
async fn plain(method: &str, url: &str, body: &'static str) -> (u16, Bytes) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::builder()
        .method(method)
        .uri(url)
        .header("x-ms-blob-type", "BlockBlob")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    let response = client.request(request).await.expect("request");
    let status = response.status().as_u16();
    (
        status,
        response.into_body().collect().await.unwrap().to_bytes(),
    )
}

#[tokio::test]
async fn presigned_urls_read_and_write_without_credentials_and_a_tampered_one_is_refused() {
    let blob = azurite_blob();
    let c = new_container(&blob).await;
    let put = blob
        .presign(
            &c,
            "up/loaded.txt",
            PresignMethod::Put,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert!(put.contains("sig="), "{put}");
    let (status, _) = plain("PUT", &put, "sent by URL").await;
    assert_eq!(status, 201, "a presigned PUT is accepted");
    let get = blob
        .presign(
            &c,
            "up/loaded.txt",
            PresignMethod::Get,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    let (status, body) = plain("GET", &get, "").await;
    assert_eq!((status, &body[..]), (200, &b"sent by URL"[..]));
    // A read URL does not write, and a changed signature is refused.
    let (status, _) = plain("PUT", &get, "overwrite").await;
    assert_eq!(status, 403, "a read-only SAS cannot write");
    let tampered = get.replace("sp=r", "sp=rw");
    let (status, _) = plain("GET", &tampered, "").await;
    assert_eq!(status, 403, "a SAS whose fields were changed is refused");
}

#[tokio::test]
async fn a_driver_with_a_sas_token_reads_what_it_allows() {
    let blob = azurite_blob();
    let c = new_container(&blob).await;
    blob.put_bytes(&c, "shared", "for the token holder")
        .await
        .unwrap();
    let url = blob
        .presign(&c, "shared", PresignMethod::Get, Duration::from_secs(600))
        .await
        .unwrap();
    let token = url.split_once('?').unwrap().1;
    let reader = AzureBlobBuilder::new()
        .credentials(Credentials::sas(DEV_ACCOUNT, token))
        .endpoint(format!("{}/{DEV_ACCOUNT}", azurite::host()))
        .http_client(client())
        .build()
        .unwrap();
    assert_eq!(
        reader.get_bytes(&c, "shared").await.unwrap(),
        "for the token holder"
    );
    let err = reader.put_bytes(&c, "shared", "no").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let shown = format!("{reader:?} {err} {err:?}");
    assert!(
        !shown.contains(token.split("sig=").nth(1).unwrap()),
        "{shown}"
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthenticated_and_never_shown() {
    let planted = "cGxhbnRlZC1zZWNyZXQta2V5LTEyMzQ1Njc4OTA=";
    let blob = AzureBlobBuilder::new()
        .credentials(Credentials::shared_key(DEV_ACCOUNT, planted))
        .endpoint(format!("{}/{DEV_ACCOUNT}", azurite::host()))
        .http_client(one_attempt_client())
        .build()
        .unwrap();
    let err = blob.get_container("anything").await.unwrap_err();
    // Azure names a bad signature AuthenticationFailed (Unauthenticated, unit-tested with the other
    // codes); Azurite answers AuthorizationFailure. Either is a refusal, never a success or a retry.
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Unauthenticated | ErrorKind::PermissionDenied
        ),
        "{err}"
    );
    assert_eq!(err.attempts(), 1, "{err}");
    let shown = format!("{blob:?} {err} {err:?}");
    assert!(!shown.contains(planted), "{shown}");
}

#[tokio::test]
async fn a_block_upload_stores_the_md5_of_the_whole_blob() {
    let blob = AzureBlobBuilder::azurite(&azurite::host())
        .http_client(client())
        .multipart(
            1 << 20,
            MultipartConfig::new().part_size(1 << 20).concurrency(3),
        )
        .build()
        .unwrap();
    let c = new_container(&blob).await;
    let data: Bytes = (0..(3 << 20) + 17)
        .map(|i| (i % 253) as u8)
        .collect::<Vec<u8>>()
        .into();
    let meta = blob.put_bytes(&c, "blocks", data.clone()).await.unwrap();
    assert_eq!(meta.size, data.len() as u64);
    let head = blob.head_object(&c, "blocks").await.unwrap();
    let expected: String = md5_hex(&data);
    assert_eq!(
        head.checksum,
        Some(Checksum::Md5(expected)),
        "the service keeps the MD5 sent at commit"
    );
    assert_eq!(blob.get_bytes(&c, "blocks").await.unwrap(), data);
}

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_body_that_contradicts_its_md5_is_a_checksum_mismatch() {
    let server = TestServer::start(|_| async {
        let mut response = text(200, "not what was stored");
        let headers = response.headers_mut();
        // The MD5 of "hello", base64.
        headers.insert(
            "content-md5",
            http::HeaderValue::from_static("XUFAKrxLKna5cZ2REBfFkg=="),
        );
        headers.insert("etag", http::HeaderValue::from_static("\"0x1\""));
        Ok(response)
    })
    .await;
    let blob = AzureBlobBuilder::new()
        .credentials(Credentials::development())
        .endpoint(server.url(&format!("/{DEV_ACCOUNT}")))
        .http_client(one_attempt_client())
        .build()
        .unwrap();
    let err = blob.get_bytes("c", "k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ChecksumMismatch, "{err}");
}
