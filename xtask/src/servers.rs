//! The real servers the tests need: installed into `.cache/` when missing, started on free loopback
//! ports, stopped when the guard is dropped. A server that cannot be installed or started fails the run
//! with a message saying what went wrong.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{install, run, workspace_root};

/// A server process, killed when dropped.
pub(crate) struct Server {
    pub(crate) child: Child,
    /// Further processes of the same server (Swift runs four).
    pub(crate) others: Vec<Child>,
    /// `CLOUD_TEST_…` variables and their endpoints, for the tests.
    pub(crate) env: Vec<(&'static str, String)>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Quietly: the test runner's summary stays the last thing printed.
        for child in std::iter::once(&mut self.child).chain(&mut self.others) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(crate) fn cache() -> PathBuf {
    workspace_root().join(".cache")
}

pub(crate) fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free loopback port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// Waits until something listens on `port`, or the process exits, or `limit` passes.
pub(crate) fn wait_listening(
    name: &str,
    child: &mut Child,
    port: u16,
    limit: Duration,
) -> Result<(), String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{name} exited ({status}) before it listened on port {port}"
            ));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{name} did not listen on port {port} within {limit:?}"
    ))
}

type Lock = std::sync::Arc<std::sync::Mutex<()>>;

/// The lock of the virtual environment `.cache/NAME`: one installer at a time in each.
fn venv_lock(name: &str) -> Lock {
    static LOCKS: std::sync::Mutex<Vec<(String, Lock)>> = std::sync::Mutex::new(Vec::new());
    let mut locks = LOCKS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, lock)) = locks.iter().find(|(n, _)| n == name) {
        return lock.clone();
    }
    let lock = Lock::default();
    locks.push((name.to_owned(), lock.clone()));
    lock
}

/// A Python virtual environment in `.cache/venv` with `packages` installed (from PyPI, once).
fn python_tool(binary: &str, packages: &[&str]) -> Result<PathBuf, String> {
    python_tool_in("venv", binary, packages)
}

/// Like [`python_tool`], in the virtual environment `.cache/NAME` (for a server whose dependencies
/// are best kept apart from the others').
pub(crate) fn python_tool_in(
    name: &str,
    binary: &str,
    packages: &[&str],
) -> Result<PathBuf, String> {
    // Servers start side by side; one of them at a time creates a venv and installs into it.
    let lock = venv_lock(name);
    let _one_at_a_time = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let venv = cache().join(name);
    let tool = venv.join("bin").join(binary);
    if tool.exists() {
        return Ok(tool);
    }
    if !venv.join("bin/pip").exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .map_err(|e| format!("{e}: the tests need Python 3 with venv to install {binary}"))?;
    }
    install(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet"])
            .args(packages),
    )?;
    if tool.exists() {
        Ok(tool)
    } else {
        Err(format!("installing {packages:?} did not provide {binary}"))
    }
}

/// The virtual environment's Python with `module` importable, installing `package` from PyPI if needed.
pub(crate) fn python_with(module: &str, package: &str) -> Result<PathBuf, String> {
    let lock = venv_lock("venv");
    let _one_at_a_time = lock
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let venv = cache().join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").arg("-m").arg("venv").arg(&venv))
            .map_err(|e| format!("{e}: Python 3 with venv is needed for {package}"))?;
    }
    let importable = |python: &PathBuf| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !importable(&python) {
        install(Command::new(venv.join("bin/pip")).args(["install", "--quiet", package]))?;
    }
    Ok(python)
}

/// moto, emulating AWS (S3, EC2) on a free loopback port.
pub(crate) fn moto() -> Result<Server, String> {
    let binary = python_tool("moto_server", &["moto[server]"])?;
    let port = free_port()?;
    let log = std::fs::File::create(cache().join("moto.log"))
        .map_err(|e| format!("creating the moto log: {e}"))?;
    let mut child = Command::new(&binary)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    if let Err(e) = wait_listening("moto", &mut child, port, Duration::from_secs(60)) {
        let _ = child.kill();
        return Err(format!("{e} (see .cache/moto.log)"));
    }
    eprintln!("started moto on 127.0.0.1:{port}");
    Ok(Server {
        child,
        others: Vec::new(),
        env: vec![("CLOUD_TEST_MOTO", format!("http://127.0.0.1:{port}"))],
    })
}

