//! `cloud cp`: copying between local files and providers in any direction, one object or a whole tree.
//!
//! - local → remote: [`upload_file`](cloud::storage::upload_file), verified; remote → local:
//!   [`download_file`](cloud::storage::download_file), atomic and verified;
//!   remote → remote: server-side copy within one provider, otherwise streamed from one to the other
//!   without touching the local disk.
//! - `--recursive SRC DST` puts the contents of SRC under DST (as `aws s3 cp --recursive` does), copying
//!   `--concurrency` files at once. One failed file does not stop the others; the command reports every
//!   failure and exits non-zero.

use std::path::{Path, PathBuf};
use std::time::Instant;

use cloud::storage::{
    download_file_with_progress, upload_file_with_progress, GetOptions, ListOptions, Payload,
    Progress, PutOptions,
};
use cloud::{Error, Result};
use futures_util::{StreamExt, TryStreamExt};

use crate::location::{Location, Remote};
use crate::report::{summary, Output};

/// One file or object to copy.
enum Job {
    Upload {
        path: PathBuf,
        to: Remote,
        key: String,
    },
    Download {
        from: Remote,
        key: String,
        path: PathBuf,
    },
    Copy {
        from: Remote,
        key: String,
        to: Remote,
        to_key: String,
    },
    Local {
        path: PathBuf,
        to: PathBuf,
    },
}

impl Job {
    fn describe(&self) -> String {
        match self {
            Job::Upload { path, to, key } => {
                format!("{} → {}", path.display(), to.url.with_key(key))
            }
            Job::Download { from, key, path } => {
                format!("{} → {}", from.url.with_key(key), path.display())
            }
            Job::Copy {
                from,
                key,
                to,
                to_key,
            } => format!("{} → {}", from.url.with_key(key), to.url.with_key(to_key)),
            Job::Local { path, to } => format!("{} → {}", path.display(), to.display()),
        }
    }

    /// Runs the job; returns the bytes copied.
    async fn run(self, progress: Progress) -> Result<u64> {
        match self {
            Job::Upload { path, to, key } => {
                let meta = upload_file_with_progress(
                    &*to.driver,
                    to.container()?,
                    &key,
                    &path,
                    &PutOptions::new(),
                    progress,
                )
                .await?;
                Ok(meta.size)
            }
            Job::Download { from, key, path } => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(parent).await?;
                }
                let meta = download_file_with_progress(
                    &*from.driver,
                    from.container()?,
                    &key,
                    &path,
                    progress,
                )
                .await?;
                Ok(meta.size)
            }
            Job::Copy {
                from,
                key,
                to,
                to_key,
            } => copy_remote(&from, &key, &to, &to_key, progress).await,
            Job::Local { path, to } => {
                if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
                    tokio::fs::create_dir_all(parent).await?;
                }
                let size = tokio::fs::copy(&path, &to).await?;
                progress(size);
                Ok(size)
            }
        }
    }
}

/// Server-side within one provider; streamed between two.
async fn copy_remote(
    from: &Remote,
    key: &str,
    to: &Remote,
    to_key: &str,
    progress: Progress,
) -> Result<u64> {
    let (from_container, to_container) = (from.container()?, to.container()?);
    if from.url.scheme() == to.url.scheme() {
        let meta = from
            .driver
            .copy_object(from_container, key, to_container, to_key)
            .await?;
        progress(meta.size);
        return Ok(meta.size);
    }
    let source = from
        .driver
        .get_object(from_container, key, &GetOptions::new())
        .await?;
    let mut options = PutOptions::new();
    options.content_type = source.meta.content_type.clone();
    options.metadata = source.meta.metadata.clone();
    let size = source.meta.size;
    let body = source
        .body
        .inspect_ok(move |chunk| progress(chunk.len() as u64))
        .boxed();
    let payload = Payload::Stream {
        stream: body,
        len: Some(size),
    };
    to.driver
        .put_object(to_container, to_key, payload, &options)
        .await?;
    Ok(size)
}

fn base_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// The path under `dir` for the relative key `rel`, refusing keys that would land outside it.
fn path_under(dir: &Path, rel: &str, key: &str) -> Result<PathBuf> {
    let mut path = dir.to_path_buf();
    for segment in rel.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || segment.contains(['\0', '\\'])
        {
            return Err(Error::invalid_input(format!(
                "refusing to copy {key}: its name would not stay inside {}",
                dir.display()
            )));
        }
        path.push(segment);
    }
    Ok(path)
}

/// Joins a folder prefix and a file name or relative key.
fn under(prefix: &str, rel: &str) -> String {
    format!("{prefix}{rel}")
}

