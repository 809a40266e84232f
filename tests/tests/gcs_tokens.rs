//! Google OAuth tokens on the wire: a loopback token endpoint that checks what Google's does (the
//! JWT's RS256 signature against the service account's public key, its claims, the grant type), and
//! a storage endpoint that accepts only the token it handed out.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cloud_core::{ErrorKind, HttpClient, ManualClock, ProxyConfig};
use cloud_gcp::{Credentials, GcsBuilder, STORAGE_SCOPE};
use cloud_storage::StorageDriver;
use cloud_tests::forms::{field, form};
use cloud_tests::server::{reply, TestServer};
use http_body_util::BodyExt;
use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};

const KEY_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/cloud-gcp/tests/data/service-account.json"
);
const PUBLIC_KEY: &[u8] = include_bytes!("../../crates/cloud-gcp/tests/data/public-key.pkcs1.der");
const TOKEN: &str = "ya29.handed-out-by-the-test";
const BUCKET_JSON: &str = r#"{"kind":"storage#bucket","name":"box","location":"EU"}"#;

/// Checks an assertion as Google's token endpoint does; `Err` says what is wrong with it.
fn check_assertion(jwt: &str, audience: &str) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err("not three parts".into());
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|e| e.to_string())?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, PUBLIC_KEY)
        .verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "the signature does not verify".to_owned())?;
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let iat = claims["iat"].as_u64().ok_or("no iat")?;
    let checks = [
        (header["alg"] == "RS256", "alg"),
        (header["kid"] == "0123456789abcdef", "kid"),
        (
            claims["iss"] == "tests@cloud-tests.iam.gserviceaccount.com",
            "iss",
        ),
        (claims["aud"] == audience, "aud"),
        (claims["scope"] == STORAGE_SCOPE, "scope"),
        (claims["exp"].as_u64() == Some(iat + 3600), "exp"),
        (iat.abs_diff(now) < 60, "iat"),
    ];
    match checks.iter().find(|(ok, _)| !ok) {
        Some((_, claim)) => Err(format!("the {claim} of {header} {claims} is wrong")),
        None => Ok(()),
    }
}

/// A token endpoint at `/token` and a storage API that wants its token; counts token requests.
async fn google(grants: Arc<AtomicUsize>) -> TestServer {
    TestServer::start(move |req| {
        let grants = grants.clone();
        async move {
            let path = req.uri().path().to_owned();
            let auth = req
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let flavor = req.headers().get("metadata-flavor").cloned();
            let host = req
                .headers()
                .get("host")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let form = form(&body);
            let token = format!(r#"{{"access_token":"{TOKEN}","expires_in":3599,"token_type":"Bearer"}}"#);
            let refused = r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#;
            match path.as_str() {
                "/token" => {
                    grants.fetch_add(1, Ordering::SeqCst);
                    match field(&form, "grant_type") {
                        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
                            let audience = format!("http://{host}/token");
                            match check_assertion(field(&form, "assertion").unwrap_or(""), &audience) {
                                Ok(()) => reply(200, token),
                                Err(why) => {
                                    eprintln!("refused: {why}");
                                    reply(400, refused)
                                }
                            }
                        }
                        Some("refresh_token")
                            if field(&form, "client_id") == Some("client-1")
                                && field(&form, "client_secret") == Some("CLIENT-SECRET")
                                && field(&form, "refresh_token") == Some("REFRESH-SECRET") =>
                        {
                            reply(200, token)
                        }
                        _ => reply(400, refused),
                    }
                }
                "/computeMetadata/v1/instance/service-accounts/default/token" => {
                    grants.fetch_add(1, Ordering::SeqCst);
                    if flavor.as_ref().is_some_and(|f| f == "Google") {
                        reply(200, token)
                    } else {
                        reply(403, "Missing Metadata-Flavor:Google header.")
                    }
                }
                "/storage/v1/b/box" if auth.as_deref() == Some(&format!("Bearer {TOKEN}")) => {
                    reply(200, BUCKET_JSON)
                }
                _ => reply(
                    401,
                    r#"{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}}"#,
                ),
            }
        }
    })
    .await
}

fn client(clock: Option<Arc<ManualClock>>) -> HttpClient {
    let mut builder = HttpClient::builder().proxies(ProxyConfig::none());
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.build().unwrap()
}

