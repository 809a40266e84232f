//! s3s-fs, an S3 server that stores objects in a folder, run in this process on `127.0.0.1:0` with SigV4
//! checking on.

use std::net::SocketAddr;

use hyper_util::rt::TokioIo;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "AKIACLOUDRSTEST";
/// Its secret.
pub const SECRET_KEY: &str = "cloud-rs-s3s-test-secret/0123456789abcdef";

/// A running s3s-fs server; stopped, and its folder removed, when dropped.
pub struct S3sServer {
    addr: SocketAddr,
    accept_loop: JoinHandle<()>,
    _root: tempfile::TempDir,
}

impl S3sServer {
    /// Starts a server over a new, empty folder.
    pub async fn start() -> S3sServer {
        let root = tempfile::tempdir().expect("a folder for s3s-fs");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs over the folder");
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let accept_loop = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let service = service.clone();
                tokio::spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        S3sServer {
            addr,
            accept_loop,
            _root: root,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for S3sServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}
