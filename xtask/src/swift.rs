//! OpenStack Swift on loopback: `pip install swift` into `.cache/swift-venv`, rings of one device
//! each, the account, container and object servers and a proxy with tempauth (fernet tokens, so no
//! memcached), TempURL, copy and Static Large Objects. Everything lives in a fresh `.cache/swift`.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::cmd::run;
use crate::servers::{cache, free_port, python_tool_in, wait_listening, Server};

/// A throwaway fernet key for this loopback cluster's tempauth tokens.
const FERNET_KEY: &str = "c2VydmVycy1vbi1sb29wYmFjay1vbmx5LXRlc3Qta2U=";

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}

fn server_conf(dir: &Path, kind: &str, port: u16) -> String {
    format!(
        "[DEFAULT]\nswift_dir = {etc}\ndevices = {srv}\nmount_check = false\nbind_ip = 127.0.0.1\n\
         bind_port = {port}\nworkers = 0\nlog_name = {kind}\nlog_level = WARNING\n\n\
         [pipeline:main]\npipeline = {kind}-server\n\n[app:{kind}-server]\nuse = egg:swift#{kind}\n",
        etc = dir.join("etc").display(),
        srv = dir.join("srv").display(),
    )
}

fn proxy_conf(dir: &Path, port: u16) -> String {
    let filters = [
        "catch_errors",
        "gatekeeper",
        "healthcheck",
        "proxy_logging",
        "listing_formats",
        "tempurl",
        "copy",
        "slo",
        "dlo",
    ];
    let mut conf = format!(
        "[DEFAULT]\nswift_dir = {etc}\nbind_ip = 127.0.0.1\nbind_port = {port}\nworkers = 0\n\
         log_name = proxy\nlog_level = WARNING\n\n\
         [pipeline:main]\npipeline = catch_errors gatekeeper healthcheck proxy_logging \
         listing_formats tempurl tempauth copy slo dlo proxy_logging proxy-server\n\n\
         [app:proxy-server]\nuse = egg:swift#proxy\naccount_autocreate = true\n\
         allow_account_management = true\n\n\
         [filter:tempauth]\nuse = egg:swift#tempauth\nuser_test_tester = testing .admin\n\
         fernet_key_k1 = {FERNET_KEY}\nactive_fernet_key_id = k1\ntoken_life = 86400\n",
        etc = dir.join("etc").display(),
    );
    for filter in filters {
        conf.push_str(&format!("\n[filter:{filter}]\nuse = egg:swift#{filter}\n"));
    }
    conf
}

fn spawn(bin: &Path, kind: &str, dir: &Path) -> Result<Child, String> {
    let log = std::fs::File::create(dir.join(format!("{kind}.log")))
        .map_err(|e| format!("creating the Swift {kind} log: {e}"))?;
    let program = bin.join(format!("swift-{kind}-server"));
    Command::new(&program)
        .arg(dir.join("etc").join(format!("{kind}-server.conf")))
        .env("PYTHONWARNINGS", "ignore")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", program.display()))
}

/// Processes killed when dropped, unless taken out.
struct Started(Vec<Child>);

impl Drop for Started {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A one-replica Swift cluster on free loopback ports; `CLOUD_TEST_SWIFT` is its proxy, where
/// `/auth/v1.0` answers `test:tester` with key `testing`.
pub(crate) fn swift() -> Result<Server, String> {
    let proxy = python_tool_in("swift-venv", "swift-proxy-server", &["swift"])?;
    let bin = proxy.parent().ok_or("the venv has no bin")?.to_owned();
    let dir = cache().join("swift");
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["etc", "srv/d1"] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|e| format!("creating {}: {e}", dir.join(sub).display()))?;
    }
    let etc = dir.join("etc");
    write(
        &etc.join("swift.conf"),
        "[swift-hash]\nswift_hash_path_suffix = cloudtests\nswift_hash_path_prefix = cloudtests\n\n\
         [storage-policy:0]\nname = gold\ndefault = yes\n",
    )?;
    let ports = [free_port()?, free_port()?, free_port()?];
    for (kind, port) in ["account", "container", "object"].iter().zip(ports) {
        let builder = etc.join(format!("{kind}.builder"));
        let ring = |args: &[&str]| {
            run(Command::new(bin.join("swift-ring-builder"))
                .arg(&builder)
                .args(args)
                .env("PYTHONWARNINGS", "ignore")
                .stdout(Stdio::null()))
        };
        ring(&["create", "0", "1", "1"])?;
        ring(&["add", &format!("r1z1-127.0.0.1:{port}/d1"), "1"])?;
        // rebalance exits 1 with a warning on a ring this small; the ring file is what counts.
        let _ = ring(&["rebalance"]);
        if !etc.join(format!("{kind}.ring.gz")).exists() {
            return Err(format!("swift-ring-builder made no {kind} ring"));
        }
        write(
            &etc.join(format!("{kind}-server.conf")),
            &server_conf(&dir, kind, port),
        )?;
    }
    let proxy_port = free_port()?;
    write(
        &etc.join("proxy-server.conf"),
        &proxy_conf(&dir, proxy_port),
    )?;
    // Until all four listen, a failure stops the ones already started.
    let mut started = Started(Vec::new());
    for (kind, port) in ["account", "container", "object", "proxy"]
        .iter()
        .zip(ports.into_iter().chain([proxy_port]))
    {
        started.0.push(spawn(&bin, kind, &dir)?);
        let child = started.0.last_mut().expect("just pushed");
        wait_listening(
            &format!("the Swift {kind} server"),
            child,
            port,
            Duration::from_secs(60),
        )
        .map_err(|e| format!("{e} (see .cache/swift/{kind}.log)"))?;
    }
    let mut others = std::mem::take(&mut started.0);
    let child = others.pop().expect("the proxy");
    eprintln!("started Swift on 127.0.0.1:{proxy_port}");
    Ok(Server {
        child,
        others,
        env: vec![("CLOUD_TEST_SWIFT", format!("http://127.0.0.1:{proxy_port}"))],
    })
}
