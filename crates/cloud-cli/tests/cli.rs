//! The `cloud` binary, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

fn cloud(root: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloud"))
        .env("CLOUD_LOCAL_ROOT", root)
        .env_remove("CLOUD_DEBUG")
        .args(args)
        .output()
        .expect("run cloud")
}

fn ok(root: &Path, args: &[&str]) -> String {
    let out = cloud(root, args);
    assert!(
        out.status.success(),
        "cloud {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Fails with one clear line on standard error, status 1, no panic.
fn user_error(root: &Path, args: &[&str]) -> String {
    let out = cloud(root, args);
    assert_eq!(out.status.code(), Some(1), "cloud {args:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("cloud: "), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
    stderr
}

fn make_tree(dir: &Path) {
    let files: &[(&str, &[u8])] = &[
        ("plain.txt", b"plain"),
        ("empty", b""),
        ("sub dir/with space+plus~tilde#hash?q=1&x.txt", b"odd"),
        ("sub dir/ü/日本語.bin", &[0, 159, 146, 150]),
        ("deep/a/b/c/d/e.json", b"{}"),
        ("100%/percent%20name", b"%"),
    ];
    for (name, data) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, data).unwrap();
    }
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(dir.join("big.bin"), big).unwrap();
}

fn assert_same_tree(a: &Path, b: &Path) {
    let list = |root: &Path| -> Vec<(String, Vec<u8>)> {
        let mut files: Vec<_> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let rel = e.path().strip_prefix(root).unwrap().display().to_string();
                (rel, std::fs::read(e.path()).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    assert_eq!(list(a), list(b));
}

#[test]
fn a_folder_tree_with_odd_names_round_trips_byte_exact() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let src = work.path().join("src");
    let back = work.path().join("back");
    make_tree(&src);
    ok(&root, &["mb", "local://bucket"]);
    let up = ok(
        &root,
        &[
            "cp",
            "--recursive",
            "--concurrency",
            "4",
            src.to_str().unwrap(),
            "local://bucket/tree",
        ],
    );
    assert!(up.contains("copied 7 files"), "{up}");
    let down = ok(
        &root,
        &["cp", "-r", "local://bucket/tree", back.to_str().unwrap()],
    );
    assert!(down.contains("copied 7 files"), "{down}");
    assert_same_tree(&src, &back);
}

#[test]
fn single_objects_copy_cat_stat_and_remove() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let file = work.path().join("note.md");
    std::fs::write(&file, "# hello").unwrap();
    ok(&root, &["mb", "local://b"]);
    ok(&root, &["cp", file.to_str().unwrap(), "local://b/docs/"]);
    assert_eq!(ok(&root, &["cat", "local://b/docs/note.md"]), "# hello");
    ok(
        &root,
        &["cp", "local://b/docs/note.md", "local://b/copy.md"],
    );
    let stat: serde_json::Value =
        serde_json::from_str(&ok(&root, &["--json", "stat", "local://b/copy.md"])).unwrap();
    assert_eq!(stat["size"], 7);
    assert_eq!(stat["content_type"], "text/markdown");
    let listed = ok(&root, &["--json", "ls", "local://b"]);
    let entries: Vec<serde_json::Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "{listed}");
    assert_eq!(entries[0]["key"], "copy.md");
    assert_eq!(entries[1]["prefix"], "docs/");
    let out = work.path().join("out.md");
    ok(
        &root,
        &["cp", "local://b/docs/note.md", out.to_str().unwrap()],
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "# hello");
    ok(&root, &["rm", "local://b/copy.md"]);
    ok(&root, &["rm", "--recursive", "local://b/docs"]);
    assert_eq!(ok(&root, &["ls", "--recursive", "local://b"]), "");
    ok(&root, &["rb", "local://b"]);
}

