//! EC2's answers as fuzz targets: every Describe document, launches, key pairs, volumes, snapshots.

use cloud_core::fuzzing::{text, Target};

use super::convert::{nodes_of, to_image, to_key_pair, to_node, to_snapshot, to_volume};
use super::model;

const INSTANCES: &str = r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><reservationSet><item><reservationId>r-1</reservationId><groupSet><item><groupId>sg-1</groupId></item></groupSet><instancesSet><item><instanceId>i-0aaa</instanceId><imageId>ami-1</imageId><instanceState><code>16</code><name>running</name></instanceState><instanceType>t3.micro</instanceType><launchTime>2026-11-30T10:00:00.000Z</launchTime><placement><availabilityZone>eu-west-1b</availabilityZone></placement><privateIpAddress>10.0.0.5</privateIpAddress><ipAddress>203.0.113.9</ipAddress><keyName>deploy</keyName><tagSet><item><key>Name</key><value>web-1</value></item><item><key>team</key><value>storage</value></item></tagSet><networkInterfaceSet><item><privateIpAddressesSet><item><privateIpAddress>10.0.0.5</privateIpAddress></item></privateIpAddressesSet></item></networkInterfaceSet></item></instancesSet></item></reservationSet><nextToken>eyJ2IjoiMiJ9</nextToken></DescribeInstancesResponse>"#;

const RUN: &str = r#"<RunInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><reservationId>r-1</reservationId><instancesSet><item><instanceId>i-1</instanceId><instanceState><code>0</code><name>pending</name></instanceState><amiLaunchIndex>0</amiLaunchIndex></item><item><instanceId>i-2</instanceId><instanceState><code>0</code><name>pending</name></instanceState></item></instancesSet></RunInstancesResponse>"#;

const TYPES: &str = r#"<DescribeInstanceTypesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><instanceTypeSet><item><instanceType>t3.micro</instanceType><vCpuInfo><defaultVCpus>2</defaultVCpus></vCpuInfo><memoryInfo><sizeInMiB>1024</sizeInMiB></memoryInfo></item></instanceTypeSet><nextToken>n</nextToken></DescribeInstanceTypesResponse>"#;

const IMAGES: &str = r#"<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><imagesSet><item><imageId>ami-1</imageId><name>debian-12</name><imageOwnerId>136693071363</imageOwnerId><blockDeviceMapping><item><deviceName>/dev/xvda</deviceName></item></blockDeviceMapping></item></imagesSet></DescribeImagesResponse>"#;

const ZONES: &str = r#"<DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><availabilityZoneInfo><item><zoneName>eu-west-1a</zoneName><zoneState>available</zoneState><regionName>eu-west-1</regionName><messageSet/></item></availabilityZoneInfo></DescribeAvailabilityZonesResponse>"#;

const KEYS: &str = r#"<DescribeKeyPairsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><keySet><item><keyName>deploy</keyName><keyFingerprint>1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f</keyFingerprint></item></keySet></DescribeKeyPairsResponse>"#;

const KEY: &str = r#"<CreateKeyPairResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><keyName>deploy</keyName><keyFingerprint>1f:51:ae</keyFingerprint><keyMaterial>-----BEGIN RSA PRIVATE KEY-----
MIIE
-----END RSA PRIVATE KEY-----</keyMaterial></CreateKeyPairResponse>"#;

const VOLUMES: &str = r#"<DescribeVolumesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><volumeSet><item><volumeId>vol-1</volumeId><size>8</size><status>in-use</status><availabilityZone>eu-west-1a</availabilityZone><createTime>2026-11-30T10:00:00.000Z</createTime><attachmentSet><item><volumeId>vol-1</volumeId><instanceId>i-1</instanceId><device>/dev/sdf</device><status>attached</status></item></attachmentSet><tagSet><item><key>Name</key><value>data</value></item></tagSet></item></volumeSet></DescribeVolumesResponse>"#;

const SNAPSHOTS: &str = r#"<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><snapshotSet><item><snapshotId>snap-1</snapshotId><volumeId>vol-1</volumeId><status>completed</status><startTime>2026-11-30T10:00:00.000Z</startTime><volumeSize>8</volumeSize><description>nightly</description><tagSet><item><key>Name</key><value>db</value></item></tagSet></item></snapshotSet></DescribeSnapshotsResponse>"#;

pub(crate) fn targets() -> Vec<Target> {
    vec![
        Target {
            name: "ec2: DescribeInstances",
            seeds: &[INSTANCES],
            run: |input| {
                if let Ok(page) = model::parse("x", &text(input)) {
                    drop(nodes_of(page));
                }
            },
        },
        Target {
            name: "ec2: RunInstances",
            seeds: &[RUN],
            run: |input| {
                if let Ok(run) = model::parse::<model::RunInstancesResponse>("x", &text(input)) {
                    run.instances_set
                        .item
                        .into_iter()
                        .for_each(|i| drop(to_node(i)));
                }
            },
        },
        Target {
            name: "ec2: DescribeInstanceTypes, Images, AvailabilityZones",
            seeds: &[TYPES, IMAGES, ZONES],
            run: |input| {
                let text = text(input);
                let _ = model::parse::<model::DescribeInstanceTypesResponse>("x", &text);
                if let Ok(images) = model::parse::<model::DescribeImagesResponse>("x", &text) {
                    images
                        .images_set
                        .item
                        .into_iter()
                        .for_each(|i| drop(to_image(i)));
                }
                let _ = model::parse::<model::DescribeAvailabilityZonesResponse>("x", &text);
            },
        },
        Target {
            name: "ec2: key pairs",
            seeds: &[KEYS, KEY],
            run: |input| {
                let text = text(input);
                if let Ok(keys) = model::parse::<model::DescribeKeyPairsResponse>("x", &text) {
                    keys.key_set
                        .item
                        .into_iter()
                        .for_each(|k| drop(to_key_pair(k)));
                }
                if let Ok(key) = model::parse::<model::KeyPairResponse>("x", &text) {
                    drop(to_key_pair(key));
                }
            },
        },
        Target {
            name: "ec2: volumes and snapshots",
            seeds: &[VOLUMES, SNAPSHOTS],
            run: |input| {
                let text = text(input);
                if let Ok(volumes) = model::parse::<model::DescribeVolumesResponse>("x", &text) {
                    volumes
                        .volume_set
                        .item
                        .into_iter()
                        .for_each(|v| drop(to_volume(v)));
                }
                if let Ok(snapshots) = model::parse::<model::DescribeSnapshotsResponse>("x", &text)
                {
                    snapshots
                        .snapshot_set
                        .item
                        .into_iter()
                        .for_each(|s| drop(to_snapshot(s)));
                }
            },
        },
    ]
}
