//! Keystone v3 as its API reference documents it: `POST /v3/auth/tokens` with a password (or an
//! application credential) scoped to a project, answered `201` with the token in `X-Subject-Token`
//! and a catalog whose object-store endpoint, by region and interface, is where Swift requests go.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cloud_core::{ErrorKind, HttpClient, ProxyConfig, Secret};
use cloud_openstack::{Credentials, SwiftBuilder};
use cloud_storage::{ListOptions, StorageDriver};
use cloud_tests::server::{reply, text, TestServer};
use futures_util::TryStreamExt;
use http_body_util::BodyExt;

const TOKEN: &str = "gAAAAABkeystone-subject-token";

/// The documented answer, with the object-store endpoints of two regions pointing back at `host`.
fn token_answer(host: &str) -> String {
    format!(
        r#"{{"token": {{"methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
            "project": {{"domain": {{"id": "default", "name": "Default"}}, "id": "p1", "name": "demo"}},
            "catalog": [
              {{"type": "identity", "name": "keystone", "endpoints": [
                {{"interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": "http://{host}/identity"}}]}},
              {{"type": "object-store", "name": "swift", "endpoints": [
                {{"interface": "public", "region_id": "RegionOne", "region": "RegionOne", "url": "http://{host}/one/v1/AUTH_p1"}},
                {{"interface": "internal", "region_id": "RegionOne", "region": "RegionOne", "url": "http://{host}/internal/v1/AUTH_p1"}},
                {{"interface": "public", "region_id": "RegionTwo", "region": "RegionTwo", "url": "http://{host}/two/v1/AUTH_p1"}}]}}]}}}}"#
    )
}

/// What a valid request body looks like, per method.
fn body_is_valid(body: &serde_json::Value) -> bool {
    let identity = &body["auth"]["identity"];
    match identity["methods"][0].as_str() {
        Some("password") => {
            let user = &identity["password"]["user"];
            user["name"] == "demo"
                && user["password"] == "PASSWORD-1"
                && user["domain"]["name"] == "Default"
                && body["auth"]["scope"]["project"]["name"] == "demo"
                && body["auth"]["scope"]["project"]["domain"]["name"] == "Default"
        }
        Some("application_credential") => {
            identity["application_credential"]["id"] == "ac-1"
                && identity["application_credential"]["secret"] == "APPSECRET-1"
        }
        _ => false,
    }
}

async fn keystone(
    tokens: Arc<AtomicUsize>,
    listed: Arc<std::sync::Mutex<Vec<String>>>,
) -> TestServer {
    TestServer::start(move |req| {
        let (tokens, listed) = (tokens.clone(), listed.clone());
        async move {
            let host = req.headers()["host"].to_str().unwrap().to_owned();
            let path = req.uri().path().to_owned();
            let token = req
                .headers()
                .get("x-auth-token")
                .map(|v| v.to_str().unwrap().to_owned());
            let body = req.into_body().collect().await.unwrap().to_bytes();
            if path == "/v3/auth/tokens" {
                tokens.fetch_add(1, Ordering::SeqCst);
                let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if !body_is_valid(&parsed) {
                    return reply(
                        401,
                        r#"{"error": {"code": 401, "message": "The request you have made requires authentication.", "title": "Unauthorized"}}"#,
                    );
                }
                let mut answer = text(201, token_answer(&host));
                answer
                    .headers_mut()
                    .insert("x-subject-token", TOKEN.parse().unwrap());
                return Ok(answer);
            }
            if token.as_deref() != Some(TOKEN) {
                return reply(401, "<html><h1>Unauthorized</h1></html>");
            }
            listed.lock().unwrap().push(path);
            reply(200, r#"[{"name": "a", "bytes": 1, "hash": "0cc175b9c0f1b6a831c399e269772661", "last_modified": "2026-12-06T19:10:26.329910"}]"#)
        }
    })
    .await
}

fn client() -> HttpClient {
    HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_password_token_and_the_catalog_choose_where_requests_go() {
    let (tokens, listed) = (Arc::default(), Arc::default());
    let server = keystone(Arc::clone(&tokens), Arc::clone(&listed)).await;
    let auth_url = server.url("/v3");
    for (region, interface, prefix) in [
        (None, None, "/one/"),
        (Some("RegionTwo"), None, "/two/"),
        (Some("RegionOne"), Some("internal"), "/internal/"),
    ] {
        let mut builder = SwiftBuilder::new()
            .credentials(Credentials::password(
                &auth_url,
                "demo",
                "PASSWORD-1",
                "demo",
            ))
            .http_client(client());
        if let Some(region) = region {
            builder = builder.region(region);
        }
        if let Some(interface) = interface {
            builder = builder.interface(interface);
        }
        let swift = builder.build().unwrap();
        let names: Vec<_> = swift
            .list_objects("box", &ListOptions::new())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(names.len(), 1);
        let last = listed.lock().unwrap().last().cloned().unwrap();
        assert_eq!(last, format!("{prefix}v1/AUTH_p1/box"));
    }
    assert_eq!(tokens.load(Ordering::SeqCst), 3, "one token per driver");

    // A region the catalog lacks is a clear error naming what it has.
    let swift = SwiftBuilder::new()
        .credentials(Credentials::password(
            &auth_url,
            "demo",
            "PASSWORD-1",
            "demo",
        ))
        .region("RegionNine")
        .http_client(client())
        .build()
        .unwrap();
    let err = swift.get_container("box").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("public in RegionTwo"), "{err}");
}

#[tokio::test]
async fn an_application_credential_works_and_a_wrong_password_is_unauthenticated() {
    let (tokens, listed) = (Arc::default(), Arc::default());
    let server = keystone(tokens, listed).await;
    let app = SwiftBuilder::new()
        .credentials(Credentials::ApplicationCredential {
            auth_url: server.url(""),
            id: "ac-1".into(),
            secret: Secret::new("APPSECRET-1"),
        })
        .http_client(client())
        .build()
        .unwrap();
    let listed: Vec<_> = app
        .list_objects("box", &ListOptions::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);

    let wrong = SwiftBuilder::new()
        .credentials(Credentials::password(
            server.url("/v3"),
            "demo",
            "WRONG-PASSWORD",
            "demo",
        ))
        .http_client(client())
        .build()
        .unwrap();
    let err = wrong.get_container("box").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    let shown = format!("{err} {err:?} {wrong:?}");
    assert!(!shown.contains("WRONG-PASSWORD"), "{shown}");
}