fn single(src: Location, dst: Location) -> Result<Job> {
    Ok(match (src, dst) {
        (Location::Local(path), Location::Remote(to)) => {
            let key = match to.key() {
                key if key.is_empty() || key.ends_with('/') => {
                    let name = path.file_name().ok_or_else(|| {
                        Error::invalid_input(format!("{} names no file", path.display()))
                    })?;
                    under(key, &name.to_string_lossy())
                }
                key => key.to_owned(),
            };
            Job::Upload { path, to, key }
        }
        (Location::Remote(from), Location::Local(path)) => {
            let key = from
                .url
                .key()
                .ok_or_else(|| Error::invalid_input(format!("{} names no object", from.url)))?
                .to_owned();
            let path = if path.is_dir() || path.to_string_lossy().ends_with('/') {
                path_under(&path, base_name(&key), &key)?
            } else {
                path
            };
            Job::Download { from, key, path }
        }
        (Location::Remote(from), Location::Remote(to)) => {
            let key = from
                .url
                .key()
                .ok_or_else(|| Error::invalid_input(format!("{} names no object", from.url)))?
                .to_owned();
            let to_key = match to.key() {
                k if k.is_empty() || k.ends_with('/') => under(k, base_name(&key)),
                k => k.to_owned(),
            };
            Job::Copy {
                from,
                key,
                to,
                to_key,
            }
        }
        (Location::Local(path), Location::Local(to)) => {
            let to = if to.is_dir() {
                to.join(path.file_name().unwrap_or_default())
            } else {
                to
            };
            Job::Local { path, to }
        }
    })
}

