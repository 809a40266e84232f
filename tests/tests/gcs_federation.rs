//! Workload identity federation and service account impersonation on the wire: a loopback Google that
//! follows the protocols the credentials file names: a Security Token Service that checks an RFC 8693 exchange field by field
//! (grant type, audience, scope, token types, the subject token it expects), an IAM Credentials
//! `generateAccessToken` that wants the federated token or a user's, a GitHub-Actions-like token URL
//! that wants its request token, and a storage API that accepts only the token it is meant to see.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cloud_core::{ErrorKind, HttpClient, ManualClock, ProxyConfig};
use cloud_gcp::{Credentials, GcsBuilder, STORAGE_SCOPE};
use cloud_storage::StorageDriver;
use cloud_tests::forms::{field, form};
use cloud_tests::server::{reply, TestServer};
use http_body_util::BodyExt;

const AUDIENCE: &str =
    "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/ci/providers/github";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const FEDERATED: &str = "ya29.federated-by-sts";
const IMPERSONATED: &str = "ya29.of-the-service-account";
const USER: &str = "ya29.of-the-gcloud-user";
const ACCOUNT_PATH: &str =
    "/v1/projects/-/serviceAccounts/ci@proj.iam.gserviceaccount.com:generateAccessToken";
const REQUEST_SECRET: &str = "ACTIONS-REQUEST-SECRET";
const BUCKET_JSON: &str = r#"{"kind":"storage#bucket","name":"box","location":"EU"}"#;

/// What the loopback Google saw: the subject tokens exchanged, and what each storage call carried.
#[derive(Default)]
struct Seen {
    subjects: Vec<String>,
    impersonations: usize,
}

