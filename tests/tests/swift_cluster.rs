//! Swift-specific behaviour against the live cluster: a wrong key, TempURLs read and written by a
//! client without credentials, and Static Large Objects whose segments go with them (on delete and on
//! a failed upload).

use cloud_core::{Body, ErrorKind, HttpClient, HttpService, ProxyConfig, ServiceConfig};
use cloud_openstack::{Credentials, Swift, SwiftBuilder};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{ListOptions, Payload, PresignMethod, PutOptions, StorageDriver, StorageExt};
use cloud_tests::conformance::storage::pattern;
use cloud_tests::servers::swift;
use futures_util::TryStreamExt;

fn client() -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .unwrap()
}

fn driver(key: &str) -> Swift {
    SwiftBuilder::new()
        .credentials(Credentials::tempauth(swift::auth_url(), "test:tester", key))
        .http_client(client())
        .multipart(
            1 << 20,
            MultipartConfig::new().part_size(1 << 20).concurrency(3),
        )
        .temp_url_key("tempurl-key-of-the-tests")
        .build()
        .unwrap()
}

/// A client with no credentials of its own.
fn anonymous() -> HttpService {
    client().service(ServiceConfig::new("anonymous"))
}

async fn fresh(swift: &Swift, name: &str) -> String {
    let container = format!("{name}-{}-{:x}", std::process::id(), fastrand_like());
    swift.create_container(&container).await.unwrap();
    container
}

fn fastrand_like() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

