//! Recorded answers on loopback: a server that sends the first request of each kind on to the
//! emulator, keeps its answer, and gives that answer at once to every later request of the kind.
//! Measured against it, a client's CPU is its own work, as on the S3 bench's responder: the emulator
//! no longer runs on the same two cores between every request, and its pace no longer sets how often
//! the client sleeps and wakes.
//!
//! A kind is the method, the path with the bench's key numbers (`k17`, `k912`) made one, and the
//! query's parameter names (with the values of those that choose an operation: `alt`, `comp`,
//! `restype`, `format`, `uploadType`). Every object of a workload has the same content, so one
//! object's answer, checksums included, is right for all.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};

type Forwarder = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// An answer as the emulator gave it.
struct Recorded {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

struct Replay {
    upstream: String,
    /// `127.0.0.1:PORT` of the emulator, replaced by this server's own in the answers' headers
    /// (Swift's `X-Storage-Url`), so that clients come back here.
    upstream_authority: String,
    own_authority: String,
    forwarder: Forwarder,
    answers: Mutex<HashMap<String, Arc<Recorded>>>,
}

/// Serves recorded answers of the emulator at `upstream`; prints `http://127.0.0.1:PORT` first.
pub(crate) fn serve(upstream: &str) {
    super::runtime().block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let own_authority = listener.local_addr().unwrap().to_string();
        println!("http://{own_authority}");
        std::io::stdout().flush().unwrap();
        let upstream = upstream.trim_end_matches('/').to_owned();
        let upstream_authority = upstream
            .parse::<Uri>()
            .unwrap()
            .authority()
            .unwrap()
            .to_string();
        let replay = Arc::new(Replay {
            upstream,
            upstream_authority,
            own_authority,
            forwarder: Client::builder(TokioExecutor::new()).build_http(),
            answers: Mutex::new(HashMap::new()),
        });
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let replay = replay.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let replay = replay.clone();
                    async move { replay.answer(req).await }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
}

impl Replay {
    async fn answer(&self, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
        let head = req.method() == Method::HEAD;
        let kind = kind(req.method(), req.uri());
        let known = self.answers.lock().unwrap().get(&kind).cloned();
        let recorded = match known {
            Some(recorded) => recorded,
            None => {
                let recorded = Arc::new(self.forward(req).await?);
                // Only a success is kept: a miss (a key not yet written) is no answer for the kind.
                if recorded.status.is_success() {
                    self.answers.lock().unwrap().insert(kind, recorded.clone());
                }
                recorded
            }
        };
        let mut response = Response::new(Full::new(recorded.body.clone()));
        *response.status_mut() = recorded.status;
        *response.headers_mut() = recorded.headers.clone();
        if !head {
            // hyper sets the length of the body it sends.
            response.headers_mut().remove(http::header::CONTENT_LENGTH);
        }
        Ok(response)
    }

    /// Sends `req` on to the emulator and reads its whole answer.
    async fn forward(&self, req: Request<Incoming>) -> Result<Recorded, hyper::Error> {
        let (mut parts, body) = req.into_parts();
        let body = body.collect().await?.to_bytes();
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        parts.uri = format!("{}{target}", self.upstream).parse().unwrap();
        parts.headers.remove(http::header::HOST);
        let response = self
            .forwarder
            .request(Request::from_parts(parts, Full::new(body)))
            .await
            .expect("the emulator answers");
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        let mut headers = HeaderMap::new();
        for (name, value) in &parts.headers {
            if matches!(
                name.as_str(),
                "connection" | "keep-alive" | "transfer-encoding"
            ) {
                continue;
            }
            let value = match value.to_str() {
                Ok(text) if text.contains(&self.upstream_authority) => HeaderValue::from_str(
                    &text.replace(&self.upstream_authority, &self.own_authority),
                )
                .unwrap(),
                _ => value.clone(),
            };
            headers.append(name.clone(), value);
        }
        Ok(Recorded {
            status: parts.status,
            headers,
            body,
        })
    }
}

/// The kind of a request: see the module's docs.
fn kind(method: &Method, uri: &Uri) -> String {
    let numbered =
        |s: &str| s.len() > 1 && s.starts_with('k') && s[1..].bytes().all(|b| b.is_ascii_digit());
    let path: Vec<&str> = uri
        .path()
        .split('/')
        .map(|s| if numbered(s) { "k#" } else { s })
        .collect();
    let mut params: Vec<String> = cloud_tests::forms::pairs(uri.query().unwrap_or(""))
        .into_iter()
        .map(|(name, value)| match name.as_str() {
            "alt" | "comp" | "restype" | "format" | "uploadType" => format!("{name}={value}"),
            _ => name,
        })
        .collect();
    params.sort();
    format!("{method} {}?{}", path.join("/"), params.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_one_workload_are_one_kind_and_operations_are_not() {
        let of = |m: Method, u: &str| kind(&m, &u.parse().unwrap());
        assert_eq!(
            of(Method::GET, "/devstoreaccount1/b/k1?sv=1&sig=a"),
            of(Method::GET, "/devstoreaccount1/b/k912?sv=1&sig=b")
        );
        assert_ne!(
            of(Method::GET, "/storage/v1/b/b/o/k1?alt=media"),
            of(Method::GET, "/storage/v1/b/b/o/k1")
        );
        assert_ne!(
            of(Method::GET, "/a/b?restype=container&comp=list"),
            of(Method::GET, "/a/b?restype=container")
        );
        assert_ne!(
            of(Method::HEAD, "/v1/a/b/k1"),
            of(Method::GET, "/v1/a/b/k1")
        );
    }
}
