//! s3s-fs, an S3 server that stores objects in a folder, run in this process on `127.0.0.1:0` with SigV4
//! checking on.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::service::{service_fn, Service};
use hyper_util::rt::{TokioExecutor, TokioIo};
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The access key the server accepts.
pub const ACCESS_KEY: &str = "AKIACLOUDRSTEST";
/// Its secret.
pub const SECRET_KEY: &str = "cloud-rs-s3s-test-secret/0123456789abcdef";

/// A running s3s-fs server; stopped, and its folder removed, when dropped.
pub struct S3sServer {
    addr: SocketAddr,
    scheme: &'static str,
    accept_loop: JoinHandle<()>,
    _root: tempfile::TempDir,
}

/// The HTTP versions of the requests a TLS server answered, and its connections.
#[derive(Debug, Default)]
pub struct Seen {
    /// TLS connections accepted.
    pub connections: AtomicUsize,
    /// Requests answered over HTTP/2.
    pub http2: AtomicUsize,
    /// Requests answered over HTTP/1.1.
    pub http1: AtomicUsize,
}

impl S3sServer {
    /// Starts a server over a new, empty folder.
    pub async fn start() -> S3sServer {
        S3sServer::serving("http", |service, stream| async move {
            let _ = stream.set_nodelay(true);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        })
        .await
    }

    /// Starts a server over TLS (the certificate of [`tls`](crate::servers::tls), for `127.0.0.1`) that
    /// offers HTTP/2 and HTTP/1.1 by ALPN and serves whichever the client picks; `seen` counts what
    /// it served. Its endpoint is `https`.
    pub async fn start_tls(seen: Arc<Seen>) -> S3sServer {
        let acceptor = crate::servers::tls::acceptor(&[b"h2", b"http/1.1"]);
        S3sServer::serving("https", move |service, stream| {
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                seen.connections.fetch_add(1, Ordering::SeqCst);
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                let counted = service_fn(move |req: http::Request<Incoming>| {
                    let counter = if req.version() == http::Version::HTTP_2 {
                        &seen.http2
                    } else {
                        &seen.http1
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    Service::call(&service, req)
                });
                let io = TokioIo::new(tls);
                let _ = if h2 {
                    hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(io, counted)
                        .await
                } else {
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(io, counted)
                        .await
                };
            }
        })
        .await
    }

    /// A server on `127.0.0.1:0` over a new, empty folder, where `connection` serves each connection
    /// (in a task of its own) with the S3 service; its endpoint's scheme is `scheme`.
    async fn serving<F, Fut>(scheme: &'static str, connection: F) -> S3sServer
    where
        F: Fn(S3Service, TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
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
                tokio::spawn(connection(service.clone(), stream));
            }
        });
        S3sServer {
            addr,
            scheme,
            accept_loop,
            _root: root,
        }
    }

    /// `http://127.0.0.1:PORT`, or `https://…` for a server started with
    /// [`start_tls`](S3sServer::start_tls).
    pub fn endpoint(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }
}

impl Drop for S3sServer {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}
