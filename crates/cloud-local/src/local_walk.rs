//! Walking a container folder in key order, for listings.
//!
//! Keys compare byte-wise with `/` between segments, so a folder `a` must sort as `a/`: after `a-c`
//! (`-` < `/`) and before `a0`. Each folder's entries are sorted that way and walked depth first, which
//! yields keys in exactly the order an object store lists them, one page at a time, without reading the
//! whole tree first. Folders that the listing would only show as a common prefix are not descended.
//!
//! The walk reads the container's folder through its directory handle and never follows a symbolic
//! link: links are not objects.

use std::io;

use cap_std::fs::Dir;

use cloud_storage::{ListEntry, ListOptions};

use crate::listing::{Lister, Verdict};

/// One folder being walked: its key prefix and its remaining entries, last first.
#[derive(Debug)]
struct Frame {
    prefix: String,
    entries: Vec<(String, bool)>,
}

/// A paused walk of one container, with the listing's rules.
#[derive(Debug)]
pub(crate) struct Walk {
    root: Dir,
    stack: Vec<Frame>,
    lister: Lister,
    prefix: String,
    collapse: bool,
    start_after: Option<String>,
}

impl Walk {
    /// A walk of the folder `root`, listing as `options` say.
    pub(crate) fn new(root: Dir, options: &ListOptions) -> io::Result<Walk> {
        let entries = sorted_entries(&root, "")?;
        Ok(Walk {
            root,
            stack: vec![Frame {
                prefix: String::new(),
                entries,
            }],
            lister: Lister::new(options),
            prefix: options.prefix.clone().unwrap_or_default(),
            // A folder below the prefix is exactly a common prefix when the delimiter is '/'.
            collapse: options.delimiter.as_deref() == Some("/"),
            start_after: options.start_after.clone(),
        })
    }

    /// Up to `limit` more entries; fewer only when the walk is over.
    pub(crate) fn next_page(&mut self, limit: usize) -> io::Result<Vec<ListEntry>> {
        let mut page = Vec::new();
        while page.len() < limit {
            let Some(frame) = self.stack.last_mut() else {
                break;
            };
            let Some((name, is_dir)) = frame.entries.pop() else {
                self.stack.pop();
                continue;
            };
            let key = format!("{}{name}", frame.prefix);
            if is_dir {
                if let Some(entry) = self.enter_folder(format!("{key}/"))? {
                    page.push(entry);
                }
                continue;
            }
            match self.lister.judge(&key) {
                Verdict::Skip => {}
                Verdict::Prefix(prefix) => page.push(ListEntry::Prefix(prefix)),
                Verdict::Object => {
                    let meta = match self.root.symlink_metadata(&key) {
                        Ok(meta) => meta,
                        // Deleted since the folder was read: not part of the listing.
                        Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(e),
                    };
                    if meta.is_file() {
                        page.push(ListEntry::Object(crate::local_fs::object_meta(
                            &key,
                            crate::local_fs::size_and_time(&meta),
                            None,
                        )));
                    }
                }
            }
        }
        Ok(page)
    }

    /// Descends into the folder whose keys start with `folder`, lists it as one common prefix, or skips
    /// it, whichever the listing calls for.
    fn enter_folder(&mut self, folder: String) -> io::Result<Option<ListEntry>> {
        let relevant = folder.starts_with(&self.prefix) || self.prefix.starts_with(&folder);
        let after_start = self
            .start_after
            .as_deref()
            .is_none_or(|after| folder.as_str() > after);
        let holds_start = self
            .start_after
            .as_deref()
            .is_some_and(|after| after.starts_with(&folder));
        if !relevant || (!after_start && !holds_start) {
            return Ok(None);
        }
        let below_prefix = folder.len() > self.prefix.len() && folder.starts_with(&self.prefix);
        if self.collapse && below_prefix && after_start {
            // Shown as a common prefix only if some object lies beneath it.
            let held = match self.root.open_dir(&folder) {
                Ok(dir) => holds_any_file(&dir)?,
                Err(e) if e.kind() == io::ErrorKind::NotFound => false,
                Err(e) => return Err(e),
            };
            if !held {
                return Ok(None);
            }
            return Ok(match self.lister.judge(&format!("{folder}\u{0}")) {
                Verdict::Prefix(prefix) => Some(ListEntry::Prefix(prefix)),
                _ => None,
            });
        }
        let entries = match sorted_entries(&self.root, &folder) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        self.stack.push(Frame {
            prefix: folder,
            entries,
        });
        Ok(None)
    }
}

/// The files and subfolders of the folder `rel` beneath `dir` (`""` for `dir` itself); symbolic links
/// and other kinds are not objects. Sorted as keys sort, last first so they can be popped in order.
fn sorted_entries(dir: &Dir, rel: &str) -> io::Result<Vec<(String, bool)>> {
    let mut entries = Vec::new();
    let read = if rel.is_empty() {
        dir.entries()?
    } else {
        dir.read_dir(rel)?
    };
    for entry in read {
        let entry = entry?;
        let kind = entry.file_type()?;
        if !(kind.is_file() || kind.is_dir()) {
            continue;
        }
        // Names that are not UTF-8 cannot be keys; such files were not written by this provider.
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        entries.push((name, kind.is_dir()));
    }
    entries.sort_by_cached_key(|(name, is_dir)| sort_key(name, *is_dir));
    entries.reverse();
    Ok(entries)
}

fn sort_key(name: &str, is_dir: bool) -> Vec<u8> {
    let mut key = name.as_bytes().to_vec();
    if is_dir {
        key.push(b'/');
    }
    key
}

/// Whether any regular file lies anywhere beneath `dir` (links are not followed).
pub(crate) fn holds_any_file(dir: &Dir) -> io::Result<bool> {
    for entry in dir.entries()? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_file() {
            return Ok(true);
        }
        if kind.is_dir() {
            match entry.open_dir() {
                Ok(sub) if holds_any_file(&sub)? => return Ok(true),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(false)
}
