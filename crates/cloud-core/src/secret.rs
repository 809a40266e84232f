//! A string that never prints itself.
//!
//! ```
//! use cloud_core::Secret;
//!
//! let key = Secret::new("wJalrXUtnFEMI/K7MDENG");
//! assert_eq!(format!("{key} {key:?}"), "*** ***");
//! assert_eq!(key.expose(), "wJalrXUtnFEMI/K7MDENG");
//! ```

use std::fmt;

/// A credential (secret key, token, password) whose `Debug` and `Display` print `***`.
///
/// The value is reachable only through [`Secret::expose`], so every place that uses it is easy to find.
/// Its memory is overwritten when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value itself; call only where it is sent or used to sign.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Overwrite the bytes so a dropped credential does not linger in freed memory.
        let bytes = std::mem::take(&mut self.0).into_bytes();
        let mut bytes = std::hint::black_box(bytes);
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_its_value() {
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Credentials {
            key_id: String,
            secret: Secret,
        }
        let creds = Credentials {
            key_id: "AKID".into(),
            secret: Secret::new("hunter2"),
        };
        let shown = format!("{creds:?} {creds:#?} {}", creds.secret);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"));
    }
}
