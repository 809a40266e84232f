//! Which container names and object keys the local provider accepts: anything that maps to a path inside
//! its container and nothing that could escape it.

use cloud_core::{Error, Result};

/// The longest file name most file systems allow, in bytes.
const MAX_SEGMENT: usize = 255;
/// The longest key accepted, in bytes (as S3).
const MAX_KEY: usize = 1024;

/// Checks a container name: one plain folder name, not hidden (names starting with `.` are the
/// provider's own).
pub(crate) fn check_container(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > MAX_SEGMENT
        || name.starts_with('.')
        || name.contains(['/', '\\', '\0']);
    if bad {
        return Err(Error::invalid_input(format!(
            "{name:?} is not a valid container name here: use one folder name, not starting with '.'"
        )));
    }
    Ok(())
}

/// Checks a key and returns its path segments: `/`-separated, each a plain file or folder name.
pub(crate) fn key_segments(key: &str) -> Result<Vec<&str>> {
    let refuse = |why: &str| {
        Err(Error::invalid_input(format!(
            "the key {key:?} is refused: {why}"
        )))
    };
    if key.is_empty() {
        return refuse("it is empty");
    }
    if key.len() > MAX_KEY {
        return refuse("it is longer than 1024 bytes");
    }
    if key.contains('\0') {
        return refuse("it contains a NUL byte");
    }
    if key.contains('\\') {
        return refuse("it contains a backslash");
    }
    let segments: Vec<&str> = key.split('/').collect();
    for segment in &segments {
        match *segment {
            "" => {
                return refuse("it has an empty path segment (a leading, trailing or doubled '/')")
            }
            "." | ".." => return refuse("'.' and '..' segments could leave the container"),
            s if s.len() > MAX_SEGMENT => return refuse("a segment is longer than 255 bytes"),
            _ => {}
        }
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloud_core::ErrorKind;

    #[test]
    fn refuses_keys_that_could_escape_the_container() {
        for key in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "a/",
            ".",
            "a\\..\\b",
            "a\0b",
            "..",
            "x/./y",
        ] {
            let err = key_segments(key).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{key:?}");
        }
    }

    #[test]
    fn accepts_odd_but_harmless_keys() {
        for key in [
            "a b/c%20d+e~f#g?h",
            "日本語/ファイル.txt",
            "..hidden",
            "a.b/...",
            "-rf",
        ] {
            assert!(key_segments(key).is_ok(), "{key:?}");
        }
    }

    #[test]
    fn refuses_container_names_with_paths_or_dots() {
        for name in ["", ".", "..", ".cloud", "a/b", "a\\b"] {
            assert!(check_container(name).is_err(), "{name:?}");
        }
        assert!(check_container("photos-2026").is_ok());
    }
}
