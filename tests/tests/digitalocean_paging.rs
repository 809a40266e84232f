//! DigitalOcean listings across pages. Prism answers every page with the document's one example, so
//! paging needs a responder of its own: this one serves pages of the document's example droplet (read
//! from Prism, which `cargo xtask test` starts), each under its own id, linked and counted as the API
//! links and counts them (`links.pages.next`, `meta.total`). Prism's verdict on the request itself is
//! `digitalocean_contract`'s.

use std::sync::Arc;

use cloud_compute::ComputeDriver;
use cloud_core::{Body, ErrorKind, ServiceConfig};
use cloud_digitalocean::{Droplets, DropletsBuilder};
use cloud_tests::forms::{field, pairs};
use cloud_tests::scripted::one_attempt_client;
use cloud_tests::server::{reply, TestServer};
use cloud_tests::servers::prism;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

/// The driver's page size, as it asks for it.
const PER_PAGE: usize = 200;

/// The document's example droplet, as Prism serves it.
async fn example_droplet() -> Value {
    let url = format!("{}/v2/droplets/3164444", prism::digitalocean());
    let mut req = cloud_core::request::request(http::Method::GET, url, Body::empty()).unwrap();
    let bearer = format!("Bearer {}", prism::TOKEN);
    req.headers_mut()
        .insert("authorization", bearer.parse().unwrap());
    let prism = one_attempt_client().service(ServiceConfig::new("prism"));
    let response = prism
        .send_buffered("GetDroplet", req)
        .await
        .expect("Prism's example droplet");
    let body = response.into_body().bytes().await.unwrap();
    let answer: Value = serde_json::from_slice(&body).unwrap();
    answer["droplet"].clone()
}

/// Droplets `first..first + count`, as one page of `total`, linking the next page when `next` is set.
fn page(example: &Value, first: usize, count: usize, total: usize, next: Option<usize>) -> String {
    let droplets: Vec<Value> = (first..first + count)
        .map(|i| {
            let mut droplet = example.clone();
            droplet["id"] = json!(1_000_000 + i);
            droplet["name"] = json!(format!("node-{i}"));
            droplet
        })
        .collect();
    let mut links = json!({});
    if let Some(n) = next {
        links["pages"] = json!({
            "next": format!("https://api.digitalocean.com/v2/droplets?page={n}&per_page={PER_PAGE}"),
        });
    }
    json!({"droplets": droplets, "links": links, "meta": {"total": total}}).to_string()
}

/// The `page` a request asked for, having checked that it asked for the driver's page size.
fn asked_page(uri: &http::Uri) -> usize {
    let query = pairs(uri.query().unwrap_or_default());
    assert_eq!(field(&query, "per_page"), Some("200"), "{uri}");
    field(&query, "page").and_then(|p| p.parse().ok()).unwrap()
}

fn droplets(server: &TestServer) -> Droplets {
    DropletsBuilder::new()
        .endpoint(server.url(""))
        .token(prism::TOKEN)
        .region("nyc3")
        .http_client(one_attempt_client())
        .build()
        .unwrap()
}

/// A responder serving `total` droplets `PER_PAGE` at a time, linking each page to the next.
async fn serving(total: usize) -> TestServer {
    let example = Arc::new(example_droplet().await);
    TestServer::start(move |req| {
        let example = example.clone();
        async move {
            let n = asked_page(req.uri());
            let first = (n - 1) * PER_PAGE;
            let count = total.saturating_sub(first).min(PER_PAGE);
            let next = (first + count < total).then_some(n + 1);
            reply(200, page(&example, first, count, total, next))
        }
    })
    .await
}

/// A responder that answers every request with `body`.
async fn always(body: String) -> TestServer {
    TestServer::start(move |_| {
        let body = body.clone();
        async move { reply(200, body) }
    })
    .await
}

#[tokio::test]
async fn four_hundred_and_fifty_droplets_are_listed_across_three_pages_in_order() {
    let server = serving(450).await;
    let nodes: Vec<_> = droplets(&server).list_nodes().try_collect().await.unwrap();
    let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
    let expected: Vec<String> = (0..450).map(|i| (1_000_000 + i).to_string()).collect();
    assert_eq!(ids, expected);
    assert_eq!(nodes[449].name, "node-449");
    let pages: Vec<usize> = server.seen().iter().map(|s| asked_page(&s.uri)).collect();
    assert_eq!(pages, [1, 2, 3], "one request a page, none past the last");
}

#[tokio::test]
async fn a_full_last_page_ends_the_listing_at_its_total() {
    // Exactly two full pages: the total, not one more request, says the second is the last.
    let server = serving(400).await;
    let nodes: Vec<_> = droplets(&server).list_nodes().try_collect().await.unwrap();
    assert_eq!(nodes.len(), 400);
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_server_that_links_pages_forever_is_read_only_to_its_total() {
    // The same full page, always linking another, with a total of 600.
    let server = always(page(&example_droplet().await, 0, PER_PAGE, 600, Some(2))).await;
    let (ok, failure) = until_error(droplets(&server).list_nodes()).await;
    assert!(failure.is_none(), "{failure:?}");
    assert_eq!(ok, 600);
    assert_eq!(server.requests(), 3);
}

#[tokio::test]
async fn pages_linked_without_a_total_are_listed_then_refused_rather_than_read_without_end() {
    let mut full: Value =
        serde_json::from_str(&page(&example_droplet().await, 0, PER_PAGE, 0, Some(2))).unwrap();
    full.as_object_mut().unwrap().remove("meta");
    let server = always(full.to_string()).await;
    let (ok, failure) = until_error(droplets(&server).list_nodes()).await;
    assert_eq!(ok, PER_PAGE, "the page's droplets are listed");
    let err = failure.expect("an endless listing ends with an error");
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(err.to_string().contains("meta.total"), "{err}");
    assert_eq!(server.requests(), 1);
}

/// Reads `listed` until its first error (within ten seconds): the items before it, and the error.
async fn until_error(
    mut listed: futures_util::stream::BoxStream<'static, cloud_core::Result<cloud_compute::Node>>,
) -> (usize, Option<cloud_core::Error>) {
    let read = async {
        let mut ok = 0;
        while let Some(item) = listed.next().await {
            match item {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert!(listed.next().await.is_none(), "the error ends the listing");
                    return (ok, Some(e));
                }
            }
        }
        (ok, None)
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the listing ends")
}

#[tokio::test]
async fn a_page_that_is_not_a_listing_ends_it_with_an_error_after_the_pages_before() {
    let example = Arc::new(example_droplet().await);
    let server = TestServer::start(move |req| {
        let example = example.clone();
        async move {
            if asked_page(req.uri()) == 2 {
                // An error document sent with 200: not an empty page.
                return reply(200, r#"{"id": "server_error", "message": "try again"}"#);
            }
            reply(200, page(&example, 0, PER_PAGE, 450, Some(2)))
        }
    })
    .await;
    let (ok, failure) = until_error(droplets(&server).list_nodes()).await;
    assert_eq!(ok, PER_PAGE, "the first page's droplets come first");
    let err = failure.expect("the second page is an error, not the end");
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
}
