//! A bucket in another region, as S3 answers for it: a request signed for the wrong region gets `301
//! PermanentRedirect` (or `400 AuthorizationHeaderMalformed`) naming the bucket's region in
//! `x-amz-bucket-region`; the driver signs it again for that region, once, and remembers the region.

use std::sync::{Arc, Mutex};

use cloud_storage::StorageExt;
use cloud_tests::scripted::s3_on;
use cloud_tests::server::{reply, text, TestServer};

/// A bucket `far` in eu-west-1 (answering the wrong region as `status` does) and `near` anywhere;
/// records the credential scope's region of each request.
async fn s3_with_a_far_bucket(status: u16, seen: Arc<Mutex<Vec<String>>>) -> TestServer {
    TestServer::start(move |req| {
        let seen = seen.clone();
        async move {
            let auth = cloud_tests::server::header_text(&req, "authorization");
            // `Credential=AKID/20261207/REGION/s3/aws4_request`.
            let region = auth
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').nth(2))
                .unwrap_or_default()
                .to_owned();
            let path = req.uri().path().to_owned();
            seen.lock().unwrap().push(format!("{} {path} {region}", req.method()));
            if path.starts_with("/far") && region != "eu-west-1" {
                let code = if status == 301 { "PermanentRedirect" } else { "AuthorizationHeaderMalformed" };
                let mut response = text(
                    status,
                    format!("<Error><Code>{code}</Code><Message>wrong region</Message><Region>eu-west-1</Region></Error>"),
                );
                response.headers_mut().insert(
                    "x-amz-bucket-region",
                    http::HeaderValue::from_static("eu-west-1"),
                );
                return Ok(response);
            }
            match req.method().as_str() {
                "GET" => reply(200, "far away"),
                _ => {
                    let mut response = text(200, "");
                    response.headers_mut().insert("etag", http::HeaderValue::from_static("\"0b9c2625dc21ef05f6ad4ddf47c5f203\""));
                    Ok(response)
                }
            }
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_elsewhere_is_signed_for_its_region_once_and_remembered() {
    for status in [301, 400] {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let server = s3_with_a_far_bucket(status, seen.clone()).await;
        let s3 = s3_on(&server).region("us-east-1").build().unwrap();
        s3.put_bytes("far", "k", "far away")
            .await
            .expect("sent again, signed for eu-west-1");
        assert_eq!(s3.get_bytes("far", "k").await.unwrap(), "far away");
        s3.put_bytes("near", "k", "far away").await.unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "PUT /far/k us-east-1",
                "PUT /far/k eu-west-1",
                "GET /far/k eu-west-1",
                "PUT /near/k us-east-1",
            ],
            "{status}: one refusal, then straight to the bucket's region"
        );
    }
}
