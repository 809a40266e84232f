//! `clouds.yaml`, the file OpenStack's own tools read when `OS_CLOUD` names a cloud: its `auth`
//! section, `auth_type`, `region_name` and `interface`, with the secrets that `secure.yaml` beside it
//! may hold merged in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use cloud_core::{Error, ErrorKind, Result, Secret};
use serde::Deserialize;

use crate::connect::var;
use crate::credentials::Credentials;

/// One cloud of a `clouds.yaml`: how to authenticate, and which endpoints to use.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct CloudConfig {
    /// The credentials its `auth` section gives.
    pub credentials: Credentials,
    /// `region_name`, if given.
    pub region: Option<String>,
    /// `interface` (`public`, `internal`, `admin`), if given.
    pub interface: Option<String>,
}

#[derive(Deserialize, Default)]
struct File {
    #[serde(default)]
    clouds: BTreeMap<String, Cloud>,
}

#[derive(Deserialize, Default, Clone)]
struct Cloud {
    #[serde(default)]
    auth: Auth,
    auth_type: Option<String>,
    region_name: Option<String>,
    interface: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
struct Auth {
    auth_url: Option<String>,
    username: Option<String>,
    password: Option<String>,
    project_name: Option<String>,
    user_domain_name: Option<String>,
    project_domain_name: Option<String>,
    application_credential_id: Option<String>,
    application_credential_secret: Option<String>,
}

impl Cloud {
    /// This cloud with the fields `secure` sets taking their place.
    fn merged(self, secure: Cloud) -> Cloud {
        let (a, s) = (self.auth, secure.auth);
        Cloud {
            auth: Auth {
                auth_url: s.auth_url.or(a.auth_url),
                username: s.username.or(a.username),
                password: s.password.or(a.password),
                project_name: s.project_name.or(a.project_name),
                user_domain_name: s.user_domain_name.or(a.user_domain_name),
                project_domain_name: s.project_domain_name.or(a.project_domain_name),
                application_credential_id: s
                    .application_credential_id
                    .or(a.application_credential_id),
                application_credential_secret: s
                    .application_credential_secret
                    .or(a.application_credential_secret),
            },
            auth_type: secure.auth_type.or(self.auth_type),
            region_name: secure.region_name.or(self.region_name),
            interface: secure.interface.or(self.interface),
        }
    }
}

/// Where OpenStack's tools look for `name` (`clouds.yaml` or `secure.yaml`), first match wins:
/// the current directory, `~/.config/openstack`, `/etc/openstack`.
fn search_path(name: &str) -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(".")];
    if let Some(home) = var("XDG_CONFIG_HOME") {
        dirs.push(PathBuf::from(home).join("openstack"));
    } else if let Some(home) = var("HOME") {
        dirs.push(PathBuf::from(home).join(".config/openstack"));
    }
    dirs.push(PathBuf::from("/etc/openstack"));
    dirs.into_iter().map(|d| d.join(name)).collect()
}

fn parse(path: &Path, text: &str) -> Result<File> {
    // The parser's own message may quote a value, which may be a password: only the file is named.
    serde_saphyr::from_str(text).map_err(|_| {
        Error::invalid_input(format!(
            "{} is not a clouds.yaml OpenStack's tools would read (a `clouds:` map of clouds)",
            path.display()
        ))
    })
}

