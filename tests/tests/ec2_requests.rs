//! The EC2 requests behind naming: `--count` names each instance `name-1`…`name-N` (launched under the
//! first, then renamed), the create call reports the names and tags it set even when EC2's answer
//! omits them, a launch whose renaming fails is terminated rather than left misnamed, and snapshots
//! carry their name as a `Name` tag.

use std::sync::{Arc, Mutex};

use cloud_compute::{ComputeDriver, CreateNode};
use cloud_core::ErrorKind;
use cloud_tests::forms::{field, form};
use cloud_tests::server::{text, TestServer};
use http_body_util::BodyExt;

type Forms = Arc<Mutex<Vec<Vec<(String, String)>>>>;

/// Answers RunInstances with two instances (no tags in the answer, as EC2 may), CreateTags with
/// `tags_status`, and everything else with an empty success; keeps every form.
async fn ec2_server(tags_status: u16) -> (TestServer, Forms) {
    let forms: Forms = Arc::default();
    let kept = forms.clone();
    let server = TestServer::start(move |req| {
        let kept = kept.clone();
        async move {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let pairs = form(&body);
            let action = field(&pairs, "Action").unwrap_or_default().to_owned();
            kept.lock().unwrap().push(pairs);
            let item = |id: &str| {
                format!(
                    "<item><instanceId>{id}</instanceId><imageId>ami-1</imageId>\
                     <instanceState><code>0</code><name>pending</name></instanceState>\
                     <instanceType>t3.micro</instanceType></item>"
                )
            };
            Ok(match action.as_str() {
                "RunInstances" => text(
                    200,
                    format!(
                        "<RunInstancesResponse><instancesSet>{}{}</instancesSet></RunInstancesResponse>",
                        item("i-1"),
                        item("i-2")
                    ),
                ),
                "CreateTags" if tags_status != 200 => text(
                    tags_status,
                    "<Response><Errors><Error><Code>UnauthorizedOperation</Code>\
                     <Message>not allowed to tag</Message></Error></Errors></Response>",
                ),
                "CreateSnapshot" => text(
                    200,
                    "<CreateSnapshotResponse><snapshotId>snap-1</snapshotId><volumeId>vol-1</volumeId>\
                     <status>pending</status><volumeSize>8</volumeSize></CreateSnapshotResponse>",
                ),
                other => text(
                    200,
                    format!("<{other}Response><return>true</return></{other}Response>"),
                ),
            })
        }
    })
    .await;
    (server, forms)
}

fn calls(forms: &Forms, action: &str) -> Vec<Vec<(String, String)>> {
    forms
        .lock()
        .unwrap()
        .iter()
        .filter(|f| field(f, "Action") == Some(action))
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_count_names_each_node_and_reports_its_tags() {
    let (server, forms) = ec2_server(200).await;
    let ec2 = cloud_tests::scripted::ec2_on(&server).build().unwrap();
    let request = CreateNode::new("web", "t3.micro", "ami-1")
        .count(2)
        .tag("team", "storage");
    let nodes = ec2.create_nodes(&request).await.unwrap();
    let names: Vec<&str> = nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["web-1", "web-2"]);
    assert!(nodes
        .iter()
        .all(|n| n.tags.get("team").map(String::as_str) == Some("storage") && n.tags.len() == 1));

    let run = &calls(&forms, "RunInstances")[0];
    assert_eq!(field(run, "MinCount"), Some("2"));
    assert_eq!(field(run, "TagSpecification.1.Tag.1.Key"), Some("Name"));
    assert_eq!(field(run, "TagSpecification.1.Tag.1.Value"), Some("web-1"));
    assert_eq!(field(run, "TagSpecification.1.Tag.2.Key"), Some("team"));
    let tags = calls(&forms, "CreateTags");
    assert_eq!(tags.len(), 1, "only the second needs renaming");
    assert_eq!(field(&tags[0], "ResourceId.1"), Some("i-2"));
    assert_eq!(field(&tags[0], "Tag.1.Key"), Some("Name"));
    assert_eq!(field(&tags[0], "Tag.1.Value"), Some("web-2"));
    assert!(calls(&forms, "TerminateInstances").is_empty());
}

#[tokio::test]
async fn a_launch_that_cannot_be_named_is_terminated() {
    let (server, forms) = ec2_server(403).await;
    let ec2 = cloud_tests::scripted::ec2_on(&server).build().unwrap();
    let err = ec2
        .create_nodes(&CreateNode::new("web", "t3.micro", "ami-1").count(2))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let terminated = calls(&forms, "TerminateInstances");
    assert_eq!(terminated.len(), 1);
    assert_eq!(field(&terminated[0], "InstanceId.1"), Some("i-1"));
    assert_eq!(field(&terminated[0], "InstanceId.2"), Some("i-2"));
}

#[tokio::test]
async fn a_snapshot_carries_its_name_as_a_name_tag() {
    let (server, forms) = ec2_server(200).await;
    let ec2 = cloud_tests::scripted::ec2_on(&server).build().unwrap();
    let snapshot = ec2.create_snapshot("vol-1", "nightly").await.unwrap();
    assert_eq!(snapshot.name, "nightly");
    let sent = &calls(&forms, "CreateSnapshot")[0];
    assert_eq!(
        field(sent, "TagSpecification.1.ResourceType"),
        Some("snapshot")
    );
    assert_eq!(field(sent, "TagSpecification.1.Tag.1.Key"), Some("Name"));
    assert_eq!(
        field(sent, "TagSpecification.1.Tag.1.Value"),
        Some("nightly")
    );
    assert_eq!(field(sent, "Description"), Some("nightly"));
}