#[test]
fn user_errors_print_one_line_and_exit_1() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    ok(&root, &["mb", "local://b"]);
    assert!(user_error(&root, &["cat", "local://b/missing"]).contains("not found"));
    assert!(user_error(&root, &["ls", "nosuch://x"]).contains("no storage provider for nosuch://"));
    assert!(user_error(&root, &["mb", "local://b"]).contains("already exists"));
    assert!(user_error(&root, &["cp", "local://b/../../etc", "x"]).contains("invalid input"));
    ok(&root, &["cp", "/dev/null", "local://b/k"]);
    assert!(user_error(&root, &["rb", "local://b"]).contains("not empty"));
    let no_root = Command::new(env!("CARGO_BIN_EXE_cloud"))
        .env_remove("CLOUD_LOCAL_ROOT")
        .args(["ls", "local://b"])
        .output()
        .unwrap();
    assert_eq!(no_root.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&no_root.stderr).contains("CLOUD_LOCAL_ROOT"));
}

#[test]
fn links_out_of_the_root_are_neither_read_nor_written_nor_removed() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let outside = work.path().join("etc");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("passwd"), "root:x:0:0").unwrap();
    ok(&root, &["mb", "local://box"]);
    std::os::unix::fs::symlink(&outside, root.join("box/link")).unwrap();
    std::os::unix::fs::symlink(&outside, root.join("evil")).unwrap();
    let err = user_error(&root, &["cat", "local://box/link/passwd"]);
    assert!(err.contains("symbolic link"), "{err}");
    let file = work.path().join("x");
    std::fs::write(&file, "planted").unwrap();
    user_error(&root, &["cp", file.to_str().unwrap(), "local://box/link/y"]);
    assert!(!outside.join("y").exists());
    assert!(user_error(&root, &["ls", "local://evil"]).contains("not found"));
    assert!(!ok(&root, &["ls", "local://"]).contains("evil"));
    ok(&root, &["rb", "--force", "local://box"]);
    assert_eq!(
        std::fs::read_to_string(outside.join("passwd")).unwrap(),
        "root:x:0:0"
    );
}

#[test]
fn rb_force_removes_the_objects_then_the_container() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path().join("root");
    let src = work.path().join("src");
    make_tree(&src);
    ok(&root, &["mb", "local://gone"]);
    ok(&root, &["cp", "-r", src.to_str().unwrap(), "local://gone"]);
    ok(&root, &["rb", "--force", "local://gone"]);
    assert!(!ok(&root, &["ls", "local://"]).contains("gone"));
}

/// The same commands on `s3://`, against s3s-fs (which checks signatures) running in this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_urls_work_in_every_command() {
    use cloud_tests::servers::s3s::{S3sServer, ACCESS_KEY, SECRET_KEY};
    let server = S3sServer::start().await;
    let endpoint = server.endpoint();
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("src");
    let back = work.path().join("back");
    make_tree(&src);
    let run = move |args: Vec<String>| {
        let endpoint = endpoint.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_cloud"))
                    .env("AWS_ENDPOINT_URL", endpoint)
                    .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
                    .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
                    .env("AWS_REGION", "us-east-1")
                    .env_remove("AWS_PROFILE")
                    .env_remove("HTTPS_PROXY")
                    .env_remove("HTTP_PROXY")
                    .env_remove("ALL_PROXY")
                    .args(args)
                    .output()
                    .unwrap()
            })
            .await
            .unwrap()
        }
    };
    let ok = |out: Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    ok(run(s(&["mb", "s3://tree-bucket"])).await);
    ok(run(s(&[
        "cp",
        "-r",
        src.to_str().unwrap(),
        "s3://tree-bucket/tree",
    ]))
    .await);
    let listing = ok(run(s(&["ls", "s3://tree-bucket/tree/"])).await);
    assert!(listing.contains("tree/sub dir/"), "{listing}");
    ok(run(s(&[
        "cp",
        "-r",
        "s3://tree-bucket/tree",
        back.to_str().unwrap(),
    ]))
    .await);
    assert_same_tree(&src, &back);
    assert_eq!(
        ok(run(s(&["cat", "s3://tree-bucket/tree/plain.txt"])).await),
        "plain"
    );
    ok(run(s(&[
        "cp",
        "s3://tree-bucket/tree/plain.txt",
        "s3://tree-bucket/copy.txt",
    ]))
    .await);
    let stat = ok(run(s(&["--json", "stat", "s3://tree-bucket/copy.txt"])).await);
    assert!(stat.contains("\"size\":5"), "{stat}");
    ok(run(s(&["rm", "--recursive", "s3://tree-bucket/tree"])).await);
    ok(run(s(&["rm", "s3://tree-bucket/copy.txt"])).await);
    assert_eq!(
        ok(run(s(&["ls", "--recursive", "s3://tree-bucket"])).await),
        ""
    );
    let denied = Command::new(env!("CARGO_BIN_EXE_cloud"))
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", "not-the-secret-Q7zX")
        .args(["ls", "s3://"])
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(
        stderr.contains("unauthenticated") && !stderr.contains("Q7zX"),
        "{stderr}"
    );
}