async fn segments(swift: &Swift, container: &str) -> Vec<String> {
    match swift
        .list_objects(&format!("{container}_segments"), &ListOptions::new())
        .map_ok(|e| e.name().to_owned())
        .try_collect()
        .await
    {
        Ok(names) => names,
        Err(err) if err.kind() == ErrorKind::NotFound => Vec::new(),
        Err(err) => panic!("listing segments: {err}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_unauthenticated_and_never_shown() {
    let swift = driver("WRONG-KEY-1");
    let err = swift.get_container("anything").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    let shown = format!("{err} {err:?} {swift:?}");
    assert!(!shown.contains("WRONG-KEY-1"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temp_urls_read_and_write_without_credentials() {
    let swift = driver("testing");
    let container = fresh(&swift, "tempurl").await;
    // The account's key, as an operator sets it (`swift post -m Temp-URL-Key:…`).
    let (storage_url, token) = tempauth().await;
    let mut set =
        cloud_core::request::request(http::Method::POST, &storage_url, Body::empty()).unwrap();
    set.headers_mut().insert(
        "x-account-meta-temp-url-key",
        "tempurl-key-of-the-tests".parse().unwrap(),
    );
    set.headers_mut()
        .insert("x-auth-token", token.parse().unwrap());
    anonymous()
        .send_buffered("SetTempUrlKey", set)
        .await
        .unwrap();

    swift
        .put_bytes(&container, "shared/a b.txt", "for anyone")
        .await
        .unwrap();
    let get = swift
        .presign(
            &container,
            "shared/a b.txt",
            PresignMethod::Get,
            std::time::Duration::from_secs(300),
        )
        .await
        .unwrap();
    let req = cloud_core::request::request(http::Method::GET, &get, Body::empty()).unwrap();
    let body = anonymous()
        .send_buffered("TempUrlGet", req)
        .await
        .unwrap()
        .into_body()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body, "for anyone");

    let put = swift
        .presign(
            &container,
            "dropbox/in",
            PresignMethod::Put,
            std::time::Duration::from_secs(300),
        )
        .await
        .unwrap();
    let req =
        cloud_core::request::request(http::Method::PUT, &put, Body::from("delivered")).unwrap();
    anonymous().send_buffered("TempUrlPut", req).await.unwrap();
    assert_eq!(
        swift.get_bytes(&container, "dropbox/in").await.unwrap(),
        "delivered"
    );

    // The signature covers the path: the same URL for another object is refused.
    let forged = get.replace("shared/a%20b.txt", "dropbox/in");
    let req = cloud_core::request::request(http::Method::GET, &forged, Body::empty()).unwrap();
    let err = anonymous()
        .send_buffered("TempUrlGet", req)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
}

/// The account's storage URL and a token, from tempauth.
async fn tempauth() -> (String, String) {
    let mut req =
        cloud_core::request::request(http::Method::GET, swift::auth_url(), Body::empty()).unwrap();
    req.headers_mut()
        .insert("x-auth-user", "test:tester".parse().unwrap());
    req.headers_mut()
        .insert("x-auth-key", "testing".parse().unwrap());
    let response = anonymous().send_buffered("TempAuth", req).await.unwrap();
    let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
    (header("x-storage-url"), header("x-auth-token"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_object_is_segments_and_its_segments_go_with_it() {
    let swift = driver("testing");
    let container = fresh(&swift, "slo").await;
    let data = pattern((4 << 20) + 12_345);
    let meta = swift
        .put_bytes(&container, "big", data.clone())
        .await
        .unwrap();
    assert_eq!(meta.size, data.len() as u64);
    let head = swift.head_object(&container, "big").await.unwrap();
    assert_eq!(
        head.extra.get("large_object").map(String::as_str),
        Some("true")
    );
    assert_eq!(segments(&swift, &container).await.len(), 5);
    assert_eq!(swift.get_bytes(&container, "big").await.unwrap(), data);

    swift.delete_object(&container, "big").await.unwrap();
    assert!(!swift.exists(&container, "big").await.unwrap());
    assert!(
        segments(&swift, &container).await.is_empty(),
        "the segments went with it"
    );

    // A stream that fails after three segments leaves neither an object nor a segment.
    let failing = futures_util::stream::iter([
        Ok(data.slice(..3 << 20)),
        Err(std::io::Error::other("the source failed")),
    ]);
    let err = swift
        .put_object(
            &container,
            "failed",
            Payload::from_stream(failing, None),
            &PutOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("the source failed"), "{err}");
    assert!(!swift.exists(&container, "failed").await.unwrap());
    assert!(
        segments(&swift, &container).await.is_empty(),
        "{:?}",
        segments(&swift, &container).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwriting_or_copying_over_a_large_object_deletes_its_old_segments() {
    let swift = driver("testing");
    let container = fresh(&swift, "replace").await;
    let first = pattern((3 << 20) + 1);
    swift
        .put_bytes(&container, "obj", first.clone())
        .await
        .unwrap();
    let old = segments(&swift, &container).await;
    assert_eq!(old.len(), 4);

    // A large object over a large object: only the new one's segments remain.
    let second = pattern((2 << 20) + 7);
    swift
        .put_bytes(&container, "obj", second.clone())
        .await
        .unwrap();
    let now = segments(&swift, &container).await;
    assert_eq!(now.len(), 3, "{now:?}");
    assert!(now.iter().all(|s| !old.contains(s)), "{old:?} {now:?}");
    assert_eq!(swift.get_bytes(&container, "obj").await.unwrap(), second);

    // A small object over it: no segment is left.
    swift.put_bytes(&container, "obj", "small").await.unwrap();
    assert!(segments(&swift, &container).await.is_empty());
    assert_eq!(swift.get_bytes(&container, "obj").await.unwrap(), "small");

    // A copy over a large object: the same.
    swift
        .put_bytes(&container, "big", first.clone())
        .await
        .unwrap();
    swift
        .copy_object(&container, "obj", &container, "big")
        .await
        .unwrap();
    assert!(segments(&swift, &container).await.is_empty());
    assert_eq!(swift.get_bytes(&container, "big").await.unwrap(), "small");

    // Opting out leaves them, as documented.
    let keeping = SwiftBuilder::new()
        .credentials(Credentials::tempauth(
            swift::auth_url(),
            "test:tester",
            "testing",
        ))
        .http_client(client())
        .multipart(1 << 20, MultipartConfig::new().part_size(1 << 20))
        .keep_replaced_segments(true)
        .build()
        .unwrap();
    keeping
        .put_bytes(&container, "kept", first.clone())
        .await
        .unwrap();
    keeping
        .put_bytes(&container, "kept", "small")
        .await
        .unwrap();
    assert_eq!(segments(&swift, &container).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn os_cloud_picks_a_cloud_of_clouds_yaml_with_its_secret_in_secure_yaml() {
    // Each test runs in a process of its own under nextest, so the variables are this test's.
    for name in [
        "OS_AUTH_URL",
        "OS_USERNAME",
        "OS_PASSWORD",
        "OS_STORAGE_URL",
        "OS_AUTH_TOKEN",
    ] {
        std::env::remove_var(name);
    }
    let dir = tempfile::tempdir().unwrap();
    let clouds = dir.path().join("clouds.yaml");
    let secure = dir.path().join("secure.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  other:\n    auth:\n      auth_url: http://127.0.0.1:9/v3\n  cluster:\n    auth_type: v1password\n    auth:\n      auth_url: {}\n      username: \"test:tester\"\n",
            swift::auth_url()
        ),
    )
    .unwrap();
    std::fs::write(
        &secure,
        "clouds:\n  cluster:\n    auth:\n      password: testing\n",
    )
    .unwrap();
    std::env::set_var("OS_CLIENT_CONFIG_FILE", &clouds);
    std::env::set_var("OS_CLIENT_SECURE_FILE", &secure);
    std::env::set_var("OS_CLOUD", "cluster");
    let swift = SwiftBuilder::from_env()
        .http_client(client())
        .build()
        .unwrap();
    let container = fresh(&swift, "clouds-yaml").await;
    swift
        .put_bytes(&container, "k", "via clouds.yaml")
        .await
        .unwrap();
    assert_eq!(
        swift.get_bytes(&container, "k").await.unwrap(),
        "via clouds.yaml"
    );

    std::env::set_var("OS_CLOUD", "missing");
    let err = SwiftBuilder::from_env().build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(err.to_string().contains("cluster, other"), "{err}");
}
