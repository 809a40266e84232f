//! Every request the DigitalOcean driver can send, against Prism serving DigitalOcean's own API
//! document with `--errors` (started by `cargo xtask test`): a request the document does not allow
//! fails here, and is logged as a violation, which fails the run. The answers are the document's
//! examples, so these tests prove that requests are valid and that the answers parse; they do not
//! prove state (the conformance suite's contract mode says which behaviours need it).

use std::time::Duration;

use cloud_compute::{ComputeDriver, CreateNode, CreateVolume, NodeState, VolumeState};
use cloud_core::{Backoff, ErrorKind, HttpClient, PollOptions, ProxyConfig};
use cloud_digitalocean::{Droplets, DropletsBuilder, ImageKind};
use cloud_tests::conformance::compute::public_key;
use cloud_tests::servers::prism;
use futures_util::TryStreamExt;

/// The example droplet and volume of the document.
const DROPLET: &str = "3164444";
const VOLUME: &str = "506f78a4-e098-11e5-ad9f-000f53306ae1";

fn droplets() -> Droplets {
    let client = HttpClient::builder()
        .proxies(ProxyConfig::none())
        .build()
        .unwrap();
    DropletsBuilder::new()
        .endpoint(prism::digitalocean())
        .token(prism::TOKEN)
        .region("nyc3")
        .http_client(client)
        // Prism's actions stay in progress; waits end quickly.
        .action_polling(
            PollOptions::default()
                .with_backoff(Backoff::new(
                    Duration::from_millis(20),
                    Duration::from_millis(50),
                ))
                .with_timeout(Some(Duration::from_millis(300))),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn droplets_are_listed_got_and_parsed_with_their_addresses_and_tags() {
    let cloud = droplets();
    let nodes: Vec<_> = cloud.list_nodes().try_collect().await.unwrap();
    let node = nodes
        .iter()
        .find(|n| n.id == DROPLET)
        .expect("the example droplet");
    assert_eq!(node.state, NodeState::Running);
    assert_eq!(node.size.as_deref(), Some("s-1vcpu-1gb"));
    assert_eq!(node.location.as_deref(), Some("nyc3"));
    assert_eq!(node.image.as_deref(), Some("63663980"));
    assert_eq!(node.public_ips.len(), 2, "one IPv4 and one IPv6: {node:?}");
    assert!(node.public_ips.iter().any(|ip| ip.is_ipv6()));
    assert_eq!(node.private_ips[0].to_string(), "10.128.192.124");
    assert_eq!(node.tags.get("env").map(String::as_str), Some("prod"));
    assert_eq!(node.tags.get("web").map(String::as_str), Some(""));
    assert!(node.created_at.is_some());
    let got = cloud.get_node(DROPLET).await.unwrap();
    assert_eq!(got.id, DROPLET);
}

#[tokio::test]
async fn one_and_many_droplets_are_created_with_every_field_the_api_takes() {
    let cloud = droplets();
    let one = CreateNode::new("web", "s-1vcpu-1gb", "63663980")
        .location("nyc3")
        .user_data("#cloud-config\n")
        .tag("role", "web")
        .network("760e09ef-dc84-11e8-981e-3cfdfeaae000")
        .key_pair("Other Public Key");
    let created = cloud.create_nodes(&one).await.unwrap();
    assert_eq!(created[0].state, NodeState::Pending, "a new droplet");
    // By slug, and 12 names: two requests (the API takes at most 10 names in one).
    let many = CreateNode::new("web", "s-1vcpu-1gb", "ubuntu-20-04-x64").count(12);
    assert!(!cloud.create_nodes(&many).await.unwrap().is_empty());
}

#[tokio::test]
async fn requests_the_api_cannot_take_are_refused_before_they_are_sent() {
    let cloud = droplets();
    let bad_tag = CreateNode::new("web", "s-1vcpu-1gb", "63663980").tag("role", "web server");
    let err = cloud.create_nodes(&bad_tag).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let firewall = CreateNode::new("web", "s-1vcpu-1gb", "63663980").security_group("fw");
    let err = cloud.create_nodes(&firewall).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    let unknown_key = CreateNode::new("web", "s-1vcpu-1gb", "63663980").key_pair("nobody");
    let err = cloud.create_nodes(&unknown_key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = cloud
        .create_volume(&CreateVolume::new("Not A Name", 10))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn power_actions_and_destroys_are_valid_requests() {
    let cloud = droplets();
    cloud.reboot_node(DROPLET).await.unwrap();
    cloud.stop_node(DROPLET).await.unwrap();
    cloud.start_node(DROPLET).await.unwrap();
    cloud.shutdown_node(DROPLET).await.unwrap();
    cloud.destroy_node(DROPLET).await.unwrap();
    cloud
        .destroy_nodes(&[DROPLET.to_owned(), "3164445".to_owned()])
        .await
        .unwrap();
    cloud.destroy_by_tag("env:prod").await.unwrap();
}

#[tokio::test]
async fn the_catalogue_parses_sizes_with_prices_images_of_each_kind_and_regions() {
    let cloud = droplets();
    let sizes = cloud.list_sizes().await.unwrap();
    let size = &sizes[0];
    assert_eq!(size.id, "s-1vcpu-1gb");
    assert_eq!(size.ram_mib, Some(1024));
    assert!(size.price_per_hour.is_some_and(|p| p > 0.0), "{size:?}");
    assert!(size.extra.contains_key("price_monthly"));
    let regions = cloud.list_locations().await.unwrap();
    assert_eq!(regions[0].id, "nyc3");
    let all: Vec<_> = cloud.list_images().try_collect().await.unwrap();
    assert!(all.iter().any(|i| i.id == "63663980"));
    for kind in [
        ImageKind::Distribution,
        ImageKind::Application,
        ImageKind::Private,
    ] {
        let images: Vec<_> = cloud.list_images_of(kind).try_collect().await.unwrap();
        assert!(!images.is_empty(), "{kind:?}");
    }
    assert!(!cloud.get_image("63663980").await.unwrap().id.is_empty());
    assert!(!cloud
        .get_image("ubuntu-20-04-x64")
        .await
        .unwrap()
        .id
        .is_empty());
    cloud.delete_image("7555620").await.unwrap();
}

#[tokio::test]
async fn imaging_and_transferring_wait_for_their_actions() {
    let cloud = droplets();
    // Prism's actions never finish: the wait ends at the polling budget, and says what it waited for.
    let err = cloud.create_image(DROPLET, "nightly").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("action"), "{err}");
    let err = cloud.transfer_image("7555620", "ams3").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
}

#[tokio::test]
async fn ssh_keys_are_listed_imported_and_deleted_by_name() {
    let cloud = droplets();
    let keys = cloud.list_key_pairs().await.unwrap();
    assert_eq!(keys[0].name, "Other Public Key");
    assert!(keys[0].fingerprint.is_some());
    let imported = cloud
        .import_key_pair("deploy", &public_key())
        .await
        .unwrap();
    assert!(!imported.name.is_empty());
    let err = cloud
        .import_key_pair("Other Public Key", &public_key())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    cloud.delete_key_pair("Other Public Key").await.unwrap();
    let err = cloud.delete_key_pair("nobody").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn volumes_are_created_attached_detached_and_destroyed() {
    let cloud = droplets();
    let volumes = cloud.list_volumes().await.unwrap();
    assert!(volumes.iter().any(|v| v.id == VOLUME));
    let volume = cloud
        .create_volume(&CreateVolume::new("data", 10))
        .await
        .unwrap();
    assert!(!volume.id.is_empty());
    cloud
        .create_volume(&CreateVolume::new("restored", 10).from_snapshot("6372321"))
        .await
        .unwrap();
    // The document's attach answer is an action already completed.
    cloud.attach_volume(VOLUME, DROPLET, None).await.unwrap();
    let attached = cloud.list_volumes().await.unwrap();
    let example = attached.iter().find(|v| v.id == VOLUME).unwrap();
    if example.attached_to.is_some() {
        assert_eq!(example.state, VolumeState::InUse);
        cloud.detach_volume(VOLUME).await.unwrap();
    } else {
        let err = cloud.detach_volume(VOLUME).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
    cloud.destroy_volume(VOLUME).await.unwrap();
}

#[tokio::test]
async fn volume_snapshots_are_taken_listed_and_destroyed() {
    let cloud = droplets();
    let snapshots = cloud.list_snapshots().await.unwrap();
    assert!(!snapshots.is_empty());
    let taken = cloud.create_snapshot(VOLUME, "nightly").await.unwrap();
    assert!(taken.volume_id.is_some());
    cloud.destroy_snapshot(&taken.id).await.unwrap();
}