#[test]
fn compute_commands_create_wait_and_list_on_the_memory_cloud() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    let out = ok(
        root,
        &[
            "--json",
            "compute",
            "--provider",
            "memory",
            "create-node",
            "web",
            "--image",
            "ubuntu-24.04",
            "--size",
            "small",
            "--count",
            "3",
            "--wait",
        ],
    );
    let nodes: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(nodes.len(), 3);
    assert!(nodes.iter().all(|n| n["state"] == "running"), "{out}");
    assert_eq!(nodes[2]["name"], "web-3");
    let sizes = ok(root, &["compute", "list-sizes"]);
    assert!(
        sizes.lines().next().unwrap().starts_with("ID") && sizes.contains("medium"),
        "{sizes}"
    );
    let key = ok(root, &["compute", "create-key-pair", "deploy"]);
    assert!(key.contains("BEGIN OPENSSH PRIVATE KEY"), "{key}");
    assert!(user_error(
        root,
        &[
            "compute",
            "create-node",
            "x",
            "--image",
            "missing",
            "--size",
            "small"
        ]
    )
    .contains("not found"));
    assert!(
        user_error(root, &["compute", "--provider", "nimbus", "list-nodes"])
            .contains("no compute provider")
    );
}

/// `--provider ec2` against moto, which `cargo xtask test` starts.
#[test]
fn compute_commands_work_on_ec2() {
    let endpoint = cloud_tests::servers::moto::endpoint();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cloud"))
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_ACCESS_KEY_ID", cloud_tests::servers::moto::ACCESS_KEY)
            .env(
                "AWS_SECRET_ACCESS_KEY",
                cloud_tests::servers::moto::SECRET_KEY,
            )
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .args(args)
            .output()
            .unwrap()
    };
    let images = run(&["--json", "compute", "--provider", "ec2", "list-images"]);
    assert!(
        images.status.success(),
        "{}",
        String::from_utf8_lossy(&images.stderr)
    );
    let stdout = String::from_utf8_lossy(&images.stdout).into_owned();
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    let image = first["id"].as_str().unwrap().to_owned();
    let created = run(&[
        "--json",
        "compute",
        "--provider",
        "ec2",
        "create-node",
        "cli-node",
        "--image",
        &image,
        "--size",
        "t2.micro",
        "--count",
        "2",
        "--wait",
    ]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let nodes: Vec<serde_json::Value> = String::from_utf8_lossy(&created.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(nodes.len(), 2);
    assert!(nodes.iter().all(|n| n["state"] == "running"));
    let mut names: Vec<&str> = nodes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    names.sort();
    assert_eq!(
        names,
        ["cli-node-1", "cli-node-2"],
        "--count names as --help says"
    );
    let listed = run(&["--json", "compute", "--provider", "ec2", "list-nodes"]);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.contains("\"name\":\"cli-node-2\""), "{listed}");
    let sizes = run(&["--json", "compute", "--provider", "ec2", "list-sizes"]);
    let size: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&sizes.stdout)
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(size["vcpus"].is_u64(), "numbers are numbers: {size}");
    assert!(size["price_per_hour"].is_null(), "absent is null: {size}");
    let id = nodes[0]["id"].as_str().unwrap();
    assert!(run(&["compute", "--provider", "ec2", "destroy-node", id])
        .status
        .success());
}