/// Every file under `dir`, with its path relative to `dir` written with `/`, and the total size.
async fn local_tree(dir: PathBuf) -> Result<(Vec<(PathBuf, String)>, u64)> {
    tokio::task::spawn_blocking(move || {
        if !dir.is_dir() {
            return Err(Error::invalid_input(format!(
                "{} is not a folder",
                dir.display()
            )));
        }
        let mut files = Vec::new();
        let mut total = 0;
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.map_err(|e| {
                Error::new(cloud::ErrorKind::Unexpected, "walking the folder").with_source(e)
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry.path().strip_prefix(&dir).unwrap_or(entry.path());
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            total += entry.metadata().map(|m| m.len()).unwrap_or(0);
            files.push((entry.path().to_path_buf(), rel.join("/")));
        }
        Ok((files, total))
    })
    .await
    .map_err(|e| Error::unexpected("walking the folder stopped").with_source(e))?
}

/// Every object under the folder prefix of `from`, as (key, key relative to the prefix), and the total.
async fn remote_tree(from: &Remote) -> Result<(Vec<(String, String)>, u64)> {
    let prefix = from.folder_prefix();
    let objects: Vec<_> = from
        .driver
        .list_objects(from.container()?, &ListOptions::new().prefix(&prefix))
        .try_filter_map(|entry| async move { Ok(entry.into_object()) })
        .try_collect()
        .await?;
    let total = objects.iter().map(|o| o.size).sum();
    let keys = objects
        .into_iter()
        .filter(|o| o.key.len() > prefix.len())
        .map(|o| {
            let rel = o.key[prefix.len()..].to_owned();
            (o.key, rel)
        })
        .collect();
    Ok((keys, total))
}

async fn recursive(src: Location, dst: Location) -> Result<(Vec<Job>, u64)> {
    Ok(match (src, dst) {
        (Location::Local(dir), Location::Remote(to)) => {
            let (files, total) = local_tree(dir).await?;
            let prefix = to.folder_prefix();
            let jobs = files
                .into_iter()
                .map(|(path, rel)| Job::Upload {
                    path,
                    to: to.clone(),
                    key: under(&prefix, &rel),
                })
                .collect();
            (jobs, total)
        }
        (Location::Remote(from), Location::Local(dir)) => {
            let (keys, total) = remote_tree(&from).await?;
            let mut jobs = Vec::with_capacity(keys.len());
            for (key, rel) in keys {
                let path = path_under(&dir, &rel, &key)?;
                jobs.push(Job::Download {
                    from: from.clone(),
                    key,
                    path,
                });
            }
            (jobs, total)
        }
        (Location::Remote(from), Location::Remote(to)) => {
            let (keys, total) = remote_tree(&from).await?;
            let prefix = to.folder_prefix();
            let jobs = keys
                .into_iter()
                .map(|(key, rel)| Job::Copy {
                    from: from.clone(),
                    key,
                    to: to.clone(),
                    to_key: under(&prefix, &rel),
                })
                .collect();
            (jobs, total)
        }
        (Location::Local(dir), Location::Local(to)) => {
            let (files, total) = local_tree(dir).await?;
            let jobs = files
                .into_iter()
                .map(|(path, rel)| Job::Local {
                    path,
                    to: to.join(rel),
                })
                .collect();
            (jobs, total)
        }
    })
}

/// Runs `cloud cp`.
pub(crate) async fn run(
    src: Location,
    dst: Location,
    recursive_copy: bool,
    concurrency: usize,
    output: Output,
    verbose: bool,
) -> Result<()> {
    let start = Instant::now();
    let (jobs, total) = if recursive_copy {
        recursive(src, dst).await?
    } else {
        (vec![single(src, dst)?], 0)
    };
    let files = jobs.len() as u64;
    let transfer = output.progress((total > 0).then_some(total), "copying");
    let progress = transfer.callback();
    let results: Vec<(String, Result<u64>)> = futures_util::stream::iter(jobs)
        .map(|job| {
            let progress = progress.clone();
            async move {
                let what = job.describe();
                let result = job.run(progress).await;
                (what, result)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .inspect(|(what, result)| {
            if verbose && result.is_ok() && !output.json {
                output.line(&format!("copy: {what}"));
            }
        })
        .collect()
        .await;
    transfer.finish();
    let mut copied = 0;
    let mut failures = Vec::new();
    for (what, result) in results {
        match result {
            Ok(size) => copied += size,
            Err(err) => failures.push((what, err)),
        }
    }
    if failures.is_empty() {
        summary(&output, "copied", files, copied, start.elapsed());
        return Ok(());
    }
    if files == 1 {
        let (_, err) = failures.remove(0);
        return Err(err);
    }
    for (what, err) in &failures {
        eprintln!("cloud: failed: {what}: {err}");
    }
    let kind = failures[0].1.kind();
    Err(Error::new(
        kind,
        format!(
            "{} of {files} copies failed; the others completed",
            failures.len()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use cloud::storage::{LocalStorage, MemoryStorage, StorageDriver, StorageExt};

    fn remote(driver: Arc<dyn StorageDriver>, url: &str) -> Location {
        Location::Remote(Remote {
            driver,
            url: url.parse().unwrap(),
        })
    }

    #[tokio::test]
    async fn copies_between_providers_as_a_stream() {
        let dir = tempfile::tempdir().unwrap();
        let local: Arc<dyn StorageDriver> = Arc::new(LocalStorage::new(dir.path()).unwrap());
        let memory: Arc<dyn StorageDriver> = Arc::new(MemoryStorage::new());
        local.create_container("src").await.unwrap();
        memory.create_container("dst").await.unwrap();
        for key in ["tree/a.txt", "tree/b/c.bin", "outside.txt"] {
            local
                .put_bytes("src", key, format!("content of {key}"))
                .await
                .unwrap();
        }
        let output = Output { json: true };
        run(
            remote(local.clone(), "local://src/tree"),
            remote(memory.clone(), "memory://dst/copy"),
            true,
            4,
            output,
            false,
        )
        .await
        .unwrap();
        assert_eq!(
            memory.get_bytes("dst", "copy/a.txt").await.unwrap(),
            "content of tree/a.txt"
        );
        assert_eq!(
            memory.get_bytes("dst", "copy/b/c.bin").await.unwrap(),
            "content of tree/b/c.bin"
        );
        assert!(!memory.exists("dst", "copy/outside.txt").await.unwrap());
        assert!(
            dir.path().join("src/tree/a.txt").exists(),
            "the source stays"
        );
    }

    #[tokio::test]
    async fn refuses_keys_that_would_land_outside_the_destination() {
        let memory: Arc<dyn StorageDriver> = Arc::new(MemoryStorage::new());
        memory.create_container("c").await.unwrap();
        memory
            .put_bytes("c", "tree/../../escaped.txt", "evil")
            .await
            .unwrap();
        memory
            .put_bytes("c", "tree/fine.txt", "fine")
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out");
        let err = run(
            remote(memory, "memory://c/tree"),
            Location::Local(dest.clone()),
            true,
            4,
            Output { json: true },
            false,
        )
        .await
        .unwrap_err();
        assert_eq!(err.kind(), cloud::ErrorKind::InvalidInput, "{err}");
        assert!(!dir.path().join("escaped.txt").exists());
        assert!(
            !dest.exists(),
            "nothing was copied once an unsafe key was seen"
        );
    }
}
