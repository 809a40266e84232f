//! Entra ID identities on the wire: a loopback Entra ID that follows the documented token protocols
//! (client credentials with a secret or a federated assertion, IMDS, App Service's identity endpoint)
//! and hands out tokens Azurite accepts, and Azurite over HTTPS with `--oauth basic`, which checks
//! each bearer token's audience, issuer and lifetime and verifies user delegation SAS signatures.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cloud_azure::{AzureBlob, AzureBlobBuilder, Credentials, Identity, DEV_ACCOUNT};
use cloud_core::{Body, ErrorKind, HttpClient, ManualClock, ProxyConfig, ServiceConfig};
use cloud_storage::{ListEntry, ListOptions, PresignMethod, StorageDriver, StorageExt};
use cloud_tests::forms::{field, form};
use cloud_tests::server::{reply, TestServer};
use cloud_tests::servers::azurite;
use futures_util::TryStreamExt;
use http_body_util::BodyExt;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT: &str = "0b3c8f6e-client";
const SECRET: &str = "planted-client-secret";
const APP_HEADER: &str = "planted-identity-header";

/// A token shaped as Entra ID's (Azurite reads its claims; it does not check the signature).
fn jwt(audience: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"RS256"}"#);
    let claims = serde_json::json!({
        "aud": audience,
        "iss": format!("https://sts.windows.net/{TENANT}/"),
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + 3600,
        "oid": "3f5ac2ee-object",
        "tid": TENANT,
    });
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode(b"unchecked"))
}

/// What the loopback Entra ID saw and hands out.
#[derive(Default)]
struct Entra {
    grants: AtomicUsize,
    /// The federated token a workload identity must present.
    federated: Mutex<String>,
    /// The audience of the tokens handed out (Azure Storage's unless a test changes it).
    audience: Mutex<Option<String>>,
}

impl Entra {
    fn token(&self) -> String {
        let audience = self.audience.lock().unwrap().clone();
        jwt(audience.as_deref().unwrap_or("https://storage.azure.com"))
    }
}

