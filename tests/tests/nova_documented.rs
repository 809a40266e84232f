//! Nova, Glance and Cinder as their API references document them, for what mimic cannot show: a
//! Keystone v3 catalog choosing each service's endpoint, the start and stop actions, faults and
//! addresses, availability zones, volumes attached through Nova and settled in Cinder, snapshots,
//! the id of a new image, paging that does not end, and a create of many that fails half-way. The
//! responder checks each request body against the documented shape and answers with the
//! documented responses.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloud_compute::{ComputeDriver, CreateNode, CreateVolume, NodeState, VolumeState};
use cloud_core::{Backoff, ErrorKind, PollOptions};
use cloud_openstack::{Credentials, Nova, NovaBuilder};
use cloud_tests::scripted::one_attempt_client;
use cloud_tests::server::{reply, text, HandlerResult, TestServer};
use futures_util::TryStreamExt;
use http_body_util::BodyExt;
use serde_json::{json, Value};

const TOKEN: &str = "gAAAAABnova-subject-token";

/// What the responder remembers, and every request it was sent (method, path with query, body).
#[derive(Default)]
struct Cloud {
    sent: Vec<(String, String, Value)>,
    /// Volume id → status, attached server.
    volumes: Vec<(String, String, Option<String>)>,
    /// GETs of a volume left before an attach or detach settles.
    settling: u32,
    /// Servers made so far; the create numbered `fail_create` is refused.
    created: u32,
    fail_create: Option<u32>,
    /// `Location` answer for createImage, or a 2.45 body.
    image_location: bool,
}

fn catalog(host: &str) -> String {
    format!(
        r#"{{"token": {{"methods": ["password"], "expires_at": "2099-01-01T00:00:00.000000Z",
            "catalog": [
              {{"type": "compute", "name": "nova", "endpoints": [
                {{"interface": "internal", "region_id": "RegionOne", "url": "http://{host}/wrong-interface"}},
                {{"interface": "public", "region_id": "RegionOne", "url": "http://{host}/compute/v2.1"}}]}},
              {{"type": "image", "name": "glance", "endpoints": [
                {{"interface": "public", "region_id": "RegionOne", "url": "http://{host}/image"}}]}},
              {{"type": "volumev3", "name": "cinderv3", "endpoints": [
                {{"interface": "public", "region_id": "RegionOne", "url": "http://{host}/volume/v3/p1"}}]}}]}}}}"#
    )
}

