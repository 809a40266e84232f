//! Raw hyper sending each provider's requests with the least a hand-rolled client does for the same
//! guarantees: the paths, the headers and bodies the driver sends (a PUT's MD5, and GCS's CRC-32C,
//! made from each body, as for new content; GCS's multipart upload with the object's name and
//! hashes), a whole read checked against the checksum its answer carries, as the driver checks it,
//! and authorization made once before timing.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use cloud_tests::servers::{azurite, gcs, swift};
use http_body_util::{BodyExt, Empty, Full};
use md5::Digest;

use super::{CONTAINER, IN_FLIGHT, LIST_KEYS, SMALL};
use cloud_tests::usage::drive;

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, std::convert::Infallible>;
type Client =
    hyper_util::client::legacy::Client<hyper_util::client::legacy::connect::HttpConnector, Body>;

/// Where requests go and how they are authorized.
pub(crate) struct Target {
    provider: String,
    client: Arc<Client>,
    /// The container's URL, without a trailing slash.
    base: String,
    /// Appended to every URL (Azure's account SAS), starting with `&` or empty.
    query: String,
    /// Sent with every request: `(name, value)`.
    headers: Vec<(&'static str, String)>,
    /// Sent with every 1 KiB PUT, made once (the body is always the same): the type of blob and the
    /// MD5 the service checks the body against, as the driver sends them.
    put_headers: Vec<(&'static str, String)>,
    /// The body of every 1 KiB PUT, shared as the driver's bench shares its own.
    put_body: Bytes,
}

fn full_body(bytes: Bytes) -> Body {
    Full::new(bytes).boxed_unsync()
}

/// The boundary of the multipart body of a GCS upload.
const GCS_BOUNDARY: &str = "cloud-bench-0123456789abcdef";

/// An account SAS for the Blob service, all permissions, valid for an hour (API 2020-12-06 and later).
fn account_sas() -> String {
    let version = cloud_azure::API_VERSION;
    let expiry = humantime::format_rfc3339_seconds(SystemTime::now() + Duration::from_secs(3600))
        .to_string();
    let to_sign = [
        cloud_azure::DEV_ACCOUNT,
        "rwdlac",
        "b",
        "sco",
        "",
        &expiry,
        "",
        "",
        version,
        "",
        "",
    ]
    .join("\n");
    let key = base64::engine::general_purpose::STANDARD
        .decode(cloud_azure::DEV_KEY)
        .unwrap();
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        to_sign.as_bytes(),
    );
    let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
    let encode = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "sv={version}&ss=b&srt=sco&sp=rwdlac&se={}&sig={}",
        encode(&expiry),
        encode(&signature)
    )
}

impl Target {
    pub(crate) async fn new(provider: &str) -> Target {
        let client = Arc::new(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<Body>(),
        );
        let (base, query, headers) = match provider {
            "azure" => (
                format!(
                    "{}/{}/{CONTAINER}",
                    azurite::host().trim_end_matches('/'),
                    cloud_azure::DEV_ACCOUNT
                ),
                format!("&{}", account_sas()),
                vec![("x-ms-version", cloud_azure::API_VERSION.to_owned())],
            ),
            "gcs" => (
                format!(
                    "{}/storage/v1/b/{CONTAINER}",
                    gcs::host().trim_end_matches('/')
                ),
                String::new(),
                Vec::new(),
            ),
            "swift" => {
                let request = http::Request::get(swift::auth_url())
                    .header("x-auth-user", "test:tester")
                    .header("x-auth-key", "testing")
                    .body(empty())
                    .unwrap();
                let response = client.request(request).await.expect("tempauth");
                let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
                (
                    format!("{}/{CONTAINER}", header("x-storage-url")),
                    String::new(),
                    vec![("x-auth-token", header("x-auth-token"))],
                )
            }
            other => panic!("unknown provider {other}"),
        };
        let put_body = Bytes::from(vec![1u8; SMALL]);
        let put_headers = match provider {
            "azure" => vec![("x-ms-blob-type", "BlockBlob".to_owned())],
            "gcs" => vec![(
                "content-type",
                format!("multipart/related; boundary={GCS_BOUNDARY}"),
            )],
            _ => Vec::new(),
        };
        Target {
            provider: provider.to_owned(),
            client,
            base,
            query,
            headers,
            put_headers,
            put_body,
        }
    }

    /// `(method, url)` of one request of `workload` for key number `i`.
    fn request(&self, workload: &str, i: usize) -> (http::Method, String) {
        let (q, key) = (&self.query, format!("k{i}"));
        match (self.provider.as_str(), workload) {
            ("gcs", "put-1k") => {
                let upload = self.base.replace("/storage/v1/", "/upload/storage/v1/");
                (
                    http::Method::POST,
                    format!("{upload}/o?uploadType=multipart"),
                )
            }
            ("gcs", "get-1k") => (
                http::Method::GET,
                format!("{}/o/{key}?alt=media", self.base),
            ),
            ("gcs", "head") => (http::Method::GET, format!("{}/o/{key}", self.base)),
            ("gcs", "list") => (
                http::Method::GET,
                format!("{}/o?prefix=list%2F&maxResults={LIST_KEYS}", self.base),
            ),
            ("azure", "list") => (
                http::Method::GET,
                format!(
                    "{}?restype=container&comp=list&prefix=list%2F{q}",
                    self.base
                ),
            ),
            ("swift", "list") => (
                http::Method::GET,
                format!("{}?format=json&prefix=list%2F", self.base),
            ),
            (_, "put-1k") => (
                http::Method::PUT,
                format!("{}/{key}?{}", self.base, q.trim_start_matches('&')),
            ),
            (_, "get-1k") => (
                http::Method::GET,
                format!("{}/{key}?{}", self.base, q.trim_start_matches('&')),
            ),
            (_, "head") => (
                http::Method::HEAD,
                format!("{}/{key}?{}", self.base, q.trim_start_matches('&')),
            ),
            (_, other) => panic!("unknown workload {other}"),
        }
    }