impl CloudConfig {
    /// The cloud `name` from the first `clouds.yaml` found (`OS_CLIENT_CONFIG_FILE`, else the
    /// current directory, `~/.config/openstack`, `/etc/openstack`), with `secure.yaml`
    /// (`OS_CLIENT_SECURE_FILE`, else the same places) merged in.
    pub fn load(name: &str) -> Result<CloudConfig> {
        let candidates = match var("OS_CLIENT_CONFIG_FILE") {
            Some(file) => vec![PathBuf::from(file)],
            None => search_path("clouds.yaml"),
        };
        let Some((path, text)) = candidates
            .iter()
            .find_map(|p| std::fs::read_to_string(p).ok().map(|t| (p.clone(), t)))
        else {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!(
                    "OS_CLOUD names the cloud {name:?}, but no clouds.yaml was found (looked at {})",
                    looked.join(", ")
                ),
            ));
        };
        let secure_candidates = match var("OS_CLIENT_SECURE_FILE") {
            Some(file) => vec![PathBuf::from(file)],
            None => search_path("secure.yaml"),
        };
        let secure = secure_candidates
            .iter()
            .find_map(|p| std::fs::read_to_string(p).ok().map(|t| (p.clone(), t)));
        let secure = match &secure {
            Some((path, text)) => Some(parse(path, text)?),
            None => None,
        };
        CloudConfig::from_files(&path, &text, secure, name)
    }

    /// The cloud `name` of the `clouds.yaml` text `text` (read from `path`, for messages), with
    /// `secure`'s fields over it.
    fn from_files(
        path: &Path,
        text: &str,
        secure: Option<File>,
        name: &str,
    ) -> Result<CloudConfig> {
        let mut file = parse(path, text)?;
        let Some(cloud) = file.clouds.remove(name) else {
            let known: Vec<&str> = file.clouds.keys().map(String::as_str).collect();
            return Err(Error::new(
                ErrorKind::Unauthenticated,
                format!(
                    "{} has no cloud {name:?} (it has: {})",
                    path.display(),
                    known.join(", ")
                ),
            ));
        };
        let cloud = match secure.and_then(|mut s| s.clouds.remove(name)) {
            Some(secure) => cloud.merged(secure),
            None => cloud,
        };
        let credentials = credentials(&cloud.auth, cloud.auth_type.as_deref()).map_err(|e| {
            let said = e.message().unwrap_or("incomplete").to_owned();
            e.with_message(format!("cloud {name:?} of {}: {said}", path.display()))
        })?;
        Ok(CloudConfig {
            credentials,
            region: cloud.region_name,
            interface: cloud.interface,
        })
    }
}

fn credentials(auth: &Auth, auth_type: Option<&str>) -> Result<Credentials> {
    let missing =
        |what: &str| Error::new(ErrorKind::Unauthenticated, format!("auth has no {what}"));
    let auth_url = auth.auth_url.clone().ok_or_else(|| missing("auth_url"))?;
    let application = auth_type == Some("v3applicationcredential")
        || (auth_type.is_none() && auth.application_credential_id.is_some());
    if application {
        return Ok(Credentials::ApplicationCredential {
            auth_url,
            id: auth
                .application_credential_id
                .clone()
                .ok_or_else(|| missing("application_credential_id"))?,
            secret: Secret::new(
                auth.application_credential_secret
                    .clone()
                    .ok_or_else(|| missing("application_credential_secret"))?,
            ),
        });
    }
    let username = auth.username.clone().ok_or_else(|| missing("username"))?;
    let password = auth.password.clone().ok_or_else(|| missing("password"))?;
    if auth_type == Some("v1password") {
        return Ok(Credentials::tempauth(auth_url, username, password));
    }
    match auth_type {
        None | Some("password" | "v3password") => {}
        Some(other) => {
            return Err(Error::unsupported(format!(
                "auth_type {other:?} (password, v3password, v3applicationcredential and v1password are)"
            )))
        }
    }
    Ok(Credentials::Password {
        auth_url,
        username,
        password: Secret::new(password),
        user_domain: auth
            .user_domain_name
            .clone()
            .unwrap_or_else(|| "Default".to_owned()),
        project: auth
            .project_name
            .clone()
            .ok_or_else(|| missing("project_name"))?,
        project_domain: auth
            .project_domain_name
            .clone()
            .unwrap_or_else(|| "Default".to_owned()),
    })
}

