//! `cloud` between clouds: a tree goes local → S3 (s3s-fs, in this test) → Azure Blob (Azurite) →
//! local, and local → Azure → Google Cloud Storage (gcp-storage-emulator) → local, and arrives byte
//! for byte. The emulators are started by `cargo xtask test`.

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cp_moves_a_tree_from_azure_to_gcs_and_back_byte_exact() {
    let env = vec![
        (
            "AZURE_STORAGE_CONNECTION_STRING",
            azurite_connection_string(),
        ),
        ("STORAGE_EMULATOR_HOST", cloud_tests::servers::gcs::host()),
    ];
    let run = |args: &[String]| run(env.clone(), args.to_vec());
    let work = tempfile::tempdir().unwrap();
    let (src, back) = (work.path().join("src"), work.path().join("back"));
    write_tree(&src);
    let name = format!("to-gcs-{}", std::process::id());
    let (az, gs) = (format!("az://{name}"), format!("gs://{name}"));
    let arg = |v: &str| v.to_owned();
    ok(run(&[arg("mb"), az.clone()]).await);
    ok(run(&[arg("mb"), gs.clone()]).await);
    ok(run(&[
        arg("cp"),
        arg("-r"),
        arg(src.to_str().unwrap()),
        format!("{az}/tree"),
    ])
    .await);
    ok(run(&[
        arg("cp"),
        arg("-r"),
        format!("{az}/tree"),
        format!("{gs}/tree"),
    ])
    .await);
    let listing = ok(run(&[arg("ls"), arg("--recursive"), format!("{gs}/tree/")]).await);
    assert!(listing.contains("tree/sub dir/ü/日本語.bin"), "{listing}");
    // The gcs:// spelling reaches the same buckets.
    let plain = ok(run(&[arg("cat"), format!("gcs://{name}/tree/plain.txt")]).await);
    assert_eq!(plain, "plain");
    ok(run(&[
        arg("cp"),
        arg("-r"),
        format!("{gs}/tree"),
        arg(back.to_str().unwrap()),
    ])
    .await);
    assert_eq!(files(&src), files(&back));
    let stat = ok(run(&[arg("--json"), arg("stat"), format!("{gs}/tree/big.bin")]).await);
    assert!(stat.contains("\"size\":20000000"), "{stat}");
    for url in [&gs, &az] {
        ok(run(&[arg("rb"), arg("--force"), url.clone()]).await);
        let gone = run(&[arg("ls"), url.clone()]).await;
        assert_eq!(gone.status.code(), Some(1), "{url} is gone");
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
