//! The API token: a personal access token or an OAuth token, sent as `Authorization: Bearer …`.

use cloud_core::{Error, ErrorKind, Result, Secret};

/// The variables a token is read from, in order: `doctl`'s and the Terraform provider's.
pub const TOKEN_VARIABLES: [&str; 2] = ["DIGITALOCEAN_TOKEN", "DIGITALOCEAN_ACCESS_TOKEN"];

/// The API token from the first of [`TOKEN_VARIABLES`] that is set and not empty.
pub fn token_from_env() -> Result<Secret> {
    TOKEN_VARIABLES
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
        .map(|token| Secret::new(token.trim()))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Unauthenticated,
                format!(
                    "no DigitalOcean API token: set {} (or {})",
                    TOKEN_VARIABLES[0], TOKEN_VARIABLES[1]
                ),
            )
        })
}