    async fn send(&self, workload: &str, i: usize) -> bool {
        // The Swift driver asks what a write replaces before it writes (a large object's segments
        // are deleted after it): the same requests, then, from raw hyper.
        if self.provider == "swift" && workload == "put-1k" && !self.head_allows_put(i).await {
            return false;
        }
        let (method, url) = self.request(workload, i);
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let body = if workload == "put-1k" {
            for (name, value) in &self.put_headers {
                builder = builder.header(*name, value);
            }
            // The hash the service checks the body against, made from the body as any client
            // writing new content must.
            let md5 = md5::Md5::digest(&self.put_body);
            match self.provider.as_str() {
                "gcs" => full_body(self.gcs_upload(i, &md5)),
                "azure" => {
                    builder = builder.header("content-md5", STANDARD.encode(md5));
                    full_body(self.put_body.clone())
                }
                _ => {
                    builder = builder.header("etag", cloud_core::hex::encode(md5));
                    full_body(self.put_body.clone())
                }
            }
        } else {
            empty()
        };
        let Ok(response) = self.client.request(builder.body(body).unwrap()).await else {
            return false;
        };
        let ok = response.status().is_success();
        let (parts, body) = response.into_parts();
        let Ok(whole) = body.collect().await.map(|b| b.to_bytes()) else {
            return false;
        };
        match workload {
            // The least a listing client does: find each name.
            "list" => {
                let marker: &[u8] = if self.provider == "azure" {
                    b"<Name>"
                } else {
                    b"\"name\""
                };
                ok && whole.windows(marker.len()).filter(|w| *w == marker).count() == LIST_KEYS
            }
            "get-1k" => ok && whole.len() == SMALL && self.vouched_for(&parts.headers, &whole),
            _ => ok,
        }
    }

    /// Whether `body` has the checksum the answer's headers give, as the driver checks a whole read:
    /// Azure's `Content-MD5`, Swift's ETag (an MD5), GCS's CRC-32C in `x-goog-hash`.
    fn vouched_for(&self, headers: &http::HeaderMap, body: &[u8]) -> bool {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        match self.provider.as_str() {
            "azure" => text("content-md5") == Some(&STANDARD.encode(md5::Md5::digest(body))),
            "swift" => {
                text("etag").map(|e| e.trim_matches('"'))
                    == Some(&cloud_core::hex::encode(md5::Md5::digest(body)))
            }
            _ => {
                let crc = STANDARD.encode(cloud_storage::crc32c(body).to_be_bytes());
                text("x-goog-hash")
                    .is_some_and(|h| h.split(',').any(|p| p.trim() == format!("crc32c={crc}")))
            }
        }
    }

    /// The multipart body of a GCS upload of key number `i`, as the driver sends it: the object's
    /// resource (name and the hashes GCS checks), then its bytes.
    fn gcs_upload(&self, i: usize, md5: &[u8]) -> Bytes {
        let head = format!(
            "--{GCS_BOUNDARY}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n\
             {{\"name\":\"k{i}\",\"crc32c\":\"{}\",\"md5Hash\":\"{}\"}}\r\n\
             --{GCS_BOUNDARY}\r\ncontent-type: application/octet-stream\r\n\r\n",
            STANDARD.encode(cloud_storage::crc32c(&self.put_body).to_be_bytes()),
            STANDARD.encode(md5)
        );
        let tail = format!("\r\n--{GCS_BOUNDARY}--\r\n");
        let mut body =
            bytes::BytesMut::with_capacity(head.len() + self.put_body.len() + tail.len());
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(&self.put_body);
        body.extend_from_slice(tail.as_bytes());
        body.freeze()
    }

    /// A HEAD of key number `i`: whether it answered, found or not.
    async fn head_allows_put(&self, i: usize) -> bool {
        let (method, url) = self.request("head", i);
        let mut builder = http::Request::builder().method(method).uri(url);
        for (name, value) in &self.headers {
            builder = builder.header(*name, value);
        }
        let Ok(response) = self.client.request(builder.body(empty()).unwrap()).await else {
            return false;
        };
        let status = response.status();
        response.into_body().collect().await.is_ok()
            && (status.is_success() || status == http::StatusCode::NOT_FOUND)
    }

    pub(crate) async fn run(&self, workload: &str, ops: usize) -> usize {
        // One request first, as the driver's first request opens a connection.
        let _ = self.send("head", 0).await;
        drive(ops, IN_FLIGHT, |i| self.send(workload, i)).await
    }
}

fn empty() -> Body {
    Empty::new().boxed_unsync()
}