/// The loopback Google. `valid` is the subject token the STS accepts (any other is refused as Google
/// refuses it); storage accepts `Bearer {wanted}`.
async fn google(
    valid: Arc<Mutex<String>>,
    wanted: &'static str,
    seen: Arc<Mutex<Seen>>,
) -> TestServer {
    TestServer::start(move |req| {
        let (valid, seen) = (valid.clone(), seen.clone());
        async move {
            let path = req.uri().path().to_owned();
            let auth = cloud_tests::server::header_text(&req, "authorization");
            let body = req.into_body().collect().await.unwrap().to_bytes();
            match path.as_str() {
                "/v1/token" => {
                    let form = form(&body);
                    let subject = field(&form, "subject_token").unwrap_or_default().to_owned();
                    seen.lock().unwrap().subjects.push(subject.clone());
                    let expected = [
                        ("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"),
                        ("audience", AUDIENCE),
                        ("scope", "https://www.googleapis.com/auth/cloud-platform"),
                        ("requested_token_type", "urn:ietf:params:oauth:token-type:access_token"),
                        ("subject_token_type", JWT),
                    ];
                    let wrong = expected.iter().find(|(k, v)| field(&form, k) != Some(v));
                    if let Some((name, _)) = wrong {
                        return reply(400, format!(r#"{{"error":"invalid_request","error_description":"bad {name}"}}"#));
                    }
                    if subject != *valid.lock().unwrap() {
                        return reply(
                            400,
                            r#"{"error":"invalid_grant","error_description":"The audience in ID Token does not match the expected audience."}"#,
                        );
                    }
                    reply(
                        200,
                        format!(
                            r#"{{"access_token":"{FEDERATED}","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}}"#
                        ),
                    )
                }
                // gcloud's user login, as the source of an impersonation.
                "/user-token" => {
                    let form = form(&body);
                    if field(&form, "grant_type") != Some("refresh_token")
                        || field(&form, "refresh_token") != Some("REFRESH-SECRET")
                    {
                        return reply(400, r#"{"error":"invalid_grant"}"#);
                    }
                    reply(200, format!(r#"{{"access_token":"{USER}","expires_in":3600}}"#))
                }
                ACCOUNT_PATH => {
                    let asked: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                    let callers = [format!("Bearer {FEDERATED}"), format!("Bearer {USER}")];
                    if !callers.contains(&auth) || asked["scope"][0] != STORAGE_SCOPE {
                        return reply(
                            403,
                            r#"{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied","status":"PERMISSION_DENIED"}}"#,
                        );
                    }
                    seen.lock().unwrap().impersonations += 1;
                    let expires = SystemTime::now() + Duration::from_secs(3600);
                    reply(
                        200,
                        format!(
                            r#"{{"accessToken":"{IMPERSONATED}","expireTime":"{}"}}"#,
                            humantime::format_rfc3339_nanos(expires)
                        ),
                    )
                }
                "/oidc" if auth == format!("bearer {REQUEST_SECRET}") => {
                    reply(200, format!(r#"{{"count":1,"value":"{}"}}"#, valid.lock().unwrap()))
                }
                "/storage/v1/b/box" if auth == format!("Bearer {wanted}") => reply(200, BUCKET_JSON),
                _ => reply(
                    401,
                    r#"{"error":{"code":401,"message":"Invalid Credentials","errors":[{"reason":"authError"}]}}"#,
                ),
            }
        }
    })
    .await
}

/// GCS at `server`, authorized by `credentials`, on `clock`.
fn gcs(server: &TestServer, credentials: Credentials, clock: Arc<ManualClock>) -> cloud_gcp::Gcs {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .clock(clock)
        .build()
        .unwrap();
    GcsBuilder::new()
        .credentials(credentials)
        .endpoint(server.url(""))
        .http_client(client)
        .build()
        .unwrap()
}

/// An `external_account` file for `server`, with `source` as its credential_source.
fn credentials(server: &TestServer, source: serde_json::Value, impersonate: bool) -> Credentials {
    let mut file = serde_json::json!({
        "type": "external_account",
        "audience": AUDIENCE,
        "subject_token_type": JWT,
        "token_url": server.url("/v1/token"),
        "credential_source": source,
    });
    if impersonate {
        file["service_account_impersonation_url"] = server.url(ACCOUNT_PATH).into();
    }
    Credentials::from_json(&file.to_string()).unwrap()
}

#[tokio::test]
async fn a_token_file_is_exchanged_at_sts_and_read_again_when_the_token_is_renewed() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJ.first-projected-token\n").unwrap();
    let valid = Arc::new(Mutex::new("eyJ.first-projected-token".to_owned()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = google(valid.clone(), FEDERATED, seen.clone()).await;
    let clock = Arc::new(ManualClock::new());
    let source = serde_json::json!({"file": token_file, "format": {"type": "text"}});
    let gcs = gcs(&server, credentials(&server, source, false), clock.clone());
    gcs.get_container("box").await.expect("the federated token");
    gcs.get_container("box").await.unwrap();
    assert_eq!(
        seen.lock().unwrap().subjects.len(),
        1,
        "exchanged once, then cached"
    );

    // The platform rotates the file; the next exchange, when the token nears its end, reads it anew.
    std::fs::write(&token_file, "eyJ.rotated-token").unwrap();
    *valid.lock().unwrap() = "eyJ.rotated-token".to_owned();
    clock.advance(Duration::from_secs(3500));
    gcs.get_container("box")
        .await
        .expect("renewed with the rotated token");
    let subjects = seen.lock().unwrap().subjects.clone();
    assert_eq!(subjects, ["eyJ.first-projected-token", "eyJ.rotated-token"]);
    assert_eq!(seen.lock().unwrap().impersonations, 0);
}

#[tokio::test]
async fn a_token_url_in_json_is_exchanged_then_impersonates_a_service_account() {
    let valid = Arc::new(Mutex::new("eyJ.github-oidc".to_owned()));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = google(valid, IMPERSONATED, seen.clone()).await;
    // As google-github-actions/auth writes it: the request URL, its bearer header, a JSON answer.
    let source = serde_json::json!({
        "url": server.url("/oidc?audience=https://iam.googleapis.com"),
        "headers": {"Authorization": format!("bearer {REQUEST_SECRET}")},
        "format": {"type": "json", "subject_token_field_name": "value"},
    });
    let credentials = credentials(&server, source, true);
    let shown = format!("{credentials:?}");
    assert!(!shown.contains(REQUEST_SECRET), "{shown}");
    let gcs = gcs(&server, credentials, Arc::new(ManualClock::new()));
    let bucket = gcs
        .get_container("box")
        .await
        .expect("the service account's token");
    assert_eq!(bucket.extra.get("location").map(String::as_str), Some("EU"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.subjects, ["eyJ.github-oidc"]);
    assert_eq!(seen.impersonations, 1);
}

#[tokio::test]
async fn gclouds_impersonation_file_acts_as_the_service_account_through_the_users_login() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let server = google(Arc::default(), IMPERSONATED, seen.clone()).await;
    let file = serde_json::json!({
        "type": "impersonated_service_account",
        "service_account_impersonation_url": server.url(ACCOUNT_PATH),
        "source_credentials": {
            "type": "authorized_user",
            "client_id": "client-1",
            "client_secret": "CLIENT-SECRET",
            "refresh_token": "REFRESH-SECRET",
            "token_uri": server.url("/user-token"),
        },
        "delegates": [],
    });
    let credentials = Credentials::from_json(&file.to_string()).unwrap();
    let shown = format!("{credentials:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    let gcs = gcs(&server, credentials, Arc::default());
    gcs.get_container("box")
        .await
        .expect("the service account's token");
    gcs.get_container("box").await.unwrap();
    assert_eq!(seen.lock().unwrap().impersonations, 1, "then cached");
}

#[tokio::test]
async fn a_refused_or_missing_subject_token_is_unauthenticated_and_shows_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "eyJ.SUBJECT-SECRET").unwrap();
    let valid = Arc::new(Mutex::new("eyJ.another".to_owned()));
    let server = google(valid, FEDERATED, Arc::default()).await;
    let from = |source| gcs(&server, credentials(&server, source, false), Arc::default());
    let refused = from(serde_json::json!({"file": token_file}));
    let err = refused.get_container("box").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.code(), Some("invalid_grant"));
    let shown = format!("{err} {err:?} {refused:?}");
    assert!(!shown.contains("SUBJECT-SECRET"), "{shown}");

    let missing = from(serde_json::json!({"file": dir.path().join("gone")}));
    let err = missing.get_container("box").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.to_string().contains("subject token file"), "{err}");
}
