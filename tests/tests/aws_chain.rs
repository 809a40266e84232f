//! The AWS default credential chain on the wire: IMDSv2 and container credentials against loopback
//! responders that follow the documented protocols (a session token required and checked, the
//! authorization token re-read from its file), `credential_process` with a script, and refreshes
//! ahead of expiry, shared by a thousand tasks, in the middle of a multipart upload to s3s-fs (which
//! verifies every signature). Each test runs in a process of its own under nextest, so each may set
//! the variables it needs.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cloud_aws::S3Builder;
use cloud_core::{ErrorKind, HttpClient, ManualClock, ProxyConfig};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{Payload, PutOptions, StorageDriver, StorageExt};
use cloud_tests::server::{reply, TestServer};
use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};
use futures_util::StreamExt;

/// Clears every variable the chain reads, and points the profile files at `dir`.
fn clean_environment(dir: &Path) {
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"));
    std::env::set_var("AWS_CONFIG_FILE", dir.join("config"));
    // Never the real metadata service, unless a test points at its responder.
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
}

fn rfc3339(at: SystemTime) -> String {
    humantime::format_rfc3339_seconds(at).to_string()
}

fn credentials_json(access_key: &str, token: &str, expires: SystemTime) -> String {
    format!(
        r#"{{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"{access_key}","SecretAccessKey":"{SECRET_KEY}","Token":"{token}","Expiration":"{}"}}"#,
        rfc3339(expires)
    )
}

fn client(clock: Option<Arc<ManualClock>>) -> HttpClient {
    let mut builder = HttpClient::builder().proxies(ProxyConfig::none());
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.build().unwrap()
}

/// An S3 driver on `endpoint` with no credentials given: the default chain finds them.
fn chained(endpoint: &str, clock: Option<Arc<ManualClock>>) -> cloud_aws::S3 {
    S3Builder::new()
        .endpoint(endpoint)
        .http_client(client(clock))
        .multipart(
            5 << 20,
            MultipartConfig::new().part_size(5 << 20).concurrency(2),
        )
        .build()
        .unwrap()
}

/// IMDSv2 as documented: `PUT /latest/api/token` with a TTL header gives a session token, which
/// every metadata read must carry; without it, 401.
async fn imds(seen: Arc<Mutex<Vec<String>>>) -> TestServer {
    TestServer::start(move |req| {
        let seen = seen.clone();
        async move {
            let line = format!("{} {}", req.method(), req.uri().path());
            seen.lock().unwrap().push(line.clone());
            let token = req
                .headers()
                .get("x-aws-ec2-metadata-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            match line.as_str() {
                "PUT /latest/api/token" => {
                    match req.headers().get("x-aws-ec2-metadata-token-ttl-seconds") {
                        Some(_) => reply(200, "imds-session-token"),
                        None => reply(400, "missing TTL"),
                    }
                }
                _ if token.as_deref() != Some("imds-session-token") => reply(401, ""),
                "GET /latest/meta-data/iam/security-credentials/" => reply(200, "web-role\n"),
                "GET /latest/meta-data/placement/region" => reply(200, "eu-west-3"),
                "GET /latest/meta-data/iam/security-credentials/web-role" => reply(
                    200,
                    credentials_json(
                        ACCESS_KEY,
                        "imds-role-token",
                        SystemTime::now() + Duration::from_secs(3600),
                    ),
                ),
                _ => reply(404, ""),
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imdsv2_credentials_sign_requests_s3s_verifies() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let metadata = imds(seen.clone()).await;
    std::env::remove_var("AWS_EC2_METADATA_DISABLED");
    std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url(""));
    let s3s = S3sServer::start().await;
    let s3 = chained(&s3s.endpoint(), None);
    s3.create_container("from-imds")
        .await
        .expect("signed with the role's keys");
    s3.put_bytes("from-imds", "k", "v").await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "PUT /latest/api/token",
            "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/web-role"
        ],
        "one session token, one role lookup, one credentials read for both requests"
    );
    assert!(format!("{s3:?}").contains("imds"), "{s3:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_region_comes_from_imds_placement_only_when_nothing_else_sets_it() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    std::env::remove_var("AWS_REGION");
    std::env::remove_var("AWS_DEFAULT_REGION");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let metadata = imds(seen.clone()).await;
    let ec2 = || cloud_aws::Ec2Builder::from_env().http_client(client(None));
    let off_ec2 = ec2().region_from_instance().await.unwrap().build().unwrap();
    assert!(
        format!("{off_ec2:?}").contains("region: \"us-east-1\""),
        "with IMDS disabled, the default: {off_ec2:?}"
    );
    assert!(seen.lock().unwrap().is_empty());

    std::env::remove_var("AWS_EC2_METADATA_DISABLED");
    std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url(""));
    let on_ec2 = ec2().region_from_instance().await.unwrap().build().unwrap();
    assert!(
        format!("{on_ec2:?}").contains("region: \"eu-west-3\""),
        "{on_ec2:?}"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "PUT /latest/api/token",
            "GET /latest/meta-data/placement/region"
        ]
    );

    seen.lock().unwrap().clear();
    std::env::set_var("AWS_REGION", "ap-south-1");
    let s3 = S3Builder::from_env()
        .http_client(client(None))
        .region_from_instance()
        .await
        .unwrap()
        .build()
        .unwrap();
    assert!(format!("{s3:?}").contains("ap-south-1"), "{s3:?}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "AWS_REGION wins without asking IMDS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn container_credentials_carry_the_rotated_authorization_token() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let endpoint = {
        let tokens = tokens.clone();
        TestServer::start(move |req| {
            let tokens = tokens.clone();
            async move {
                let auth = cloud_tests::server::header_text(&req, "authorization");
                tokens.lock().unwrap().push(auth.clone());
                if req.uri().path() != "/v2/credentials" || !auth.starts_with("pod-token-") {
                    return reply(403, r#"{"message":"forbidden"}"#);
                }
                reply(
                    200,
                    credentials_json(
                        ACCESS_KEY,
                        &format!("session-{auth}"),
                        SystemTime::now() + Duration::from_secs(900),
                    ),
                )
            }
        })
        .await
    };
    let token_file = dir.path().join("eks-pod-identity-token");
    std::fs::write(&token_file, "pod-token-1\n").unwrap();
    std::env::set_var(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        endpoint.url("/v2/credentials"),
    );
    std::env::set_var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token_file);
    let s3s = S3sServer::start().await;
    let clock = Arc::new(ManualClock::new());
    let s3 = chained(&s3s.endpoint(), Some(clock.clone()));
    s3.create_container("from-container").await.unwrap();
    // The agent rotates the token; the next refresh (inside five minutes of expiry) reads it again.
    std::fs::write(&token_file, "pod-token-2").unwrap();
    clock.advance(Duration::from_secs(700));
    s3.put_bytes("from-container", "k", "v").await.unwrap();
    assert_eq!(*tokens.lock().unwrap(), ["pod-token-1", "pod-token-2"]);

    // Over plain HTTP, only addresses on this machine (or ECS's and EKS's) may receive the token.
    std::env::set_var(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://creds.example.com/v2/credentials",
    );
    let err = chained(&s3s.endpoint(), None)
        .create_container("never")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.to_string().contains("FULL_URI"), "{err}");
}

