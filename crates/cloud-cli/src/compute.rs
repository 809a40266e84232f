//! `cloud compute --provider NAME …`: nodes, sizes, images, locations, key pairs, volumes and snapshots.
//!
//! Providers: `ec2` (configured by the usual `AWS_*` variables and profiles; `AWS_ENDPOINT_URL` for moto),
//! `digitalocean` (`DIGITALOCEAN_TOKEN`, `DIGITALOCEAN_API_URL`, `DIGITALOCEAN_REGION`), `openstack`
//! (Nova: the `OS_*` variables of an OpenStack RC file, or `OS_CLOUD` and `clouds.yaml`;
//! `OS_COMPUTE_API_URL` for another compute endpoint) and `memory`, a simulated cloud that lives as long as the command, useful to try the commands and
//! their output (`create-node --count 5 --wait` shows nodes booting).

use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use cloud::compute::{wait_until_running, ComputeDriver, CreateNode, CreateVolume, Node};
use cloud::core::PollOptions;
use cloud::{Error, Result};
use futures_util::TryStreamExt;
use serde_json::{json, Value};

use crate::report::{timestamp, Output};

/// A compute command.
#[derive(Debug, Subcommand)]
pub(crate) enum ComputeCommand {
    /// List nodes.
    ListNodes,
    /// Create one or more nodes.
    CreateNode {
        /// The name (suffixed -1, -2, … with --count).
        name: String,
        /// The image id.
        #[arg(long)]
        image: String,
        /// The size id.
        #[arg(long)]
        size: String,
        /// How many nodes.
        #[arg(long, default_value_t = 1)]
        count: u32,
        /// A key pair to install.
        #[arg(long)]
        key_pair: Option<String>,
        /// The location.
        #[arg(long)]
        location: Option<String>,
        /// Wait until every node runs.
        #[arg(long)]
        wait: bool,
    },
    /// Start a stopped node.
    StartNode {
        /// The node id.
        id: String,
    },
    /// Stop a running node.
    StopNode {
        /// The node id.
        id: String,
    },
    /// Reboot a node.
    RebootNode {
        /// The node id.
        id: String,
    },
    /// Destroy nodes.
    DestroyNode {
        /// The node ids.
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// List sizes.
    ListSizes,
    /// List images.
    ListImages,
    /// List locations.
    ListLocations,
    /// List key pairs.
    ListKeyPairs,
    /// Create a key pair; its private key is printed once.
    CreateKeyPair {
        /// The name.
        name: String,
    },
    /// Import an OpenSSH public key from a file.
    ImportKeyPair {
        /// The name.
        name: String,
        /// The public key file (`~/.ssh/id_ed25519.pub`).
        public_key_file: std::path::PathBuf,
    },
    /// Delete a key pair.
    DeleteKeyPair {
        /// The name.
        name: String,
    },
    /// List volumes.
    ListVolumes,
    /// Create a volume.
    CreateVolume {
        /// The name.
        name: String,
        /// The size in GiB.
        #[arg(long)]
        size_gib: u64,
    },
    /// Attach a volume to a node.
    AttachVolume {
        /// The volume id.
        volume: String,
        /// The node id.
        node: String,
        /// The device, where the provider wants one.
        #[arg(long)]
        device: Option<String>,
    },
    /// Detach a volume.
    DetachVolume {
        /// The volume id.
        volume: String,
    },
    /// Destroy a volume.
    DestroyVolume {
        /// The volume id.
        volume: String,
    },
    /// List snapshots.
    ListSnapshots,
    /// Snapshot a volume.
    CreateSnapshot {
        /// The volume id.
        volume: String,
        /// The name.
        name: String,
    },
    /// Destroy a snapshot.
    DestroySnapshot {
        /// The snapshot id.
        id: String,
    },
}

/// The driver for `provider`.
pub(crate) fn driver(provider: &str, endpoint: Option<&str>) -> Result<Arc<dyn ComputeDriver>> {
    cloud::compute::from_name_at(provider, endpoint).map_err(|e| match e.kind() {
        cloud::ErrorKind::Unsupported => e.with_message(format!(
            "no compute provider {provider:?} in this build (known: memory, ec2, digitalocean, openstack)"
        )),
        _ => e,
    })
}

fn node_json(node: &Node) -> serde_json::Value {
    json!({
        "type": "node",
        "id": node.id,
        "name": node.name,
        "state": node.state.to_string(),
        "size": node.size,
        "image": node.image,
        "location": node.location,
        "public_ips": node.public_ips.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "private_ips": node.private_ips.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "key_pair": node.key_pair,
        "created_at": node.created_at.map(|t| humantime::format_rfc3339(t).to_string()),
        "tags": node.tags,
    })
}

fn print_nodes(output: Output, nodes: &[Node]) {
    if output.json {
        nodes.iter().for_each(|n| output.json(&node_json(n)));
        return;
    }
    output.line(&format!(
        "{:<20} {:<20} {:<12} {:<10} {:<16} {}",
        "ID", "NAME", "STATE", "SIZE", "PUBLIC IP", "CREATED"
    ));
    for node in nodes {
        output.line(&format!(
            "{:<20} {:<20} {:<12} {:<10} {:<16} {}",
            node.id,
            node.name,
            node.state.to_string(),
            node.size.as_deref().unwrap_or("-"),
            node.public_ips
                .first()
                .map_or("-".to_owned(), ToString::to_string),
            timestamp(node.created_at)
        ));
    }
}

/// A table of rows for people, or one JSON object per row for programs: numbers stay numbers and an
/// absent value is `null` in JSON, `-` in the table.
fn print_rows(output: Output, kind: &str, header: &[&str], rows: Vec<Vec<Value>>) {
    if output.json {
        for row in rows {
            let mut object = serde_json::Map::new();
            object.insert("type".into(), json!(kind));
            for (name, value) in header.iter().zip(row) {
                object.insert(name.to_ascii_lowercase().replace(' ', "_"), value);
            }
            output.json(&Value::Object(object));
        }
        return;
    }
    let rows: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| row.iter().map(shown).collect())
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    output.line(line(header.iter().map(|h| h.to_string()).collect()).trim_end());
    for row in rows {
        output.line(line(row).trim_end());
    }
}

