//! `cloud` between clouds: trees go from one provider to the next (S3 on s3s-fs in this test, Azure
//! Blob on Azurite, Google Cloud Storage on gcp-storage-emulator, Swift on a loopback cluster, all but
//! s3s-fs started by `cargo xtask test`) and arrive byte for byte.

use std::path::Path;
use std::process::{Command, Output};

use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};

fn azurite_connection_string() -> String {
    use cloud::storage::azure::{DEV_ACCOUNT, DEV_KEY};
    let host = cloud_tests::servers::azurite::host();
    let host = host.trim_end_matches('/');
    format!(
        "DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};\
         BlobEndpoint={host}/{DEV_ACCOUNT};"
    )
}

fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walkdir::WalkDir::new(root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(root).unwrap();
            (
                rel.to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

/// Runs `cloud` with `env` and nothing else of the caller's provider settings.
async fn run(env: Vec<(&'static str, String)>, args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_cloud"));
        for name in [
            "AWS_PROFILE",
            "AZURE_STORAGE_ACCOUNT",
            "AZURE_STORAGE_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "OS_AUTH_TYPE",
            "OS_PROJECT_NAME",
            "OS_STORAGE_URL",
            "OS_AUTH_TOKEN",
            "OS_APPLICATION_CREDENTIAL_ID",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "ALL_PROXY",
            "CLOUD_DEBUG",
        ] {
            command.env_remove(name);
        }
        command.envs(env).args(args).output().unwrap()
    })
    .await
    .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A tree of awkward names, and one file large enough to go up in parts or chunks everywhere.
fn write_tree(src: &Path) {
    let tree: &[(&str, &[u8])] = &[
        ("plain.txt", b"plain"),
        ("empty", b""),
        ("sub dir/ü/日本語.bin", &[0, 159, 146, 150]),
        ("100%/percent%20name+plus", b"%"),
    ];
    for (name, data) in tree {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let big: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(src.join("big.bin"), &big).unwrap();
}

/// A thousand small objects and one of 200 MiB go around every cloud: local → S3 → Azure → GCS →
/// Swift → local, each hop streamed from one provider to the next, and arrive byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_carries_a_tree_around_every_cloud_byte_exact() {
    let s3 = S3sServer::start().await;
    let env = vec![
        ("AWS_ENDPOINT_URL", s3.endpoint()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        (
            "AZURE_STORAGE_CONNECTION_STRING",
            azurite_connection_string(),
        ),
        ("STORAGE_EMULATOR_HOST", cloud_tests::servers::gcs::host()),
        ("OS_AUTH_URL", cloud_tests::servers::swift::auth_url()),
        ("OS_USERNAME", "test:tester".to_owned()),
        ("OS_PASSWORD", "testing".to_owned()),
    ];
    // gcp-storage-emulator serves one connection at a time, with a short listen queue: commands that
    // touch it keep four requests in flight, the others the default.
    let concurrency = |url: &str| {
        let n = if url.starts_with("gs://") { "4" } else { "16" };
        vec!["--concurrency".to_owned(), n.to_owned()]
    };
    let run = |args: Vec<String>| run(env.clone(), args);
    let work = tempfile::tempdir().unwrap();
    let (src, back) = (work.path().join("src"), work.path().join("back"));
    write_tree(&src);
    for i in 0..1000 {
        let path = src.join(format!("small/{:02}/{i:04}.txt", i % 10));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!("object {i}\n").repeat(i % 7)).unwrap();
    }
    let huge: Vec<u8> = (0..200u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(src.join("huge.bin"), &huge).unwrap();
    drop(huge);
    let name = format!("ring-{}", std::process::id());
    let clouds: Vec<String> = ["s3", "az", "gs", "swift"]
        .iter()
        .map(|scheme| format!("{scheme}://{name}"))
        .collect();
    for cloud in &clouds {
        ok(run(vec!["mb".into(), cloud.clone()]).await);
    }
    let mut from = src.to_str().unwrap().to_owned();
    for cloud in &clouds {
        let to = format!("{cloud}/tree");
        let started = std::time::Instant::now();
        let mut args = vec!["cp".into(), "-r".into(), from.clone(), to.clone()];
        args.extend(concurrency(if from.starts_with("gs://") {
            &from
        } else {
            &to
        }));
        ok(run(args).await);
        eprintln!("{from} → {to}: {:.1?}", started.elapsed());
        from = to;
    }
    let started = std::time::Instant::now();
    ok(run(vec![
        "cp".into(),
        "-r".into(),
        from,
        back.to_str().unwrap().into(),
    ])
    .await);
    eprintln!("back to local: {:.1?}", started.elapsed());
    assert_eq!(files(&src), files(&back), "every byte, around the ring");
    let stat = ok(run(vec![
        "--json".into(),
        "stat".into(),
        format!("swift://{name}/tree/huge.bin"),
    ])
    .await);
    assert!(
        stat.contains(&format!("\"size\":{}", 200u64 << 20)),
        "{stat}"
    );
    for cloud in &clouds {
        let started = std::time::Instant::now();
        let mut args = vec!["rb".into(), "--force".into(), cloud.clone()];
        args.extend(concurrency(cloud));
        ok(run(args).await);
        eprintln!("rb {cloud}: {:.1?}", started.elapsed());
        let gone = run(vec!["ls".into(), cloud.clone()]).await;
        assert_eq!(gone.status.code(), Some(1), "{cloud} is gone");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_moves_a_tree_from_s3_to_azure_and_back_byte_exact() {
    let s3 = S3sServer::start().await;
    let endpoint = s3.endpoint();
    let azure = azurite_connection_string();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let back = work.path().join("back");
    write_tree(&src);
    let container = format!("cross-{}", std::process::id());

    let env = vec![
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AZURE_STORAGE_CONNECTION_STRING", azure),
    ];
    let run = |args: Vec<String>| run(env.clone(), args);
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let az = |path: &str| format!("az://{container}{path}");

    ok(run(s(&["mb", "s3://cross-bucket"])).await);
    ok(run(vec!["mb".into(), az("")]).await);
    ok(run(s(&[
        "cp",
        "-r",
        src.to_str().unwrap(),
        "s3://cross-bucket/tree",
    ]))
    .await);
    ok(run(vec![
        "cp".into(),
        "-r".into(),
        "s3://cross-bucket/tree".into(),
        az("/tree"),
    ])
    .await);
    let listing = ok(run(vec!["ls".into(), "--recursive".into(), az("/tree/")]).await);
    assert!(listing.contains("tree/sub dir/ü/日本語.bin"), "{listing}");
    // The azure:// spelling reaches the same account.
    let plain = ok(run(vec![
        "cat".into(),
        format!("azure://{container}/tree/plain.txt"),
    ])
    .await);
    assert_eq!(plain, "plain");
    ok(run(vec![
        "cp".into(),
        "-r".into(),
        az("/tree"),
        back.to_str().unwrap().into(),
    ])
    .await);
    assert_eq!(files(&src), files(&back));
    let stat = ok(run(vec!["--json".into(), "stat".into(), az("/tree/big.bin")]).await);
    assert!(stat.contains("\"size\":20000000"), "{stat}");

    ok(run(vec!["rb".into(), "--force".into(), az("")]).await);
    let gone = run(vec!["ls".into(), az("")]).await;
    assert_eq!(gone.status.code(), Some(1), "the container is gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whoami_names_the_chain_link_the_role_and_the_expiry_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "oidc-token-planted").unwrap();
    let base = vec![
        ("AWS_ENDPOINT_URL", cloud_tests::servers::moto::endpoint()),
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            dir.path().join("none").display().to_string(),
        ),
        (
            "AWS_CONFIG_FILE",
            dir.path().join("none").display().to_string(),
        ),
        ("AWS_ACCESS_KEY_ID", String::new()),
        ("AWS_SECRET_ACCESS_KEY", String::new()),
    ];
    let mut web = base.clone();
    web.push(("AWS_WEB_IDENTITY_TOKEN_FILE", token.display().to_string()));
    web.push((
        "AWS_ROLE_ARN",
        "arn:aws:iam::123456789012:role/ci".to_owned(),
    ));
    web.push(("AWS_ROLE_SESSION_NAME", "job-42".to_owned()));
    let text = ok(run(web.clone(), vec!["whoami".into()]).await);
    assert!(text.contains("web identity"), "{text}");
    assert!(text.contains("assumed-role/ci/job-42"), "{text}");
    assert!(text.contains("expires") && text.contains(" min)"), "{text}");
    assert!(!text.contains("planted"), "{text}");
    let json = ok(run(web, vec!["--json".into(), "whoami".into()]).await);
    let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(value["source"], "web identity");
    assert!(value["expires"].is_string(), "{value}");

    let mut keys = base.clone();
    keys.retain(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"));
    keys.push(("AWS_ACCESS_KEY_ID", "AKIAWHOAMITEST".to_owned()));
    keys.push(("AWS_SECRET_ACCESS_KEY", "planted-secret".to_owned()));
    let text = ok(run(keys, vec!["whoami".into()]).await);
    assert!(
        text.contains("environment") && text.contains("AKIAWHOAMITEST"),
        "{text}"
    );
    assert!(text.contains("never"), "{text}");
    assert!(!text.contains("planted"), "{text}");

    let none = run(base, vec!["whoami".into()]).await;
    assert_eq!(none.status.code(), Some(1));
    let said = String::from_utf8_lossy(&none.stderr);
    assert!(
        said.contains("no AWS credentials") && said.contains("imds:"),
        "{said}"
    );
}