/// An npm package installed into `.cache/{dir}` (from the npm registry, once); the path of its
/// `binary`. Each server has a folder of its own: two installs side by side in one folder break each
/// other's dependencies.
fn npm_tool(dir: &str, binary: &str, package: &str) -> Result<PathBuf, String> {
    let prefix = cache().join(dir);
    let tool = prefix.join("node_modules/.bin").join(binary);
    if tool.exists() {
        return Ok(tool);
    }
    std::fs::create_dir_all(&prefix).map_err(|e| format!("creating {}: {e}", prefix.display()))?;
    install(
        Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(package),
    )
    .map_err(|e| format!("{e}: the tests need Node.js and npm to install {package}"))?;
    if tool.exists() {
        Ok(tool)
    } else {
        Err(format!("installing {package} did not provide {binary}"))
    }
}

/// Azurite, Microsoft's Azure Storage emulator (Blob service only), on a free loopback port, with its
/// data in a fresh folder. It checks Shared Key and SAS signatures.
pub(crate) fn azurite() -> Result<Server, String> {
    let binary = npm_tool("npm", "azurite-blob", "azurite@3")?;
    let (child, port) = start_azurite(&binary, "azurite", &[])?;
    // A second one speaks HTTPS and checks Entra ID bearer tokens (Azurite accepts them only over
    // TLS); its certificate is a test-only one for 127.0.0.1, signed by tests/data/azurite-tls/ca.pem.
    let tls = workspace_root().join("tests/data/azurite-tls");
    let cert = tls.join("cert.pem").display().to_string();
    let key = tls.join("key.pem").display().to_string();
    let oauth = ["--oauth", "basic", "--cert", &cert, "--key", &key];
    let (oauth_child, oauth_port) = match start_azurite(&binary, "azurite-oauth", &oauth) {
        Ok(started) => started,
        Err(e) => {
            let mut child = child;
            let _ = child.kill();
            return Err(e);
        }
    };
    Ok(Server {
        child,
        others: vec![oauth_child],
        env: vec![
            ("CLOUD_TEST_AZURITE", format!("http://127.0.0.1:{port}")),
            (
                "CLOUD_TEST_AZURITE_OAUTH",
                format!("https://127.0.0.1:{oauth_port}"),
            ),
        ],
    })
}