#[cfg(any(feature = "swift", feature = "nova"))]
/// What every OpenStack driver's `from_env` reads: the credentials (those given win), the region and
/// the interface, from the cloud `OS_CLOUD` names in `clouds.yaml` with `OS_REGION_NAME` and
/// `OS_INTERFACE` over it, or from the `OS_*` variables alone.
pub(crate) fn settings_from_env(
    credentials: Option<Credentials>,
    region: Option<String>,
    interface: Option<String>,
) -> Result<(Credentials, Option<String>, Option<String>)> {
    let cloud = match var("OS_CLOUD") {
        Some(name) => Some(CloudConfig::load(&name)?),
        None => None,
    };
    let credentials = match (credentials, &cloud) {
        (Some(given), _) => given,
        (None, Some(cloud)) => cloud.credentials.clone(),
        (None, None) => Credentials::from_env()?,
    };
    let (cloud_region, cloud_interface) = cloud.map_or((None, None), |c| (c.region, c.interface));
    let region = region.or_else(|| var("OS_REGION_NAME")).or(cloud_region);
    let interface = interface
        .or_else(|| var("OS_INTERFACE"))
        .or(cloud_interface);
    Ok((credentials, region, interface))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUDS: &str = r#"
clouds:
  prod:
    auth:
      auth_url: https://keystone.example.com:5000/v3
      username: "demo"
      project_name: "demo-project"
      user_domain_name: "Users"
    region_name: "RegionTwo"
    interface: "internal"
  apps:
    auth_type: "v3applicationcredential"
    auth:
      auth_url: https://keystone.example.com:5000/v3
      application_credential_id: "4f3c"
      application_credential_secret: "planted-app-secret"
  saio:
    auth_type: v1password
    auth:
      auth_url: http://127.0.0.1:8080/auth/v1.0
      username: "test:tester"
      password: "testing"
"#;
    const SECURE: &str = r#"
clouds:
  prod:
    auth:
      password: "planted-password"
"#;

    fn load(name: &str) -> Result<CloudConfig> {
        let secure = parse(Path::new("secure.yaml"), SECURE).unwrap();
        CloudConfig::from_files(Path::new("clouds.yaml"), CLOUDS, Some(secure), name)
    }

    #[test]
    fn reads_each_kind_of_cloud_with_secure_yaml_merged() {
        let prod = load("prod").unwrap();
        assert_eq!(prod.region.as_deref(), Some("RegionTwo"));
        assert_eq!(prod.interface.as_deref(), Some("internal"));
        match &prod.credentials {
            Credentials::Password {
                username,
                password,
                user_domain,
                project,
                project_domain,
                ..
            } => {
                assert_eq!(username, "demo");
                assert_eq!(password.expose(), "planted-password", "from secure.yaml");
                assert_eq!(
                    (user_domain.as_str(), project.as_str()),
                    ("Users", "demo-project")
                );
                assert_eq!(project_domain, "Default");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            load("apps").unwrap().credentials,
            Credentials::ApplicationCredential { ref id, .. } if id == "4f3c"
        ));
        assert!(matches!(
            load("saio").unwrap().credentials,
            Credentials::TempAuth { .. }
        ));
    }

    #[test]
    fn a_missing_cloud_or_field_says_what_and_shows_no_secret() {
        let err = load("staging").unwrap_err();
        assert!(err.to_string().contains("apps, prod, saio"), "{err}");
        let no_password = CloudConfig::from_files(Path::new("clouds.yaml"), CLOUDS, None, "prod");
        let err = no_password.unwrap_err();
        assert!(err.to_string().contains("no password"), "{err}");
        let broken = "clouds:\n  x: [planted-password\n";
        let err = CloudConfig::from_files(Path::new("c.yaml"), broken, None, "x").unwrap_err();
        assert!(!err.to_string().contains("planted"), "{err}");
        assert!(!format!("{:?}", load("prod").unwrap()).contains("planted"));
    }
}
