//! The STS links of the AWS default chain against moto's STS: a web identity from the environment,
//! roles chained through profiles, and `GetCallerIdentity` saying which role the credentials are.
//! Each test runs in a process of its own under nextest, so each may set the variables it needs.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cloud_aws::{caller_identity, Credentials, DefaultChain, S3Builder};
use cloud_core::{
    async_trait, ErrorKind, HttpClient, ManualClock, Provide, ProxyConfig, Result, TemporaryToken,
};
use cloud_storage::multipart::MultipartConfig;
use cloud_storage::{Payload, PutOptions, StorageDriver, StorageExt};
use cloud_tests::servers::moto;
use futures_util::StreamExt;

fn environment(dir: &Path) {
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"));
    std::env::set_var("AWS_CONFIG_FILE", dir.join("config"));
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_ENDPOINT_URL", moto::endpoint());
    std::env::set_var("AWS_REGION", "us-east-1");
}

fn client(clock: Option<Arc<ManualClock>>) -> HttpClient {
    let mut builder = HttpClient::builder().proxies(ProxyConfig::none());
    if let Some(clock) = clock {
        builder = builder.clock(clock);
    }
    builder.build().unwrap()
}

async fn who(client: &HttpClient, credentials: Credentials) -> String {
    caller_identity(client, credentials)
        .await
        .expect("GetCallerIdentity")
        .arn
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_identity_from_the_environment_becomes_the_role() {
    let dir = tempfile::tempdir().unwrap();
    environment(dir.path());
    let token = dir.path().join("token");
    std::fs::write(&token, "eyJhbGciOiJSUzI1NiJ9.oidc-token-of-the-ci.sig\n").unwrap();
    std::env::set_var("AWS_WEB_IDENTITY_TOKEN_FILE", &token);
    std::env::set_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci-deployer");
    std::env::set_var("AWS_ROLE_SESSION_NAME", "ci-run-7");
    let client = client(None);
    let chain = DefaultChain::for_client(&client);
    let provided = chain
        .provide()
        .await
        .expect("STS gave the role's credentials");
    assert_eq!(chain.chosen(), Some("web identity"));
    assert!(provided.token.session_token().is_some());
    assert!(
        provided.expires_at.is_some(),
        "temporary credentials expire"
    );
    assert!(
        who(&client, provided.token)
            .await
            .ends_with("assumed-role/ci-deployer/ci-run-7"),
        "the credentials are the role's"
    );
    // A driver built without credentials finds the same, and works.
    let s3 = S3Builder::from_env().http_client(client).build().unwrap();
    let bucket = format!("web-identity-{}", std::process::id());
    s3.create_container(&bucket).await.unwrap();
    s3.put_bytes(&bucket, "k", "v").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_chain_through_source_profiles_and_a_loop_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    environment(dir.path());
    std::fs::write(
        dir.path().join("credentials"),
        format!(
            "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            moto::ACCESS_KEY,
            moto::SECRET_KEY
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("config"),
        "[profile middle]\nrole_arn = arn:aws:iam::123456789012:role/middle\nsource_profile = base\n\
         [profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = middle\n\
         role_session_name = top-session\n\
         [profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
         [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n",
    )
    .unwrap();
    std::env::set_var("AWS_PROFILE", "top");
    let client = client(None);
    let chain = DefaultChain::for_client(&client);
    let provided = chain.provide().await.expect("two roles assumed in turn");
    assert_eq!(chain.chosen(), Some("profile"));
    assert!(
        who(&client, provided.token)
            .await
            .ends_with("assumed-role/top/top-session"),
        "the last role of the chain"
    );

    std::env::set_var("AWS_PROFILE", "a");
    let err = DefaultChain::for_client(&client)
        .provide()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("loop"), "{err}");
}

/// Counts how often the chain is asked.
#[derive(Debug)]
struct Counting {
    chain: DefaultChain,
    asked: AtomicUsize,
}

#[async_trait]
impl Provide<Credentials> for Counting {
    async fn provide(&self) -> Result<TemporaryToken<Credentials>> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.chain.provide().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_upload_outlives_the_role_credentials_it_began_with() {
    let dir = tempfile::tempdir().unwrap();
    environment(dir.path());
    let token = dir.path().join("token");
    std::fs::write(&token, "oidc-token").unwrap();
    std::env::set_var("AWS_WEB_IDENTITY_TOKEN_FILE", &token);
    std::env::set_var("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/uploader");
    let clock = Arc::new(ManualClock::new());
    let client = client(Some(clock.clone()));
    let counting = Arc::new(Counting {
        chain: DefaultChain::for_client(&client),
        asked: AtomicUsize::new(0),
    });
    let s3 = S3Builder::from_env()
        .http_client(client)
        .credentials_provider(counting.clone())
        .multipart(
            5 << 20,
            MultipartConfig::new().part_size(5 << 20).concurrency(2),
        )
        .build()
        .unwrap();
    let bucket = format!("outlived-{}", std::process::id());
    s3.create_container(&bucket).await.unwrap();
    assert_eq!(counting.asked.load(Ordering::SeqCst), 1);
    // After the second of four parts, the role's credentials (an hour or more) run out.
    let later = clock.clone();
    let chunks = futures_util::stream::iter(0..4).map(move |i| {
        if i == 2 {
            later.advance(Duration::from_secs(13 * 3600));
        }
        Ok::<_, std::io::Error>(bytes::Bytes::from(vec![i as u8; 5 << 20]))
    });
    let meta = s3
        .put_object(
            &bucket,
            "big",
            Payload::from_stream(chunks, None),
            &PutOptions::new(),
        )
        .await
        .expect("the upload completes with renewed credentials");
    assert_eq!(meta.size, 20 << 20);
    assert!(
        counting.asked.load(Ordering::SeqCst) >= 2,
        "renewed mid-upload"
    );
    let back = s3.get_bytes(&bucket, "big").await.unwrap();
    assert_eq!(back.len(), 20 << 20);
    assert!(back[15 << 20..].iter().all(|b| *b == 3));
}
