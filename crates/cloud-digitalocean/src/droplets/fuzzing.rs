//! What the DigitalOcean API sends, as fuzz targets: every listing, droplets, actions, error bodies.

use cloud_core::fuzzing::{error_parser, Target};

use super::model::{
    DropletList, ImageList, KeyList, Listing, OneAction, RegionList, SizeList, SnapshotList,
    VolumeList,
};

fn listing<L: Listing>(input: &[u8], each: fn(L::Item)) {
    if let Ok(page) = serde_json::from_slice::<L>(input) {
        let (items, _, _) = page.into_parts();
        items.into_iter().for_each(each);
    }
}

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "digitalocean: droplets",
            seeds: &[
                r#"{"droplets":[{"id":3164444,"name":"web-1","memory":1024,"vcpus":1,"disk":25,"locked":false,"status":"active","created_at":"2026-11-30T10:00:00Z","features":["ipv6"],"image":{"id":63663980,"name":"20.04 (LTS) x64","distribution":"Ubuntu","slug":"ubuntu-20-04-x64","public":true},"size_slug":"s-1vcpu-1gb","networks":{"v4":[{"ip_address":"10.128.192.124","netmask":"255.255.0.0","gateway":"nil","type":"private"},{"ip_address":"192.241.165.154","type":"public"}],"v6":[{"ip_address":"2604:a880:0:1010::18a:a001","netmask":64,"type":"public"}]},"region":{"name":"New York 3","slug":"nyc3"},"tags":["web","team:storage"],"volume_ids":[]}],"links":{"pages":{"next":"https://api.digitalocean.com/v2/droplets?page=2"}},"meta":{"total":2}}"#,
            ],
            run: |input| listing::<DropletList>(input, |d| drop(super::compute::to_node(d))),
        },
        Target {
            name: "digitalocean: sizes, images, regions, keys",
            seeds: &[
                r#"{"sizes":[{"slug":"s-1vcpu-1gb","memory":1024,"vcpus":1,"disk":25,"transfer":1.0,"price_monthly":5.0,"price_hourly":0.00743999984115362,"regions":["nyc3"],"available":true,"description":"Basic"}],"links":{},"meta":{"total":1}}"#,
                r#"{"images":[{"id":63663980,"name":"20.04 (LTS) x64","distribution":"Ubuntu","slug":"ubuntu-20-04-x64","public":true,"regions":["nyc3"],"created_at":"2020-05-15T05:47:50Z","type":"snapshot","min_disk_size":20,"size_gigabytes":2.36,"status":"available"}],"links":{},"meta":{"total":1}}"#,
                r#"{"regions":[{"name":"New York 3","slug":"nyc3","features":["backups"],"available":true,"sizes":["s-1vcpu-1gb"]}],"links":{},"meta":{"total":1}}"#,
                r#"{"ssh_keys":[{"id":289794,"fingerprint":"3b:16:e4:bf:8b:00:8b:b8:59:8c:a9:d3:f0:19:fa:45","public_key":"ssh-rsa AEXAMPLE demo@example.com","name":"Other Public Key"}],"links":{},"meta":{"total":1}}"#,
            ],
            run: |input| {
                listing::<SizeList>(input, |s| drop(super::catalog::to_size(s)));
                listing::<ImageList>(input, |i| drop(super::catalog::to_image(i)));
                listing::<RegionList>(input, drop);
                listing::<KeyList>(input, |k| drop(super::catalog::to_key(k)));
            },
        },
        Target {
            name: "digitalocean: volumes, snapshots, actions",
            seeds: &[
                r#"{"volumes":[{"id":"506f78a4-e098-11e5-ad9f-000f53306ae1","region":{"slug":"nyc1","name":"New York 1"},"droplet_ids":[3164444],"name":"example","description":"Block store","size_gigabytes":10,"created_at":"2020-03-02T17:00:49Z","filesystem_type":"ext4","tags":["aninterestingtag"]}],"links":{},"meta":{"total":1}}"#,
                r#"{"snapshots":[{"id":"8fa70202-873f-11e6-8b68-000f533176b1","name":"big-data-snapshot1475261774","regions":["nyc1"],"created_at":"2016-09-30T18:56:14Z","resource_id":"82a48a18-873f-11e6-96bf-000f53315a41","resource_type":"volume","min_disk_size":10,"size_gigabytes":0,"tags":[]}],"links":{},"meta":{"total":1}}"#,
                r#"{"action":{"id":36804636,"status":"completed","type":"create","started_at":"2020-11-14T16:29:21Z","completed_at":"2020-11-14T16:30:06Z","resource_id":3164444,"resource_type":"droplet","region_slug":"nyc3"}}"#,
            ],
            run: |input| {
                listing::<VolumeList>(input, |v| drop(super::volumes::to_volume(v)));
                listing::<SnapshotList>(input, |s| drop(super::volumes::to_snapshot(s)));
                let _ = serde_json::from_slice::<OneAction>(input);
            },
        },
        Target {
            name: "digitalocean: error bodies",
            seeds: &[
                r#"{"id":"not_found","message":"The resource you were accessing could not be found.","request_id":"4d9d8375-3c56-4925-a3e7-eb137fed17e9"}"#,
                "ratelimit-limit: 5000\nratelimit-remaining: 0\nratelimit-reset: 1765000042\n\n{\"id\":\"too_many_requests\",\"message\":\"API Rate limit exceeded.\"}",
                r#"{"id":"unprocessable_entity","message":"SSH Key is already in use on your account"}"#,
            ],
            run: |input| error_parser(&super::error::DoErrors, input),
        },
    ]
}