fn server_json(id: &str) -> Value {
    json!({
        "id": id, "name": format!("node-{id}"), "status": "ACTIVE",
        "OS-EXT-STS:task_state": null, "OS-EXT-AZ:availability_zone": "az-1",
        "flavor": {"id": "1"}, "image": {"id": "img-1"}, "key_name": "deploy",
        "metadata": {"role": "web"}, "created": "2026-12-07T10:00:00Z",
        "addresses": {
            "tenant-net": [
                {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"},
                {"addr": "203.0.113.7", "version": 4, "OS-EXT-IPS:type": "floating"},
                {"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed"}],
            "provider": [{"addr": "2001:db8:1::5", "version": 6}]
        }
    })
}

fn volume_json(id: &str, status: &str, server: Option<&str>) -> Value {
    let attachments: Vec<Value> = server
        .map(|s| json!({"server_id": s, "device": "/dev/vdb", "volume_id": id}))
        .into_iter()
        .collect();
    json!({"id": id, "name": "data", "size": 10, "status": status, "attachments": attachments,
           "availability_zone": "az-1", "created_at": "2026-12-07T10:00:00.000000"})
}

/// One documented answer for `method path` with `body`, or a refusal of a body that breaks the
/// documented shape.
fn answer(cloud: &mut Cloud, host: &str, method: &str, path: &str, body: &Value) -> HandlerResult {
    let bad = |why: &str| {
        reply(
            400,
            json!({"badRequest": {"code": 400, "message": why}}).to_string(),
        )
    };
    match (method, path) {
        ("GET", "/compute/v2.1/servers/detail?limit=1000") => reply(
            200,
            json!({"servers": [server_json("s1")], "servers_links": []}).to_string(),
        ),
        ("GET", "/compute/v2.1/servers/faulty") => {
            let mut server = server_json("faulty");
            server["status"] = json!("ERROR");
            server["fault"] = json!({"code": 500, "message": "No valid host was found.",
                                     "created": "2026-12-07T10:01:00Z"});
            reply(200, json!({ "server": server }).to_string())
        }
        ("GET", "/compute/v2.1/servers/s1") => {
            reply(200, json!({"server": server_json("s1")}).to_string())
        }
        ("POST", "/compute/v2.1/servers") => {
            let server = &body["server"];
            let documented = server["name"].is_string()
                && server["flavorRef"].is_string()
                && server["imageRef"].is_string();
            if !documented {
                return bad("Invalid input for field/attribute server.");
            }
            cloud.created += 1;
            if cloud.fail_create == Some(cloud.created) {
                return reply(403, json!({"forbidden": {"code": 403,
                    "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}}).to_string());
            }
            reply(
                202,
                json!({"server": {"id": format!("new-{}", cloud.created),
                "links": [], "adminPass": "pw", "OS-DCF:diskConfig": "AUTO"}})
                .to_string(),
            )
        }
        ("DELETE", p) if p.starts_with("/compute/v2.1/servers/new-") => reply(204, ""),
        ("POST", "/compute/v2.1/servers/s1/action") => {
            let known = [
                json!({"os-start": null}),
                json!({"os-stop": null}),
                json!({"reboot": {"type": "SOFT"}}),
                json!({"reboot": {"type": "HARD"}}),
            ];
            if known.contains(body) {
                return reply(202, "");
            }
            if body["createImage"]["name"].is_string() {
                if cloud.image_location {
                    let mut answer = text(202, "");
                    let location = format!("http://{host}/compute/v2.1/images/made-by-location");
                    answer
                        .headers_mut()
                        .insert("location", location.parse().unwrap());
                    return Ok(answer);
                }
                return reply(202, r#"{"image_id": "made-by-body"}"#);
            }
            bad("There is no such action")
        }
        ("GET", "/compute/v2.1/os-availability-zone") => reply(
            200,
            r#"{"availabilityZoneInfo": [{"zoneName": "az-1", "zoneState": {"available": true}, "hosts": null},
                {"zoneName": "az-2", "zoneState": {"available": false}, "hosts": null}]}"#,
        ),
        ("GET", "/compute/v2.1/flavors/detail") => reply(
            200,
            r#"{"flavors": [{"id": "1", "name": "m1.tiny", "ram": 512, "disk": 1, "vcpus": 1, "OS-FLV-EXT-DATA:ephemeral": 0}]}"#,
        ),
        ("GET", "/image/v2/images?limit=1000") => reply(
            200,
            r#"{"images": [{"id": "img-1", "name": "cirros", "status": "active", "visibility": "public", "owner": "admin"}],
                "first": "/v2/images", "schema": "/v2/schemas/images"}"#,
        ),
        ("POST", "/compute/v2.1/servers/s1/os-volume_attachments") => {
            let Some(volume) = body["volumeAttachment"]["volumeId"].as_str() else {
                return bad("Invalid input for field/attribute volumeAttachment.");
            };
            for v in cloud.volumes.iter_mut().filter(|v| v.0 == volume) {
                v.1 = "attaching".into();
                v.2 = Some("s1".into());
            }
            cloud.settling = 2;
            reply(
                200,
                json!({"volumeAttachment": {"id": volume, "volumeId": volume,
                "serverId": "s1", "device": "/dev/vdb"}})
                .to_string(),
            )
        }
        ("DELETE", p) if p.starts_with("/compute/v2.1/servers/s1/os-volume_attachments/") => {
            for v in &mut cloud.volumes {
                v.1 = "detaching".into();
            }
            cloud.settling = 2;
            reply(202, "")
        }
        ("POST", "/volume/v3/p1/volumes") => {
            let volume = &body["volume"];
            if !volume["size"].is_u64() {
                return bad("Invalid input received: size must be an integer");
            }
            cloud
                .volumes
                .push(("vol-1".into(), "available".into(), None));
            reply(
                202,
                json!({"volume": volume_json("vol-1", "creating", None)}).to_string(),
            )
        }
        ("GET", "/volume/v3/p1/volumes/vol-1") => {
            let (_, status, server) = cloud.volumes[0].clone();
            let status = if cloud.settling > 0 {
                cloud.settling -= 1;
                status
            } else {
                let settled = if status == "detaching" {
                    "available"
                } else {
                    "in-use"
                };
                cloud.volumes[0].1 = settled.into();
                if settled == "available" {
                    cloud.volumes[0].2 = None;
                }
                settled.to_owned()
            };
            let server = if status == "available" { None } else { server };
            reply(
                200,
                json!({"volume": volume_json("vol-1", &status, server.as_deref())}).to_string(),
            )
        }
        ("GET", "/volume/v3/p1/volumes/detail?limit=1000") => {
            let volumes: Vec<Value> = cloud
                .volumes
                .iter()
                .map(|(id, status, server)| volume_json(id, status, server.as_deref()))
                .collect();
            reply(200, json!({ "volumes": volumes }).to_string())
        }
        ("POST", "/volume/v3/p1/snapshots") => {
            if !body["snapshot"]["volume_id"].is_string() {
                return bad("Invalid input for field/attribute snapshot.");
            }
            reply(
                202,
                json!({"snapshot": {"id": "snap-1", "name": body["snapshot"]["name"],
                "volume_id": body["snapshot"]["volume_id"], "size": 10, "status": "creating",
                "created_at": "2026-12-07T10:00:00.000000"}})
                .to_string(),
            )
        }
        ("GET", "/volume/v3/p1/snapshots/detail?limit=1000") => reply(
            200,
            r#"{"snapshots": [{"id": "snap-1", "name": "nightly", "volume_id": "vol-1", "size": 10, "status": "available"}]}"#,
        ),
        ("DELETE", "/volume/v3/p1/snapshots/snap-1") => reply(202, ""),
        _ => reply(
            404,
            json!({"itemNotFound": {"code": 404, "message": format!("no route {method} {path}")}})
                .to_string(),
        ),
    }
}

async fn openstack(cloud: Arc<Mutex<Cloud>>) -> TestServer {
    TestServer::start(move |req| {
        let cloud = cloud.clone();
        async move {
            let host = req.headers()["host"].to_str().unwrap().to_owned();
            let method = req.method().to_string();
            let path = req.uri().to_string();
            let token = cloud_tests::server::header_text(&req, "x-auth-token");
            let bytes = req.into_body().collect().await.unwrap().to_bytes();
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if path == "/identity/v3/auth/tokens" {
                return Ok(token_answer(&host));
            }
            if token != TOKEN {
                return reply(401, r#"{"error": {"code": 401, "title": "Unauthorized"}}"#);
            }
            let mut cloud = cloud.lock().unwrap();
            cloud
                .sent
                .push((method.clone(), path.clone(), body.clone()));
            answer(&mut cloud, &host, &method, &path, &body)
        }
    })
    .await
}

/// Keystone's documented answer to `POST /v3/auth/tokens`, its catalog naming `host`.
fn token_answer(host: &str) -> http::Response<cloud_tests::server::Body> {
    let mut answer = text(201, catalog(host));
    answer
        .headers_mut()
        .insert("x-subject-token", TOKEN.parse().unwrap());
    answer
}

/// A driver signing in as the documented user at `server`'s Keystone, each request sent once.
fn builder(server: &TestServer) -> NovaBuilder {
    NovaBuilder::new()
        .credentials(Credentials::password(
            server.url("/identity/v3"),
            "demo",
            "PASSWORD-1",
            "demo",
        ))
        .http_client(one_attempt_client())
}

async fn nova() -> (Nova, Arc<Mutex<Cloud>>, TestServer) {
    let cloud = Arc::new(Mutex::new(Cloud::default()));
    let server = openstack(cloud.clone()).await;
    let poll = PollOptions::default()
        .with_backoff(Backoff::new(
            Duration::from_millis(5),
            Duration::from_millis(20),
        ))
        .with_timeout(Some(Duration::from_secs(10)));
    let nova = builder(&server).polling(poll).build().unwrap();
    (nova, cloud, server)
}

fn sent(cloud: &Arc<Mutex<Cloud>>) -> Vec<(String, String, Value)> {
    cloud.lock().unwrap().sent.clone()
}

#[tokio::test]
async fn the_v3_catalog_sends_compute_images_and_volumes_to_their_own_endpoints() {
    let (nova, cloud, _server) = nova().await;
    let sizes = nova.list_sizes().await.unwrap();
    assert_eq!((sizes[0].id.as_str(), sizes[0].ram_mib), ("1", Some(512)));
    let images: Vec<_> = nova.list_images().try_collect().await.unwrap();
    assert_eq!(images[0].name, "cirros");
    assert_eq!(images[0].owner.as_deref(), Some("admin"));
    assert!(nova.list_volumes().await.unwrap().is_empty());
    let paths: Vec<String> = sent(&cloud).into_iter().map(|(_, p, _)| p).collect();
    assert_eq!(
        paths,
        [
            "/compute/v2.1/flavors/detail",
            "/image/v2/images?limit=1000",
            "/volume/v3/p1/volumes/detail?limit=1000"
        ]
    );
}

#[tokio::test]
async fn start_stop_and_reboots_send_the_documented_actions() {
    let (nova, cloud, _server) = nova().await;
    nova.stop_node("s1").await.unwrap();
    nova.start_node("s1").await.unwrap();
    nova.reboot_node("s1").await.unwrap();
    nova.reboot_node_hard("s1").await.unwrap();
    let bodies: Vec<Value> = sent(&cloud).into_iter().map(|(_, _, b)| b).collect();
    assert_eq!(
        bodies,
        [
            json!({"os-stop": null}),
            json!({"os-start": null}),
            json!({"reboot": {"type": "SOFT"}}),
            json!({"reboot": {"type": "HARD"}})
        ]
    );
    let err = nova.stop_node("../os-keypairs").await.unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::NotFound,
        "an id cannot leave its path segment"
    );
}

#[tokio::test]
async fn a_server_reads_with_its_fault_addresses_and_metadata() {
    let (nova, _cloud, _server) = nova().await;
    let node = nova.get_node("s1").await.unwrap();
    assert_eq!(node.state, NodeState::Running);
    assert_eq!(node.size.as_deref(), Some("1"));
    assert_eq!(node.image.as_deref(), Some("img-1"));
    assert_eq!(node.location.as_deref(), Some("az-1"));
    assert_eq!(node.key_pair.as_deref(), Some("deploy"));
    assert_eq!(node.tags.get("role").map(String::as_str), Some("web"));
    assert!(node.created_at.is_some());
    let public: Vec<String> = node.public_ips.iter().map(ToString::to_string).collect();
    let private: Vec<String> = node.private_ips.iter().map(ToString::to_string).collect();
    assert_eq!(public, ["2001:db8:1::5", "203.0.113.7"]);
    assert_eq!(private, ["10.0.0.5", "fd00::5"]);
    let faulty = nova.get_node("faulty").await.unwrap();
    assert_eq!(faulty.state, NodeState::Error);
    assert_eq!(
        faulty.extra.get("fault").map(String::as_str),
        Some("No valid host was found.")
    );
    let err = nova.get_node("missing").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.code(), Some("itemNotFound"));
}

#[tokio::test]
async fn a_create_sends_the_documented_server_body() {
    let (nova, cloud, _server) = nova().await;
    let request = CreateNode::new("web", "1", "img-1")
        .key_pair("deploy")
        .user_data("#!/bin/sh\necho hi")
        .tag("role", "web")
        .network("9f3c5f4e-0000-4000-8000-000000000001")
        .security_group("default")
        .location("az-1");
    let nodes = nova.create_nodes(&request).await.unwrap();
    assert_eq!(nodes[0].id, "new-1");
    assert_eq!(nodes[0].name, "web");
    let (_, path, body) = sent(&cloud).remove(0);
    assert_eq!(path, "/compute/v2.1/servers");
    assert_eq!(
        body,
        json!({"server": {
            "name": "web", "flavorRef": "1", "imageRef": "img-1", "key_name": "deploy",
            "user_data": "IyEvYmluL3NoCmVjaG8gaGk=", "metadata": {"role": "web"},
            "networks": [{"uuid": "9f3c5f4e-0000-4000-8000-000000000001"}],
            "security_groups": [{"name": "default"}], "availability_zone": "az-1"
        }})
    );
    let raw_key = CreateNode::new("web", "1", "img-1").public_key("ssh-ed25519 AAAA k");
    let err = nova.create_nodes(&raw_key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[tokio::test]
async fn a_create_of_many_that_fails_half_way_destroys_what_it_made() {
    let (nova, cloud, _server) = nova().await;
    cloud.lock().unwrap().fail_create = Some(2);
    let err = nova
        .create_nodes(&CreateNode::new("batch", "1", "img-1").count(3))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("Quota exceeded"), "{err}");
    let sent = sent(&cloud);
    let posts = sent.iter().filter(|(m, _, _)| m == "POST").count();
    let mut deleted: Vec<&str> = sent
        .iter()
        .filter(|(m, _, _)| m == "DELETE")
        .map(|(_, p, _)| p.as_str())
        .collect();
    deleted.sort_unstable();
    assert_eq!(posts, 3, "each name is asked for once, none again");
    assert_eq!(
        deleted,
        ["/compute/v2.1/servers/new-1", "/compute/v2.1/servers/new-3"]
    );
}

#[tokio::test]
async fn availability_zones_are_locations() {
    let (nova, _cloud, _server) = nova().await;
    let zones = nova.list_locations().await.unwrap();
    let seen: Vec<(&str, &str)> = zones
        .iter()
        .map(|z| (z.id.as_str(), z.extra["available"].as_str()))
        .collect();
    assert_eq!(seen, [("az-1", "true"), ("az-2", "false")]);
}

#[tokio::test]
async fn volumes_attach_and_detach_through_nova_and_return_once_cinder_settles() {
    let (nova, cloud, _server) = nova().await;
    let volume = nova
        .create_volume(&CreateVolume::new("data", 10).location("az-1"))
        .await
        .unwrap();
    assert_eq!((volume.id.as_str(), volume.size_gib), ("vol-1", 10));
    nova.attach_volume("vol-1", "s1", Some("/dev/vdb"))
        .await
        .unwrap();
    let attached = &nova.list_volumes().await.unwrap()[0];
    assert_eq!(attached.state, VolumeState::InUse);
    assert_eq!(attached.attached_to.as_deref(), Some("s1"));
    nova.detach_volume("vol-1").await.unwrap();
    let detached = &nova.list_volumes().await.unwrap()[0];
    assert_eq!(detached.state, VolumeState::Available);
    assert_eq!(detached.attached_to, None);
    let sent = sent(&cloud);
    assert_eq!(
        sent[0].2,
        json!({"volume": {"size": 10, "name": "data", "availability_zone": "az-1"}})
    );
    assert_eq!(
        sent[1].2,
        json!({"volumeAttachment": {"volumeId": "vol-1", "device": "/dev/vdb"}})
    );
    assert!(
        sent.iter().any(|(m, p, _)| m == "DELETE"
            && p == "/compute/v2.1/servers/s1/os-volume_attachments/vol-1"),
        "detached through the server that holds it"
    );
}

#[tokio::test]
async fn snapshots_are_taken_listed_and_destroyed() {
    let (nova, cloud, _server) = nova().await;
    let snapshot = nova.create_snapshot("vol-1", "nightly").await.unwrap();
    assert_eq!(snapshot.volume_id.as_deref(), Some("vol-1"));
    assert_eq!(snapshot.state, cloud_compute::SnapshotState::Pending);
    let listed = nova.list_snapshots().await.unwrap();
    assert_eq!(listed[0].state, cloud_compute::SnapshotState::Completed);
    nova.destroy_snapshot("snap-1").await.unwrap();
    assert_eq!(
        sent(&cloud)[0].2,
        json!({"snapshot": {"volume_id": "vol-1", "name": "nightly"}})
    );
}

#[tokio::test]
async fn a_new_image_id_comes_from_the_body_or_the_location() {
    let (nova, cloud, _server) = nova().await;
    assert_eq!(
        nova.create_image("s1", "gold").await.unwrap().id,
        "made-by-body"
    );
    cloud.lock().unwrap().image_location = true;
    assert_eq!(
        nova.create_image("s1", "gold").await.unwrap().id,
        "made-by-location"
    );
}

#[tokio::test]
async fn a_listing_whose_server_repeats_its_page_is_an_error_not_a_loop() {
    // Every page is full and links a next one, with the same last server each time.
    let server = TestServer::start(|req| async move {
        let host = req.headers()["host"].to_str().unwrap().to_owned();
        if req.uri().path() == "/identity/v3/auth/tokens" {
            return Ok(token_answer(&host));
        }
        let servers: Vec<Value> = (0..2).map(|_| server_json("same")).collect();
        let next = format!("http://{host}/compute/v2.1/servers/detail?marker=same");
        reply(
            200,
            json!({"servers": servers, "servers_links": [{"rel": "next", "href": next}]})
                .to_string(),
        )
    })
    .await;
    let nova = builder(&server).page_size(2).build().unwrap();
    let listed: Result<Vec<_>, _> = tokio::time::timeout(
        Duration::from_secs(10),
        nova.list_nodes().try_collect::<Vec<_>>(),
    )
    .await
    .expect("the listing ends");
    let err = listed.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unexpected, "{err}");
    assert!(server.requests() <= 3, "{} requests", server.requests());
}