async fn entra(state: Arc<Entra>) -> TestServer {
    TestServer::start(move |req| {
        let state = state.clone();
        async move {
            let path = req.uri().path().to_owned();
            let query = cloud_tests::forms::pairs(req.uri().query().unwrap_or(""));
            let header = |name: &str| {
                req.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let (metadata, identity) = (header("metadata"), header("x-identity-header"));
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let form = form(&body);
            let refused = |why: &str| {
                reply(
                    401,
                    format!(r#"{{"error":"invalid_client","error_description":"AADSTS7000215: {why}"}}"#),
                )
            };
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
            if path == format!("/{TENANT}/oauth2/v2.0/token") {
                state.grants.fetch_add(1, Ordering::SeqCst);
                if field(&form, "grant_type") != Some("client_credentials")
                    || field(&form, "client_id") != Some(CLIENT)
                    || field(&form, "scope") != Some("https://storage.azure.com/.default")
                {
                    return reply(400, r#"{"error":"invalid_request"}"#);
                }
                let by_secret = field(&form, "client_secret") == Some(SECRET);
                let federated = state.federated.lock().unwrap().clone();
                let by_assertion = field(&form, "client_assertion_type")
                    == Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
                    && !federated.is_empty()
                    && field(&form, "client_assertion") == Some(federated.as_str());
                if !(by_secret || by_assertion) {
                    return refused("Invalid client secret or assertion provided.");
                }
                let token = state.token();
                return reply(
                    200,
                    format!(r#"{{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"{token}"}}"#),
                );
            }
            let resource_ok = field(&query, "resource") == Some("https://storage.azure.com/");
            match path.as_str() {
                "/metadata/identity/oauth2/token" => {
                    state.grants.fetch_add(1, Ordering::SeqCst);
                    if metadata.as_deref() != Some("true") {
                        return reply(400, r#"{"error":"invalid_request","error_description":"Required metadata header not specified"}"#);
                    }
                    if field(&query, "api-version") != Some("2018-02-01") || !resource_ok {
                        return reply(400, r#"{"error":"invalid_request"}"#);
                    }
                    let token = state.token();
                    reply(
                        200,
                        format!(r#"{{"access_token":"{token}","refresh_token":"","expires_in":"86399","expires_on":"{}","not_before":"{now}","resource":"https://storage.azure.com/","token_type":"Bearer"}}"#, now + 86399),
                    )
                }
                "/msi/token" => {
                    state.grants.fetch_add(1, Ordering::SeqCst);
                    if identity.as_deref() != Some(APP_HEADER)
                        || field(&query, "api-version") != Some("2019-08-01")
                        || !resource_ok
                    {
                        return reply(400, r#"{"error":"invalid_request"}"#);
                    }
                    let token = state.token();
                    reply(
                        200,
                        format!(r#"{{"access_token":"{token}","expires_on":"{}","resource":"https://storage.azure.com/","token_type":"Bearer","client_id":"{CLIENT}"}}"#, now + 3600),
                    )
                }
                _ => reply(404, "{}"),
            }
        }
    })
    .await
}

/// A client that trusts the HTTPS Azurite's test certificate authority.
fn tls_client(clock: Option<Arc<ManualClock>>) -> HttpClient {
    let mut builder = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .add_root_certificate(azurite::TEST_CA.to_vec());
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.build().expect("a client trusting the test CA")
}

fn driver(identity: Identity, clock: Option<Arc<ManualClock>>) -> AzureBlob {
    AzureBlobBuilder::new()
        .credentials(Credentials::entra(DEV_ACCOUNT, identity))
        .endpoint(format!("{}/{DEV_ACCOUNT}", azurite::oauth_host()))
        .http_client(tls_client(clock))
        .build()
        .expect("an Entra ID driver")
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}-{}-{nanos:x}", std::process::id())
}

async fn keys(blob: &AzureBlob, container: &str) -> Vec<String> {
    let entries: Vec<ListEntry> = blob
        .list_objects(container, &ListOptions::new())
        .try_collect()
        .await
        .unwrap();
    entries
        .into_iter()
        .filter_map(|e| match e {
            ListEntry::Object(meta) => Some(meta.key),
            _ => None,
        })
        .collect()
}

async fn empty_and_delete(blob: &AzureBlob, container: &str) {
    for key in keys(blob, container).await {
        blob.delete_object(container, &key).await.unwrap();
    }
    blob.delete_container(container).await.unwrap();
}

async fn containers(blob: &AzureBlob) -> cloud_core::Result<Vec<cloud_storage::Container>> {
    blob.list_containers().try_collect().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_principal_works_on_azurite_and_fifty_tasks_share_one_grant() {
    let state = Arc::new(Entra::default());
    let server = entra(state.clone()).await;
    let blob = driver(
        Identity::client_secret(TENANT, CLIENT, SECRET).at(server.url("")),
        None,
    );
    let container = unique("entra");
    blob.create_container(&container)
        .await
        .expect("created with a bearer token");
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (blob, container) = (blob.clone(), container.clone());
            tokio::spawn(async move {
                blob.put_bytes(&container, &format!("k{i}"), format!("value {i}"))
                    .await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().expect("written with the shared token");
    }
    assert_eq!(
        state.grants.load(Ordering::SeqCst),
        1,
        "one grant for all fifty"
    );
    assert_eq!(blob.get_bytes(&container, "k7").await.unwrap(), "value 7");
    assert_eq!(keys(&blob, &container).await.len(), 50);
    empty_and_delete(&blob, &container).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_or_a_token_for_another_audience_is_unauthenticated_and_secret_free() {
    let state = Arc::new(Entra::default());
    let server = entra(state.clone()).await;
    let wrong = driver(
        Identity::client_secret(TENANT, CLIENT, "planted-wrong-secret").at(server.url("")),
        None,
    );
    let err = containers(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    let shown = format!("{err} {err:?} {wrong:?}");
    assert!(
        shown.contains("AADSTS7000215"),
        "Entra's reason is kept: {shown}"
    );
    assert!(!shown.contains("planted"), "{shown}");

    // Azurite refuses a token meant for another service, as Azure does.
    *state.audience.lock().unwrap() = Some("https://management.azure.com".into());
    let blob = driver(
        Identity::client_secret(TENANT, CLIENT, SECRET).at(server.url("")),
        None,
    );
    let err = containers(&blob).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::Unauthenticated | ErrorKind::PermissionDenied
        ),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn managed_identities_through_imds_and_app_service() {
    let state = Arc::new(Entra::default());
    let server = entra(state.clone()).await;
    for identity in [
        Identity::managed().at(server.url("")),
        Identity::app_service(server.url("/msi/token"), APP_HEADER),
    ] {
        let blob = driver(identity.clone(), None);
        let container = unique("managed");
        blob.create_container(&container)
            .await
            .unwrap_or_else(|e| panic!("{identity:?}: {e}"));
        blob.delete_container(&container).await.unwrap();
    }
    assert_eq!(state.grants.load(Ordering::SeqCst), 2);

    // Off Azure no identity endpoint answers: an error that says so, not a hang or a transport error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let err = containers(&driver(Identity::managed().at(nowhere), None))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.to_string().contains("managed identity"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_identity_rereads_its_rotated_token_file_on_refresh() {
    let state = Arc::new(Entra::default());
    let server = entra(state.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("azure-identity-token");
    std::fs::write(&file, "federated-one\n").unwrap();
    *state.federated.lock().unwrap() = "federated-one".into();
    let clock = Arc::new(ManualClock::new());
    let blob = driver(
        Identity::workload(TENANT, CLIENT, &file).at(server.url("")),
        Some(clock.clone()),
    );
    containers(&blob).await.expect("the first federated token");
    // The platform rotates the file; past the token's expiry the new one is presented.
    std::fs::write(&file, "federated-two").unwrap();
    *state.federated.lock().unwrap() = "federated-two".into();
    clock.advance(Duration::from_secs(3599));
    containers(&blob)
        .await
        .expect("the rotated federated token");
    assert_eq!(state.grants.load(Ordering::SeqCst), 2);
}

/// A request without the driver, as `curl` sends a presigned URL (over TLS to the test Azurite).
async fn plain(method: http::Method, url: &str, body: &'static str) -> Result<Vec<u8>, ErrorKind> {
    let http = tls_client(None).service(ServiceConfig::new("plain"));
    let mut req = cloud_core::request::request(method, url, Body::from(body)).unwrap();
    req.headers_mut().insert(
        "x-ms-blob-type",
        http::HeaderValue::from_static("BlockBlob"),
    );
    match http.send_buffered("Plain", req).await {
        Ok(response) => Ok(response.into_body().bytes().await.unwrap().to_vec()),
        Err(err) => Err(err.kind()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presigned_urls_are_user_delegation_sas_that_azurite_verifies() {
    let state = Arc::new(Entra::default());
    let server = entra(state.clone()).await;
    let blob = driver(
        Identity::client_secret(TENANT, CLIENT, SECRET).at(server.url("")),
        None,
    );
    let container = unique("delegated");
    blob.create_container(&container).await.unwrap();
    let put = blob
        .presign(
            &container,
            "by/url.txt",
            PresignMethod::Put,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert!(put.contains("skoid=") && put.contains("sig="), "{put}");
    plain(http::Method::PUT, &put, "sent by URL")
        .await
        .expect("a user delegation SAS for writing");
    let get = blob
        .presign(
            &container,
            "by/url.txt",
            PresignMethod::Get,
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    assert_eq!(
        plain(http::Method::GET, &get, "").await.unwrap(),
        b"sent by URL"
    );
    let tampered = get.replace("sp=r", "sp=rw");
    assert!(
        plain(http::Method::GET, &tampered, "").await.is_err(),
        "a changed SAS is refused"
    );
    assert!(
        plain(http::Method::PUT, &get, "overwrite").await.is_err(),
        "a read SAS does not write"
    );
    empty_and_delete(&blob, &container).await;
}

#[test]
fn the_environment_picks_the_identity_as_azures_sdks_do() {
    // Each test runs in a process of its own under nextest, so the variables are this test's.
    for name in [
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
    ] {
        std::env::remove_var(name);
    }
    let managed_or_cli = Identity::FirstOf(vec![Identity::managed(), Identity::azure_cli()]);
    assert_eq!(Identity::from_env(), managed_or_cli);
    std::env::set_var("AZURE_CLIENT_ID", CLIENT);
    assert_eq!(
        Identity::from_env(),
        managed_or_cli.with_client_id(CLIENT),
        "a user-assigned identity"
    );
    std::env::set_var("IDENTITY_ENDPOINT", "http://127.0.0.1:41234/msi/token");
    std::env::set_var("IDENTITY_HEADER", APP_HEADER);
    assert_eq!(
        Identity::from_env(),
        Identity::app_service("http://127.0.0.1:41234/msi/token", APP_HEADER)
            .with_client_id(CLIENT)
    );
    std::env::set_var("AZURE_TENANT_ID", TENANT);
    std::env::set_var(
        "AZURE_FEDERATED_TOKEN_FILE",
        "/var/run/secrets/azure/tokens/azure-identity-token",
    );
    assert_eq!(
        Identity::from_env(),
        Identity::workload(
            TENANT,
            CLIENT,
            "/var/run/secrets/azure/tokens/azure-identity-token"
        )
    );
    std::env::set_var("AZURE_CLIENT_SECRET", SECRET);
    std::env::set_var("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us");
    assert_eq!(
        Identity::from_env(),
        Identity::client_secret(TENANT, CLIENT, SECRET).at("https://login.microsoftonline.us"),
        "a secret comes first"
    );
    // An account with no key or SAS token uses that identity.
    std::env::set_var("AZURE_STORAGE_ACCOUNT", "acct");
    std::env::remove_var("AZURE_STORAGE_KEY");
    std::env::remove_var("AZURE_STORAGE_SAS_TOKEN");
    std::env::remove_var("AZURE_STORAGE_CONNECTION_STRING");
    std::env::remove_var("AZURE_STORAGE_USE_EMULATOR");
    let blob = AzureBlobBuilder::from_env().build().unwrap();
    let shown = format!("{blob:?}");
    assert!(
        shown.contains("ClientSecret") && !shown.contains(SECRET),
        "{shown}"
    );
}

/// A stand-in for the Azure CLI first on PATH: it writes its arguments to `dir/args`, prints `stdout`
/// and `stderr`, and exits with `code`. (Each test runs in a process of its own under nextest.)
fn fake_az(dir: &std::path::Path, stdout: &str, stderr: &str, code: i32) {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("az");
    // Inside the script's single quotes, a quote is '\''.
    let (stdout, stderr) = (stdout.replace('\'', "'\\''"), stderr.replace('\'', "'\\''"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > {}\nprintf '%s' '{stdout}'\nprintf '%s' '{stderr}' >&2\nexit {code}\n",
            dir.join("args").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    std::env::set_var("PATH", format!("{}:{path}", dir.display()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_azure_cli_login_serves_where_no_managed_identity_answers() {
    for name in [
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "IDENTITY_HEADER",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AZURE_TENANT_ID", TENANT);
    let dir = tempfile::tempdir().unwrap();
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let printed = format!(
        r#"{{"accessToken":"{}","expiresOn":"2026-12-08 10:00:00.000000","expires_on":{expires},"tokenType":"Bearer"}}"#,
        jwt("https://storage.azure.com")
    );
    fake_az(dir.path(), &printed, "", 0);
    // From the environment: IMDS first (no one answers here), then the CLI.
    let blob = driver(Identity::from_env(), None);
    let container = unique("cli");
    blob.create_container(&container)
        .await
        .expect("the CLI's token");
    blob.delete_container(&container).await.unwrap();
    let args = std::fs::read_to_string(dir.path().join("args")).unwrap();
    assert_eq!(
        args.trim(),
        format!("account get-access-token --output json --resource https://storage.azure.com/ --tenant {TENANT}")
    );
    assert!(
        !format!("{blob:?}").contains(&jwt("x")[..20]),
        "no token shown"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_without_a_login_says_to_run_az_login_after_the_managed_identity() {
    let dir = tempfile::tempdir().unwrap();
    fake_az(
        dir.path(),
        "",
        "ERROR: Please run 'az login' to setup account.",
        1,
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let identity = Identity::FirstOf(vec![Identity::managed().at(nowhere), Identity::azure_cli()]);
    let err = containers(&driver(identity, None)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    let shown = err.to_string();
    assert!(
        shown.contains("no managed identity endpoint answered"),
        "{shown}"
    );
    assert!(shown.contains("run `az login`"), "{shown}");
}
