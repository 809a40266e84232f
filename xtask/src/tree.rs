//! Folder trees for the demo and the benchmarks: made deterministically, compared byte for byte.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The bytes of file number `seed`, `len` long: different for every file and position.
fn content(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Writes `len` bytes of file `seed` to `path`, creating folders as needed.
pub(crate) fn write_file(path: &Path, seed: u64, len: usize) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    fs::write(path, content(seed, len)).map_err(|e| format!("writing {}: {e}", path.display()))
}

/// Writes a large file of `mib` MiB, a MiB at a time.
pub(crate) fn write_large(path: &Path, mib: usize) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let mut file =
        fs::File::create(path).map_err(|e| format!("creating {}: {e}", path.display()))?;
    for i in 0..mib {
        file.write_all(&content(i as u64, 1 << 20))
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Every file under `root`, relative to it, sorted.
pub(crate) fn files(root: &Path) -> Result<Vec<PathBuf>, String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        for entry in fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else {
                out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    out.sort();
    Ok(out)
}

/// Checks that `a` and `b` hold the same files with the same bytes; returns the file count and bytes.
pub(crate) fn assert_same(a: &Path, b: &Path) -> Result<(usize, u64), String> {
    let (left, right) = (files(a)?, files(b)?);
    if left != right {
        let missing: Vec<_> = left.iter().filter(|f| !right.contains(f)).take(5).collect();
        let extra: Vec<_> = right.iter().filter(|f| !left.contains(f)).take(5).collect();
        return Err(format!(
            "{} and {} differ: missing {missing:?}, unexpected {extra:?}",
            a.display(),
            b.display()
        ));
    }
    let mut bytes = 0;
    for file in &left {
        let (x, y) = (fs::read(a.join(file)), fs::read(b.join(file)));
        match (x, y) {
            (Ok(x), Ok(y)) if x == y => bytes += x.len() as u64,
            _ => {
                return Err(format!(
                    "{} differs between {} and {}",
                    file.display(),
                    a.display(),
                    b.display()
                ))
            }
        }
    }
    Ok((left.len(), bytes))
}