fn service_account(server: &TestServer) -> Credentials {
    let text = std::fs::read_to_string(KEY_FILE).unwrap();
    let text = text.replace("https://oauth2.googleapis.com/token", &server.url("/token"));
    Credentials::from_json(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_signs_a_jwt_google_accepts_and_fifty_tasks_share_one_token() {
    let grants = Arc::new(AtomicUsize::new(0));
    let server = google(grants.clone()).await;
    let gcs = GcsBuilder::new()
        .credentials(service_account(&server))
        .endpoint(server.url(""))
        .http_client(client(None))
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let gcs = gcs.clone();
            tokio::spawn(async move { gcs.get_container("box").await })
        })
        .collect();
    for task in tasks {
        let bucket = task.await.unwrap().expect("authorized with the token");
        assert_eq!(bucket.extra.get("location").map(String::as_str), Some("EU"));
    }
    assert_eq!(grants.load(Ordering::SeqCst), 1, "one grant for all fifty");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_replaced_before_it_expires() {
    let grants = Arc::new(AtomicUsize::new(0));
    let server = google(grants.clone()).await;
    let clock = Arc::new(ManualClock::new());
    let gcs = GcsBuilder::new()
        .credentials(service_account(&server))
        .endpoint(server.url(""))
        .http_client(client(Some(clock.clone())))
        .build()
        .unwrap();
    gcs.get_container("box").await.unwrap();
    clock.advance(Duration::from_secs(3000));
    gcs.get_container("box").await.unwrap();
    assert_eq!(
        grants.load(Ordering::SeqCst),
        1,
        "still fresh after 50 minutes"
    );
    // Within five minutes of its end (3599 s), the token is replaced before use.
    clock.advance(Duration::from_secs(400));
    gcs.get_container("box").await.unwrap();
    assert_eq!(grants.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_refresh_token_and_the_metadata_server_give_tokens_too() {
    let grants = Arc::new(AtomicUsize::new(0));
    let server = google(grants.clone()).await;
    let user = Credentials::from_json(&format!(
        r#"{{"type":"authorized_user","client_id":"client-1","client_secret":"CLIENT-SECRET",
            "refresh_token":"REFRESH-SECRET","token_uri":"{}"}}"#,
        server.url("/token")
    ))
    .unwrap();
    let metadata = Credentials::Metadata {
        endpoint: server.url(""),
    };
    for credentials in [user, metadata] {
        let gcs = GcsBuilder::new()
            .credentials(credentials)
            .endpoint(server.url(""))
            .http_client(client(None))
            .build()
            .unwrap();
        gcs.get_container("box").await.unwrap();
    }
    assert_eq!(grants.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_grant_is_unauthenticated_and_quotes_no_secret() {
    let grants = Arc::new(AtomicUsize::new(0));
    let server = google(grants.clone()).await;
    // Another key than the one the endpoint knows: the signature does not verify.
    let other = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output()
        .expect("openssl makes a second RSA key");
    let other_key = String::from_utf8(other.stdout).unwrap();
    assert!(other_key.contains("BEGIN PRIVATE KEY"), "{other_key}");
    let text = serde_json::json!({
        "type": "service_account",
        "client_email": "tests@cloud-tests.iam.gserviceaccount.com",
        "private_key_id": "0123456789abcdef",
        "private_key": other_key,
        "token_uri": server.url("/token"),
    })
    .to_string();
    let gcs = GcsBuilder::new()
        .credentials(Credentials::from_json(&text).unwrap())
        .endpoint(server.url(""))
        .http_client(client(None))
        .build()
        .unwrap();
    let err = gcs.get_container("box").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.code(), Some("invalid_grant"));
    let shown = format!("{err} {err:?} {gcs:?}");
    let key_body = other_key.lines().nth(1).unwrap();
    assert!(!shown.contains(key_body), "{shown}");
    assert!(!shown.contains("eyJ"), "no JWT in {shown}");

    // A storage answer to a wrong token is Unauthenticated too.
    let gcs = GcsBuilder::new()
        .credentials(Credentials::Anonymous)
        .endpoint(server.url(""))
        .http_client(client(None))
        .build()
        .unwrap();
    let err = gcs.get_container("box").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.code(), Some("authError"));
}