/// `--provider digitalocean --endpoint` against Prism serving DigitalOcean's API document, which
/// `cargo xtask test` starts: the requests are ones the document allows, and the output has the same
/// shape as every other provider's.
#[test]
fn compute_commands_work_on_digitalocean() {
    let endpoint = cloud_tests::servers::prism::digitalocean();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cloud"))
            .env("DIGITALOCEAN_TOKEN", cloud_tests::servers::prism::TOKEN)
            .env_remove("DIGITALOCEAN_API_URL")
            .args([
                "--json",
                "compute",
                "--provider",
                "digitalocean",
                "--endpoint",
            ])
            .arg(&endpoint)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let nodes = run(&["list-nodes"]);
    assert!(nodes
        .iter()
        .any(|n| n["id"] == "3164444" && n["state"] == "running"));
    assert_eq!(nodes[0]["type"], "node");
    let sizes = run(&["list-sizes"]);
    assert_eq!(sizes[0]["id"], "s-1vcpu-1gb");
    assert_eq!(sizes[0]["vcpus"], 1, "numbers are numbers: {}", sizes[0]);
    assert!(sizes[0]["price_per_hour"].is_f64(), "{}", sizes[0]);
    let created = run(&[
        "create-node",
        "web",
        "--image",
        "63663980",
        "--size",
        "s-1vcpu-1gb",
        "--location",
        "nyc3",
    ]);
    assert_eq!(created[0]["type"], "node");
    assert!(run(&["reboot-node", "3164444"]).is_empty());

    let without_token = Command::new(env!("CARGO_BIN_EXE_cloud"))
        .env_remove("DIGITALOCEAN_TOKEN")
        .env_remove("DIGITALOCEAN_ACCESS_TOKEN")
        .args(["compute", "--provider", "digitalocean", "list-nodes"])
        .output()
        .unwrap();
    assert_eq!(without_token.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&without_token.stderr).contains("DIGITALOCEAN_TOKEN"),
        "{}",
        String::from_utf8_lossy(&without_token.stderr)
    );
}

/// `--provider openstack` against mimic (which `cargo xtask test` starts), configured as an OpenStack
/// RC file would be: a Keystone v2.0 auth URL, a user, a password and a project, a region.
#[test]
fn compute_commands_work_on_openstack() {
    let tenant = format!("cli-{}", std::process::id());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cloud"))
            .env_remove("OS_CLOUD")
            .env_remove("OS_COMPUTE_API_URL")
            .env("OS_AUTH_URL", cloud_tests::servers::mimic::auth_url())
            .env("OS_USERNAME", &tenant)
            .env("OS_PASSWORD", "PLANTED-OS-PASSWORD")
            .env("OS_PROJECT_NAME", &tenant)
            .env("OS_REGION_NAME", cloud_tests::servers::mimic::REGION)
            .env("OS_COMPUTE_SERVICE_NAME", "cloudServersOpenStack")
            .args(["--json", "compute", "--provider", "openstack"])
            .args(args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("PLANTED-OS-PASSWORD"), "{stderr}");
        assert!(out.status.success(), "{args:?}: {stderr}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let sizes = run(&["list-sizes"]);
    assert!(sizes.iter().any(|s| s["id"] == "2"), "{sizes:?}");
    let images = run(&["list-images"]);
    let image = images[0]["id"].as_str().unwrap().to_owned();
    let created = run(&[
        "create-node",
        "web",
        "--image",
        &image,
        "--size",
        "2",
        "--count",
        "2",
        "--wait",
    ]);
    let names: Vec<&str> = created
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web-1", "web-2"]);
    assert!(
        created.iter().all(|n| n["state"] == "running"),
        "{created:?}"
    );
    let listed = run(&["list-nodes"]);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let id = created[0]["id"].as_str().unwrap();
    assert!(run(&["destroy-node", id]).is_empty());
    assert_eq!(run(&["list-nodes"]).len(), 1);
}
