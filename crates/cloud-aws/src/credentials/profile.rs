//! The shared profile files (`~/.aws/config`, `~/.aws/credentials`) and the settings the SDKs read
//! from them and from the environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use cloud_core::redact::RedactedUrl;
use cloud_core::{Error, Result};

pub(crate) fn profile_name() -> String {
    env_var("AWS_PROFILE").unwrap_or_else(|| "default".to_owned())
}

pub(crate) fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
}

pub(crate) fn credentials_file() -> PathBuf {
    std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".aws/credentials"))
}

pub(crate) fn config_file() -> PathBuf {
    std::env::var_os("AWS_CONFIG_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".aws/config"))
}

/// The settings of one profile, merged from the credentials file and the config file (the credentials
/// file wins).
#[derive(Clone, Default)]
pub(crate) struct Profile {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Profile {
    /// Every setting's name, and the values of those that carry no credential.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.values {
            let shown = if cloud_core::redact::is_secret_name(name) {
                "***".into()
            } else {
                cloud_core::redact::url(value)
            };
            map.entry(name, &shown);
        }
        map.finish()
    }
}

impl Profile {
    /// The profile `name`; empty when neither file has it (missing files are not an error).
    pub(crate) fn load(name: &str) -> Result<Profile> {
        let mut values = BTreeMap::new();
        let config_section = if name == "default" {
            "default".to_owned()
        } else {
            format!("profile {name}")
        };
        for (path, section) in [
            (config_file(), config_section),
            (credentials_file(), name.to_owned()),
        ] {
            match std::fs::read_to_string(&path) {
                Ok(text) => values.extend(parse_section(&text, &section)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(Error::from(e).with_message(format!("reading {}", path.display())));
                }
            }
        }
        Ok(Profile { values })
    }

    /// A setting, if present and not empty.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The settings of `[section]` of the config file (`sso-session NAME`, say); empty when absent.
pub(crate) fn config_section(section: &str) -> Result<Profile> {
    let path = config_file();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Profile {
            values: parse_section(&text, section),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profile::default()),
        Err(e) => Err(Error::from(e).with_message(format!("reading {}", path.display()))),
    }
}

/// Where a service's requests go, as the AWS SDKs read it from the environment.
#[derive(Debug, Default)]
pub(crate) struct ServiceEnv {
    /// `AWS_REGION`, `AWS_DEFAULT_REGION`, or the profile's `region`.
    pub(crate) region: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, or the profile's `endpoint_url`.
    pub(crate) endpoint: Option<RedactedUrl>,
}

impl ServiceEnv {
    /// The settings for `service` (`S3`, `EC2`: the suffix of its `AWS_ENDPOINT_URL_…` variable), from
    /// the environment and then the `AWS_PROFILE` profile (unreadable files count as empty).
    pub(crate) fn load(service: &str) -> ServiceEnv {
        let profile = Profile::load(&profile_name()).unwrap_or_default();
        ServiceEnv {
            region: env_var("AWS_REGION")
                .or_else(|| env_var("AWS_DEFAULT_REGION"))
                .or_else(|| profile.get("region").map(str::to_owned)),
            endpoint: env_var(&format!("AWS_ENDPOINT_URL_{service}"))
                .or_else(|| env_var("AWS_ENDPOINT_URL"))
                .or_else(|| profile.get("endpoint_url").map(str::to_owned))
                .map(RedactedUrl::new),
        }
    }
}

/// An environment variable, if set and not empty.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The `key = value` lines of `[section]` in an INI-style AWS file.
fn parse_section(text: &str, section: &str) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.trim() == section;
            continue;
        }
        if inside {
            if let Some((key, value)) = line.split_once('=') {
                values.insert(key.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_section_of_an_aws_file() {
        let text = "[default]\naws_access_key_id = AKID1\n\n[profile dev]\n# comment\naws_access_key_id=AKID2\nregion = eu-west-1\n[other]\nx=y\n";
        let dev = parse_section(text, "profile dev");
        assert_eq!(
            dev.get("aws_access_key_id").map(String::as_str),
            Some("AKID2")
        );
        assert_eq!(dev.get("region").map(String::as_str), Some("eu-west-1"));
        assert!(!dev.contains_key("x"));
        assert_eq!(parse_section(text, "default").len(), 1);
    }

    #[test]
    fn a_profile_shows_its_settings_but_no_secret() {
        let text = "[default]\naws_access_key_id = AKID1\naws_secret_access_key = PLANTED-1\n\
            aws_session_token = PLANTED-2\nregion = eu-west-1\n\
            endpoint_url = http://user:PLANTED-3@127.0.0.1:9000\ncredential_process = /bin/get PLANTED-4\n";
        let profile = Profile {
            values: parse_section(text, "default"),
        };
        let shown = format!("{profile:?} {profile:#?}");
        assert!(
            shown.contains("eu-west-1") && shown.contains("aws_secret_access_key"),
            "{shown}"
        );
        assert!(!shown.contains("PLANTED"), "{shown}");
    }

    #[test]
    fn a_service_env_shows_its_endpoint_without_user_info() {
        let env = ServiceEnv {
            region: None,
            endpoint: Some(RedactedUrl::new("http://user:PLANTED@h")),
        };
        assert!(!format!("{env:?}").contains("PLANTED"));
    }
}
