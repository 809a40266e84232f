//! What Nova, Glance and Cinder send, as fuzz targets: server, image, volume and snapshot pages,
//! flavors, key pairs.

use cloud_core::fuzzing::Target;
use serde::de::DeserializeOwned;

use super::model::{
    FlavorList, GlanceImageList, KeyList, NovaImageList, ServerList, SnapshotList, VolumeList,
};

/// The input as the page a listing reads, when it is one.
fn page<L: DeserializeOwned>(input: &[u8]) -> Option<L> {
    cloud_core::json::parse("fuzz", input).ok()
}

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "nova: server pages",
            seeds: &[
                r#"{"servers":[{"id":"9168b536-cd40-4630-b43f-b259807c6e87","name":"web-1","status":"ACTIVE","OS-EXT-STS:task_state":null,"flavor":{"id":"1","links":[]},"image":{"id":"70a599e0-31e7-49b7-b260-868f441e862b"},"key_name":"deploy","created":"2026-12-06T19:10:26Z","updated":"2026-12-06T19:10:26-05:00","OS-EXT-AZ:availability_zone":"nova","metadata":{"team":"storage"},"addresses":{"private":[{"addr":"10.0.0.5","version":4,"OS-EXT-IPS:type":"fixed"},{"addr":"203.0.113.9","version":4,"OS-EXT-IPS:type":"floating"},{"addr":"2001:db8::1","version":6}]},"fault":{"code":500,"message":"No valid host was found."}}],"servers_links":[{"href":"https://nova/v2.1/servers/detail?marker=9168","rel":"next"}]}"#,
                r#"{"servers":[]}"#,
            ],
            run: |input| {
                if let Some(list) = page::<ServerList>(input) {
                    drop(super::compute::servers_page(list));
                }
            },
        },
        Target {
            name: "nova: images (Glance and Nova)",
            seeds: &[
                r#"{"images":[{"id":"70a599e0-31e7-49b7-b260-868f441e862b","name":"debian-12","status":"active","visibility":"public","owner":"p1","size":2147483648,"min_disk":10,"created_at":"2026-11-30T10:00:00Z","tags":[]}],"next":"/v2/images?marker=70a5","first":"/v2/images"}"#,
                r#"{"images":[{"id":"70a5","name":"debian-12","status":"ACTIVE","metadata":{"os":"linux"},"created":"2026-11-30T10:00:00Z","OS-EXT-IMG-SIZE:size":2147483648}],"images_links":[{"rel":"next","href":"x"}]}"#,
            ],
            run: |input| {
                if let Some(list) = page::<GlanceImageList>(input) {
                    drop(super::catalog::glance_page(list));
                }
                if let Some(list) = page::<NovaImageList>(input) {
                    drop(super::catalog::nova_images_page(list));
                }
            },
        },
        Target {
            name: "nova: volumes and snapshots (Cinder)",
            seeds: &[
                r#"{"volumes":[{"id":"6edbc2f4-1507-44f8-ac0d-eed1d2608d38","name":"data","size":8,"status":"in-use","availability_zone":"nova","created_at":"2026-11-30T10:00:00.000000","attachments":[{"server_id":"9168","device":"/dev/vdb","attachment_id":"a1"}],"metadata":{}}],"volumes_links":[]}"#,
                r#"{"snapshots":[{"id":"s1","name":"nightly","volume_id":"6edb","size":8,"status":"available","created_at":"2026-11-30T10:00:00.000000"}]}"#,
            ],
            run: |input| {
                if let Some(list) = page::<VolumeList>(input) {
                    drop(super::volumes::volumes_page(list));
                }
                if let Some(list) = page::<SnapshotList>(input) {
                    drop(super::volumes::snapshots_page(list));
                }
            },
        },
        Target {
            name: "nova: flavors and key pairs",
            seeds: &[
                r#"{"flavors":[{"id":"1","name":"m1.tiny","vcpus":1,"ram":512,"disk":1,"OS-FLV-EXT-DATA:ephemeral":0,"swap":""}]}"#,
                r#"{"keypairs":[{"keypair":{"name":"deploy","fingerprint":"  7e:eb:ab:24:ba:d1:e1:88:ae:9a:fb:66:53:df:d3:bd \n","public_key":"ssh-ed25519 AAAA deploy","type":"ssh"}}]}"#,
            ],
            run: |input| {
                if let Some(list) = page::<FlavorList>(input) {
                    list.flavors
                        .into_iter()
                        .for_each(|f| drop(super::catalog::to_size(f)));
                }
                if let Some(list) = page::<KeyList>(input) {
                    list.keypairs
                        .into_iter()
                        .for_each(|k| drop(super::catalog::to_key(k.keypair)));
                }
            },
        },
    ]
}