/// A cell as the table shows it.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

pub(crate) async fn run(
    provider: &str,
    endpoint: Option<&str>,
    command: ComputeCommand,
    output: Output,
) -> Result<()> {
    let cloud = driver(provider, endpoint)?;
    match command {
        ComputeCommand::ListNodes => {
            let nodes: Vec<Node> = cloud.list_nodes().try_collect().await?;
            print_nodes(output, &nodes);
        }
        ComputeCommand::CreateNode {
            name,
            image,
            size,
            count,
            key_pair,
            location,
            wait,
        } => {
            let mut request = CreateNode::new(name, size, image).count(count);
            request.key_pair = key_pair;
            request.location = location;
            let mut nodes = cloud.create_nodes(&request).await?;
            if wait {
                let ids: Vec<String> = nodes.iter().map(|n| n.id.clone()).collect();
                let options = PollOptions::default().with_timeout(Some(Duration::from_secs(1800)));
                nodes = wait_until_running(&*cloud, &ids, &options).await?;
            }
            print_nodes(output, &nodes);
        }
        ComputeCommand::StartNode { id } => cloud.start_node(&id).await?,
        ComputeCommand::StopNode { id } => cloud.stop_node(&id).await?,
        ComputeCommand::RebootNode { id } => cloud.reboot_node(&id).await?,
        ComputeCommand::DestroyNode { ids } => cloud.destroy_nodes(&ids).await?,
        ComputeCommand::ListSizes => {
            let rows = cloud
                .list_sizes()
                .await?
                .into_iter()
                .map(|s| {
                    vec![
                        json!(s.id),
                        json!(s.vcpus),
                        json!(s.ram_mib),
                        json!(s.disk_gib),
                        json!(s.price_per_hour),
                    ]
                })
                .collect();
            print_rows(
                output,
                "size",
                &["ID", "VCPUS", "RAM MIB", "DISK GIB", "PRICE PER HOUR"],
                rows,
            );
        }
        ComputeCommand::ListImages => {
            let images: Vec<_> = cloud.list_images().try_collect().await?;
            let rows = images
                .into_iter()
                .map(|i| vec![json!(i.id), json!(i.name), json!(i.owner)])
                .collect();
            print_rows(output, "image", &["ID", "NAME", "OWNER"], rows);
        }
        ComputeCommand::ListLocations => {
            let rows = cloud
                .list_locations()
                .await?
                .into_iter()
                .map(|l| vec![json!(l.id), json!(l.name)])
                .collect();
            print_rows(output, "location", &["ID", "NAME"], rows);
        }
        ComputeCommand::ListKeyPairs => {
            let rows = cloud
                .list_key_pairs()
                .await?
                .into_iter()
                .map(|k| vec![json!(k.name), json!(k.fingerprint)])
                .collect();
            print_rows(output, "key_pair", &["NAME", "FINGERPRINT"], rows);
        }
        ComputeCommand::CreateKeyPair { name } => {
            let pair = cloud.create_key_pair(&name).await?;
            let private = pair
                .private_key
                .as_ref()
                .map(|k| k.expose().to_owned())
                .unwrap_or_default();
            if output.json {
                output.json(&json!({"type": "key_pair", "name": pair.name, "fingerprint": pair.fingerprint, "private_key": private}));
            } else {
                output.line(&private);
            }
        }
        ComputeCommand::ImportKeyPair {
            name,
            public_key_file,
        } => {
            let key = std::fs::read_to_string(&public_key_file).map_err(|e| {
                Error::from(e).with_message(format!("reading {}", public_key_file.display()))
            })?;
            let pair = cloud.import_key_pair(&name, &key).await?;
            print_rows(
                output,
                "key_pair",
                &["NAME", "FINGERPRINT"],
                vec![vec![json!(pair.name), json!(pair.fingerprint)]],
            );
        }
        ComputeCommand::DeleteKeyPair { name } => cloud.delete_key_pair(&name).await?,
        ComputeCommand::ListVolumes => {
            let rows = cloud
                .list_volumes()
                .await?
                .into_iter()
                .map(|v| {
                    vec![
                        json!(v.id),
                        json!(v.name),
                        json!(v.size_gib),
                        json!(format!("{:?}", v.state)),
                        json!(v.attached_to),
                    ]
                })
                .collect();
            print_rows(
                output,
                "volume",
                &["ID", "NAME", "SIZE GIB", "STATE", "ATTACHED TO"],
                rows,
            );
        }
        ComputeCommand::CreateVolume { name, size_gib } => {
            let volume = cloud
                .create_volume(&CreateVolume::new(name, size_gib))
                .await?;
            print_rows(
                output,
                "volume",
                &["ID", "NAME", "SIZE GIB"],
                vec![vec![
                    json!(volume.id),
                    json!(volume.name),
                    json!(volume.size_gib),
                ]],
            );
        }
        ComputeCommand::AttachVolume {
            volume,
            node,
            device,
        } => {
            cloud
                .attach_volume(&volume, &node, device.as_deref())
                .await?
        }
        ComputeCommand::DetachVolume { volume } => cloud.detach_volume(&volume).await?,
        ComputeCommand::DestroyVolume { volume } => cloud.destroy_volume(&volume).await?,
        ComputeCommand::ListSnapshots => {
            let rows = cloud
                .list_snapshots()
                .await?
                .into_iter()
                .map(|s| {
                    vec![
                        json!(s.id),
                        json!(s.name),
                        json!(s.volume_id),
                        json!(format!("{:?}", s.state)),
                    ]
                })
                .collect();
            print_rows(output, "snapshot", &["ID", "NAME", "VOLUME", "STATE"], rows);
        }
        ComputeCommand::CreateSnapshot { volume, name } => {
            let snapshot = cloud.create_snapshot(&volume, &name).await?;
            print_rows(
                output,
                "snapshot",
                &["ID", "NAME"],
                vec![vec![json!(snapshot.id), json!(snapshot.name)]],
            );
        }
        ComputeCommand::DestroySnapshot { id } => cloud.destroy_snapshot(&id).await?,
    }
    Ok(())
}
