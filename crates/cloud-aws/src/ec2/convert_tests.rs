//! Documents shaped as EC2 sends them, read into the vocabulary.

use super::*;

/// Two reservations; sets nested in sets (groups, network interfaces with their addresses, block
/// devices) before and after the tags, as EC2 writes them.
const INSTANCES: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>8f7724cf-496f-496e-8fe3-example</requestId>
  <reservationSet>
    <item>
      <reservationId>r-1</reservationId>
      <groupSet><item><groupId>sg-1</groupId><groupName>web</groupName></item></groupSet>
      <instancesSet>
        <item>
          <instanceId>i-0aaa</instanceId>
          <imageId>ami-1</imageId>
          <instanceState><code>16</code><name>running</name></instanceState>
          <productCodes/>
          <instanceType>t3.micro</instanceType>
          <launchTime>2026-11-30T10:00:00.000Z</launchTime>
          <placement><availabilityZone>eu-west-1b</availabilityZone><tenancy>default</tenancy></placement>
          <privateIpAddress>10.0.0.5</privateIpAddress>
          <ipAddress>203.0.113.9</ipAddress>
          <groupSet><item><groupId>sg-1</groupId><groupName>web</groupName></item></groupSet>
          <blockDeviceMapping>
            <item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-1</volumeId><status>attached</status></ebs></item>
          </blockDeviceMapping>
          <tagSet>
            <item><key>team</key><value>storage</value></item>
            <item><key>Name</key><value>web-1</value></item>
            <item><key>empty</key><value/></item>
          </tagSet>
          <networkInterfaceSet>
            <item>
              <networkInterfaceId>eni-1</networkInterfaceId>
              <privateIpAddressesSet>
                <item><privateIpAddress>10.0.0.5</privateIpAddress><primary>true</primary></item>
                <item><privateIpAddress>10.0.0.6</privateIpAddress><primary>false</primary></item>
              </privateIpAddressesSet>
              <groupSet><item><groupId>sg-1</groupId></item></groupSet>
            </item>
          </networkInterfaceSet>
          <keyName>deploy</keyName>
        </item>
      </instancesSet>
    </item>
    <item>
      <reservationId>r-2</reservationId>
      <instancesSet>
        <item>
          <instanceId>i-0bbb</instanceId>
          <instanceState><code>0</code><name>pending</name></instanceState>
          <keyName></keyName>
          <tagSet/>
        </item>
      </instancesSet>
    </item>
  </reservationSet>
</DescribeInstancesResponse>"#;

#[test]
fn instances_with_nested_sets_are_nodes_named_by_their_name_tag() {
    let (nodes, next) = nodes_of(model::parse("instance list", INSTANCES).unwrap());
    assert_eq!(next, None);
    assert_eq!(nodes.len(), 2);
    let web = &nodes[0];
    assert_eq!(web.id, "i-0aaa");
    assert_eq!(web.name, "web-1");
    assert_eq!(web.state, NodeState::Running);
    assert_eq!(web.size.as_deref(), Some("t3.micro"));
    assert_eq!(web.image.as_deref(), Some("ami-1"));
    assert_eq!(web.location.as_deref(), Some("eu-west-1b"));
    assert_eq!(web.key_pair.as_deref(), Some("deploy"));
    assert_eq!(web.private_ips, ["10.0.0.5".parse::<IpAddr>().unwrap()]);
    assert_eq!(web.public_ips, ["203.0.113.9".parse::<IpAddr>().unwrap()]);
    assert_eq!(
        web.tags.iter().collect::<Vec<_>>(),
        [
            (&"empty".to_owned(), &String::new()),
            (&"team".to_owned(), &"storage".to_owned())
        ],
        "the Name tag is the name, not a tag"
    );
    assert!(web.created_at.is_some());
    let bare = &nodes[1];
    assert_eq!(bare.name, "i-0bbb", "no Name tag: the id");
    assert_eq!(bare.state, NodeState::Pending);
    assert_eq!(bare.key_pair, None);
    assert!(bare.tags.is_empty());
}

#[test]
fn a_snapshot_is_named_by_its_name_tag_then_its_description_then_its_id() {
    let xml = r#"<DescribeSnapshotsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
      <snapshotSet>
        <item><snapshotId>snap-1</snapshotId><volumeId>vol-1</volumeId><status>completed</status>
          <volumeSize>8</volumeSize><description>nightly</description>
          <tagSet><item><key>Name</key><value>db-backup</value></item></tagSet></item>
        <item><snapshotId>snap-2</snapshotId><status>pending</status><description>made by hand</description></item>
        <item><snapshotId>snap-3</snapshotId><status>error</status><description/></item>
      </snapshotSet></DescribeSnapshotsResponse>"#;
    let listed: model::DescribeSnapshotsResponse = model::parse("snapshot list", xml).unwrap();
    let snapshots: Vec<Snapshot> = listed
        .snapshot_set
        .item
        .into_iter()
        .map(to_snapshot)
        .collect();
    let names: Vec<&str> = snapshots.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["db-backup", "made by hand", "snap-3"]);
    assert_eq!(snapshots[0].size_gib, Some(8));
    assert_eq!(snapshots[0].volume_id.as_deref(), Some("vol-1"));
    assert_eq!(
        snapshots.iter().map(|s| s.state).collect::<Vec<_>>(),
        [
            SnapshotState::Completed,
            SnapshotState::Pending,
            SnapshotState::Error
        ]
    );
}

#[test]
fn key_pair_fingerprints_are_trimmed() {
    let xml = "<CreateKeyPairResponse><keyName>deploy</keyName>\
        <keyFingerprint>\n   1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f\n  </keyFingerprint>\
        <keyMaterial>-----BEGIN RSA PRIVATE KEY-----</keyMaterial></CreateKeyPairResponse>";
    let pair = to_key_pair(model::parse("key pair", xml).unwrap());
    assert_eq!(
        pair.fingerprint.as_deref(),
        Some("1f:51:ae:28:bf:89:e9:d8:1f:25:5d:37:2d:7d:b8:ca:9f:f5:f1:6f")
    );
    assert!(pair.private_key.is_some());
    let blank = "<ImportKeyPairResponse><keyName>k</keyName><keyFingerprint> </keyFingerprint></ImportKeyPairResponse>";
    assert_eq!(
        to_key_pair(model::parse("key pair", blank).unwrap()).fingerprint,
        None
    );
}
