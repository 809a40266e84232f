//! Answers the drivers do not understand are errors that say what was expected and what came, never
//! an empty success: S3 and EC2 documents with another root, an EC2 error document sent with `200`, a
//! listing whose server hands out the same continuation token again, and one of empty pages without end.

use cloud_compute::ComputeDriver;
use cloud_core::ErrorKind;
use cloud_storage::{ListOptions, StorageDriver};
use cloud_tests::scripted::{ec2_on, one_attempt_client, s3_on};
use cloud_tests::server::{text, TestServer};
use futures_util::TryStreamExt;

async fn answering(body: &'static str) -> TestServer {
    TestServer::start(move |_| async move { Ok(text(200, body)) }).await
}

fn s3(server: &TestServer) -> cloud_aws::S3 {
    s3_on(server).build().unwrap()
}

fn ec2(server: &TestServer) -> cloud_aws::Ec2 {
    ec2_on(server).build().unwrap()
}

#[tokio::test]
async fn an_s3_document_with_another_root_is_an_error() {
    let server =
        answering("<?xml version=\"1.0\"?><Maintenance><Until>soon</Until></Maintenance>").await;
    let listed: Result<Vec<_>, _> = s3(&server)
        .list_objects("bucket", &ListOptions::new())
        .try_collect()
        .await;
    let err = listed.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    let shown = err.to_string();
    assert!(
        shown.contains("expected <ListBucketResult>, got <Maintenance>"),
        "{shown}"
    );
    let containers: Result<Vec<_>, _> = s3(&server).list_containers().try_collect().await;
    assert_eq!(containers.unwrap_err().kind(), ErrorKind::Unexpected);
}

#[tokio::test]
async fn an_s3_listing_that_repeats_its_token_ends_with_an_error() {
    let server = answering(
        "<ListBucketResult><Name>bucket</Name><IsTruncated>true</IsTruncated>\
         <NextContinuationToken>again</NextContinuationToken>\
         <Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>",
    )
    .await;
    let mut listing = s3(&server).list_objects("bucket", &ListOptions::new());
    let mut objects = 0;
    let err = loop {
        match listing.try_next().await {
            Ok(Some(_)) => objects += 1,
            Ok(None) => panic!("the listing ended as if complete"),
            Err(err) => break err,
        }
    };
    assert_eq!(
        objects, 2,
        "the two pages fetched are yielded, then the error"
    );
    assert_eq!(err.kind(), ErrorKind::Unexpected);
    assert!(err.to_string().contains("continuation token"), "{err}");
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn an_s3_listing_of_empty_pages_without_end_ends_with_an_error() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let page = std::sync::Arc::new(AtomicUsize::new(0));
    // Truncated and empty, each page with a token of its own.
    let server = TestServer::start(move |_| {
        let n = page.fetch_add(1, Ordering::SeqCst);
        async move {
            Ok(text(
                200,
                format!(
                    "<ListBucketResult><Name>bucket</Name><IsTruncated>true</IsTruncated>\
                     <NextContinuationToken>t{n}</NextContinuationToken></ListBucketResult>"
                ),
            ))
        }
    })
    .await;
    let listed = s3(&server).list_objects("bucket", &ListOptions::new());
    let within = std::time::Duration::from_secs(60);
    let listed: Result<Vec<_>, _> = tokio::time::timeout(within, listed.try_collect())
        .await
        .expect("the listing ends");
    let err = listed.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(err.to_string().contains("empty pages"), "{err}");
    let pages = cloud_core::pagination::EMPTY_PAGES_IN_A_ROW as usize;
    assert_eq!(server.requests(), pages);
}

#[tokio::test]
async fn an_ec2_error_document_sent_with_200_is_an_error() {
    let server = answering(
        "<?xml version=\"1.0\"?><Response><Errors><Error><Code>RequestLimitExceeded</Code>\
         <Message>Request limit exceeded.</Message></Error></Errors><RequestID>R1</RequestID></Response>",
    )
    .await;
    let listed: Result<Vec<_>, _> = ec2(&server).list_nodes().try_collect().await;
    let err = listed.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert_eq!(err.code(), Some("RequestLimitExceeded"));
}

#[tokio::test]
async fn an_ec2_document_with_another_root_is_an_error() {
    let server = answering("<DescribeVolumesResponse><volumeSet/></DescribeVolumesResponse>").await;
    let listed: Result<Vec<_>, _> = ec2(&server).list_nodes().try_collect().await;
    let err = listed.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(
        err.to_string()
            .contains("expected <DescribeInstancesResponse>, got <DescribeVolumesResponse>"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_past_the_buffered_limit_is_refused_not_held() {
    use cloud_core::ServiceConfig;
    use http_body_util::{BodyExt, StreamBody};
    // 65 chunks of 1 MiB without a Content-Length (chunked), and a Content-Length of 1 GiB.
    let server = TestServer::start(|req| async move {
        if req.uri().path() == "/declared" {
            // Promises 1 GiB and sends a few bytes: refused on the promise, before reading.
            let head = futures_util::stream::iter([Ok::<_, cloud_tests::server::Fault>(
                hyper::body::Frame::data(bytes::Bytes::from_static(b"<a>")),
            )]);
            let body = StreamBody::new(futures_util::StreamExt::chain(
                head,
                futures_util::stream::pending(),
            ));
            return Ok(http::Response::builder()
                .header(http::header::CONTENT_LENGTH, 1u64 << 30)
                .body(BodyExt::boxed(body))
                .unwrap());
        }
        let chunk = bytes::Bytes::from(vec![b'<'; 1 << 20]);
        let frames = futures_util::stream::iter((0..65).map(move |_| {
            Ok::<_, cloud_tests::server::Fault>(hyper::body::Frame::data(chunk.clone()))
        }));
        Ok(http::Response::new(BodyExt::boxed(StreamBody::new(frames))))
    })
    .await;
    let svc = one_attempt_client().service(ServiceConfig::new("test"));
    for path in ["/chunked", "/declared"] {
        let request = http::Request::get(server.url(path))
            .body(cloud_core::Body::empty())
            .unwrap();
        let err = svc.send_buffered("Get", request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected, "{path}: {err}");
        assert!(err.to_string().contains("64 MiB"), "{path}: {err}");
    }
}
