//! Each provider feature of the `cloud` facade pulls in its own provider crate and no other: a user
//! who builds for Azure compiles no AWS, Google or OpenStack code. Checked with `cargo tree`.

use crate::cmd::cargo;

/// The facade's provider features and the crate each brings.
const PROVIDERS: &[(&str, &str)] = &[
    ("local", "cloud-local"),
    ("aws", "cloud-aws"),
    ("azure", "cloud-azure"),
    ("gcp", "cloud-gcp"),
    ("digitalocean", "cloud-digitalocean"),
    ("openstack", "cloud-openstack"),
];

/// Fails naming the feature and the foreign crate when one provider's build holds another's.
pub(crate) fn check_provider_isolation() -> Result<(), String> {
    for (feature, own) in PROVIDERS {
        let out = cargo()
            .args(["tree", "-p", "cloud", "--no-default-features", "--features"])
            .arg(format!("storage,compute,{feature}"))
            .args(["-e", "normal", "--prefix", "none", "--format", "{p}"])
            .output()
            .map_err(|e| format!("could not run cargo tree: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo tree for feature {feature} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let tree = String::from_utf8_lossy(&out.stdout);
        let crates: Vec<&str> = tree
            .lines()
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        if !crates.contains(own) {
            return Err(format!("feature {feature} does not bring {own}"));
        }
        if let Some((_, foreign)) = PROVIDERS
            .iter()
            .find(|(_, other)| other != own && crates.contains(other))
        {
            return Err(format!(
                "a build of `cloud` with only the {feature} provider pulls in {foreign}"
            ));
        }
    }
    eprintln!("each provider feature pulls in its own provider crate and no other");
    Ok(())
}