/// A `credential_process` script that counts its runs in `counter` and prints credentials valid
/// for ten minutes from the test's clock (the wall clock plus the seconds in `offset`), with a
/// session token naming the run.
fn process_profile(dir: &Path, counter: &Path) {
    let script = dir.join("get-credentials.sh");
    let offset = dir.join("offset");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nn=$(( $(cat {counter} 2>/dev/null || echo 0) + 1 ))\necho $n > {counter}\n\
             skew=$(cat {offset} 2>/dev/null || echo 0)\n\
             exp=$(date -u -d @$(( $(date +%s) + skew + 600 )) +%Y-%m-%dT%H:%M:%SZ)\n\
             printf '{{\"Version\":1,\"AccessKeyId\":\"{ACCESS_KEY}\",\"SecretAccessKey\":\"{SECRET_KEY}\",\"SessionToken\":\"run-%s\",\"Expiration\":\"%s\"}}' $n $exp\n",
            counter = counter.display(),
            offset = offset.display()
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("config"),
        format!(
            "[profile tool]\ncredential_process = sh {}\n[profile broken]\ncredential_process = sh -c 'echo planted-secret; exit 3'\n",
            script.display()
        ),
    )
    .unwrap();
}

/// Moves the test's clock on by `by`, and tells the script.
fn advance(clock: &ManualClock, dir: &Path, by: Duration) {
    clock.advance(by);
    let offset = dir.join("offset");
    let before: u64 = std::fs::read_to_string(&offset)
        .map(|t| t.trim().parse().unwrap_or(0))
        .unwrap_or(0);
    std::fs::write(offset, (before + by.as_secs()).to_string()).unwrap();
}