/// One Azurite Blob service with its own data directory and log, `extra` arguments added.
fn start_azurite(
    binary: &std::path::Path,
    name: &str,
    extra: &[&str],
) -> Result<(Child, u16), String> {
    let port = free_port()?;
    let data = cache().join(format!("{name}-data"));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| format!("creating {}: {e}", data.display()))?;
    let log = std::fs::File::create(cache().join(format!("{name}.log")))
        .map_err(|e| format!("creating the Azurite log: {e}"))?;
    let mut child = Command::new(binary)
        .args(["--blobHost", "127.0.0.1", "--blobPort", &port.to_string()])
        .arg("--location")
        .arg(&data)
        .args(["--skipApiVersionCheck", "--silent"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    if let Err(e) = wait_listening("Azurite", &mut child, port, Duration::from_secs(60)) {
        let _ = child.kill();
        return Err(format!("{e} (see .cache/{name}.log)"));
    }
    eprintln!("started {name} on 127.0.0.1:{port}");
    Ok((child, port))
}

/// gcp-storage-emulator, a Google Cloud Storage emulator (JSON API), in memory on a free loopback port.
pub(crate) fn gcs() -> Result<Server, String> {
    let binary = python_tool("gcp-storage-emulator", &["gcp-storage-emulator"])?;
    let port = free_port()?;
    let log = std::fs::File::create(cache().join("gcs-emulator.log"))
        .map_err(|e| format!("creating the GCS emulator log: {e}"))?;
    let mut child = Command::new(&binary)
        .args([
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--in-memory",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    if let Err(e) = wait_listening(
        "gcp-storage-emulator",
        &mut child,
        port,
        Duration::from_secs(60),
    ) {
        let _ = child.kill();
        return Err(format!("{e} (see .cache/gcs-emulator.log)"));
    }
    eprintln!("started gcp-storage-emulator on 127.0.0.1:{port}");
    Ok(Server {
        child,
        others: Vec::new(),
        env: vec![("CLOUD_TEST_GCS", format!("http://127.0.0.1:{port}"))],
    })
}

/// Prism serving DigitalOcean's OpenAPI document (tests/data/specs), with `--errors`: a request that
/// breaks the document is answered with an error, and its violation is logged to `.cache/prism.log`.
pub(crate) fn prism() -> Result<Server, String> {
    let binary = npm_tool("npm-prism", "prism", "@stoplight/prism-cli@5")?;
    let port = free_port()?;
    let spec = workspace_root().join("tests/data/specs/digitalocean-compute.yaml");
    let log =
        std::fs::File::create(prism_log()).map_err(|e| format!("creating the Prism log: {e}"))?;
    let mut child = Command::new(&binary)
        .args([
            "mock",
            "--errors",
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .arg(&spec)
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    if let Err(e) = wait_listening("Prism", &mut child, port, Duration::from_secs(60)) {
        let _ = child.kill();
        return Err(format!("{e} (see .cache/prism.log)"));
    }
    eprintln!("started Prism (DigitalOcean API v2) on 127.0.0.1:{port}");
    Ok(Server {
        child,
        others: Vec::new(),
        env: vec![(
            "CLOUD_TEST_PRISM_DIGITALOCEAN",
            format!("http://127.0.0.1:{port}"),
        )],
    })
}

/// Where Prism logs each request and every violation of the document.
pub(crate) fn prism_log() -> PathBuf {
    cache().join("prism.log")
}

/// The violations Prism logged: requests the driver sent that break DigitalOcean's document.
pub(crate) fn prism_violations() -> Vec<String> {
    let log = std::fs::read_to_string(prism_log()).unwrap_or_default();
    log.lines()
        .filter(|line| line.contains("Violation:"))
        .map(|line| line.trim().to_owned())
        .collect()
}

/// mimic, Rackspace's OpenStack emulator (Keystone v2.0, Nova, Glance and Cinder listings), on a
/// free loopback port, in a virtual environment of its own: it needs an `attrs` older than the
/// other servers' (24 dropped `attr.validators.provides`, which mimic's plugins use).
pub(crate) fn mimic() -> Result<Server, String> {
    let twistd = python_tool_in("mimic-venv", "twistd", &["mimic==2.2.0", "attrs<24"])?;
    let port = free_port()?;
    let log = std::fs::File::create(cache().join("mimic.log"))
        .map_err(|e| format!("creating the mimic log: {e}"))?;
    let mut child = Command::new(&twistd)
        .args(["-n", "--pidfile=", "mimic", "-l"])
        .arg(format!("tcp:{port}:interface=127.0.0.1"))
        .current_dir(cache())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("starting {}: {e}", twistd.display()))?;
    if let Err(e) = wait_listening("mimic", &mut child, port, Duration::from_secs(60)) {
        let _ = child.kill();
        return Err(format!("{e} (see .cache/mimic.log)"));
    }
    eprintln!("started mimic (OpenStack) on 127.0.0.1:{port}");
    Ok(Server {
        child,
        others: Vec::new(),
        env: vec![("CLOUD_TEST_MIMIC", format!("http://127.0.0.1:{port}"))],
    })
}

/// Every server the tests need, installed and started side by side; the first failure is reported.
pub(crate) fn all() -> Result<Vec<Server>, String> {
    start(&[moto, azurite, gcs, crate::swift::swift, prism, mimic])
}

/// The storage emulators of the providers besides AWS (for `cargo xtask bench clouds`).
pub(crate) fn emulators() -> Result<Vec<Server>, String> {
    start(&[azurite, gcs, crate::swift::swift])
}

/// Starts `servers` side by side; fails with the first error, stopping those that started.
fn start(servers: &[fn() -> Result<Server, String>]) -> Result<Vec<Server>, String> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = servers.iter().map(|start| scope.spawn(start)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a server start panicked".to_owned()))
            })
            .collect()
    })
}