fn runs(counter: &Path) -> usize {
    std::fs::read_to_string(counter)
        .map(|t| t.trim().parse().unwrap_or(0))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tasks_across_an_expiry_cause_one_refresh() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    let counter = dir.path().join("runs");
    process_profile(dir.path(), &counter);
    std::env::set_var("AWS_PROFILE", "tool");
    let requests = Arc::new(AtomicUsize::new(0));
    let server = {
        let requests = requests.clone();
        TestServer::start(move |_| {
            requests.fetch_add(1, Ordering::SeqCst);
            // A HEAD's answer says how long the object is.
            async {
                let mut response = cloud_tests::server::text(200, "");
                response
                    .headers_mut()
                    .insert("content-length", http::HeaderValue::from_static("0"));
                Ok(response)
            }
        })
        .await
    };
    let clock = Arc::new(ManualClock::new());
    let s3 = chained(&server.url(""), Some(clock.clone()));
    s3.head_object("b", "first").await.unwrap();
    assert_eq!(runs(&counter), 1);
    // Six minutes on, the ten-minute credentials are inside the five-minute refresh margin.
    advance(&clock, dir.path(), Duration::from_secs(360));
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let s3 = s3.clone();
            tokio::spawn(async move { s3.head_object("b", &format!("k{i}")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(
        runs(&counter),
        2,
        "exactly one refresh for a thousand tasks"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 1001);

    // A process that fails is an error naming the profile, and what it printed is not repeated.
    std::env::set_var("AWS_PROFILE", "broken");
    let err = chained(&server.url(""), None)
        .head_object("b", "k")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.to_string().contains("\"broken\""), "{err}");
    assert!(!format!("{err} {err:?}").contains("planted"), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_that_outlives_its_first_credentials_completes() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    let counter = dir.path().join("runs");
    process_profile(dir.path(), &counter);
    std::env::set_var("AWS_PROFILE", "tool");
    let s3s = S3sServer::start().await;
    let clock = Arc::new(ManualClock::new());
    let s3 = chained(&s3s.endpoint(), Some(clock.clone()));
    s3.create_container("long").await.unwrap();
    // 20 MiB in four parts; after the second, eight minutes pass.
    let part = || bytes::Bytes::from(vec![7u8; 5 << 20]);
    let (later, folder) = (clock.clone(), dir.path().to_owned());
    let chunks = futures_util::stream::iter(0..4).map(move |i| {
        if i == 2 {
            advance(&later, &folder, Duration::from_secs(480));
        }
        Ok::<_, std::io::Error>(part())
    });
    let meta = s3
        .put_object(
            "long",
            "big",
            Payload::from_stream(chunks, None),
            &PutOptions::new(),
        )
        .await
        .expect("completed with renewed credentials");
    assert_eq!(meta.size, 20 << 20);
    assert_eq!(runs(&counter), 2, "the credentials were renewed mid-upload");
    assert_eq!(s3.get_bytes("long", "big").await.unwrap().len(), 20 << 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_nothing_configured_the_error_lists_every_link() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    let err = chained("http://127.0.0.1:9", None)
        .head_object("b", "k")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    let message = err.to_string();
    for link in ["environment:", "profile:", "container:", "imds:"] {
        assert!(message.contains(link), "{link} in {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sso_profile_trades_the_cached_login_for_the_roles_credentials() {
    let dir = tempfile::tempdir().unwrap();
    clean_environment(dir.path());
    std::env::set_var("HOME", dir.path());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let portal = {
        let asked = asked.clone();
        TestServer::start(move |req| {
            let asked = asked.clone();
            async move {
                let bearer = cloud_tests::server::header_text(&req, "x-amz-sso_bearer_token");
                asked
                    .lock()
                    .unwrap()
                    .push(format!("{}?{}", req.uri().path(), req.uri().query().unwrap_or("")));
                if bearer != "sso-access-token" {
                    return reply(401, r#"{"message":"Session token not found or invalid"}"#);
                }
                let expires = SystemTime::now() + Duration::from_secs(3600);
                let ms = expires.duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
                reply(
                    200,
                    format!(
                        r#"{{"roleCredentials":{{"accessKeyId":"{ACCESS_KEY}","secretAccessKey":"{SECRET_KEY}","sessionToken":"sso-session","expiration":{ms}}}}}"#
                    ),
                )
            }
        })
        .await
    };
    std::env::set_var("AWS_ENDPOINT_URL_SSO", portal.url(""));
    std::fs::write(
        dir.path().join("config"),
        "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Admin\n\
         [sso-session my-sso]\nsso_region = eu-west-1\nsso_start_url = https://example.awsapps.com/start\n",
    )
    .unwrap();
    let cache = dir.path().join(".aws/sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    // The file `aws sso login` writes, named by the SHA-1 of the session's name.
    let login = cache.join("0ad374308c5a4e22f723adf10145eafad7c4031c.json");
    std::fs::write(
        &login,
        format!(
            r#"{{"startUrl":"https://example.awsapps.com/start","region":"eu-west-1","accessToken":"sso-access-token","expiresAt":"{}"}}"#,
            rfc3339(SystemTime::now() + Duration::from_secs(8 * 3600))
        ),
    )
    .unwrap();
    std::env::set_var("AWS_PROFILE", "dev");
    let s3s = S3sServer::start().await;
    let s3 = chained(&s3s.endpoint(), None);
    s3.create_container("from-sso")
        .await
        .expect("signed with the role's keys");
    assert_eq!(
        *asked.lock().unwrap(),
        ["/federation/credentials?account_id=111122223333&role_name=Admin"]
    );

    // An expired login says how to log in again.
    std::fs::write(
        &login,
        r#"{"accessToken":"sso-access-token","expiresAt":"2020-01-01T00:00:00Z"}"#,
    )
    .unwrap();
    let err = chained(&s3s.endpoint(), None)
        .create_container("never")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(
        err.to_string().contains("aws sso login --profile dev"),
        "{err}"
    );
}
