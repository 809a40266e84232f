//! Listing semantics shared by the local and memory providers: prefix, delimiter and start-after over
//! keys that arrive in order.

use cloud_storage::ListOptions;

/// What to do with one key of an ordered walk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Not part of the listing.
    Skip,
    /// Listed as an object.
    Object,
    /// Stands for a common prefix that has not been listed yet.
    Prefix(String),
}

/// Decides, key by key in order, what a listing shows. Keeps the last common prefix, so a prefix is listed
/// once however many keys share it, across pages too.
#[derive(Debug)]
pub(crate) struct Lister {
    prefix: String,
    delimiter: Option<String>,
    start_after: Option<String>,
    last_prefix: Option<String>,
}

impl Lister {
    pub(crate) fn new(options: &ListOptions) -> Lister {
        Lister {
            prefix: options.prefix.clone().unwrap_or_default(),
            delimiter: options.delimiter.clone().filter(|d| !d.is_empty()),
            start_after: options.start_after.clone(),
            last_prefix: None,
        }
    }

    /// The prefix every listed key starts with.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    pub(crate) fn judge(&mut self, key: &str) -> Verdict {
        if !key.starts_with(&self.prefix)
            || self
                .start_after
                .as_deref()
                .is_some_and(|after| key <= after)
        {
            return Verdict::Skip;
        }
        let Some(delimiter) = &self.delimiter else {
            return Verdict::Object;
        };
        let rest = &key[self.prefix.len()..];
        let Some(at) = rest.find(delimiter.as_str()) else {
            return Verdict::Object;
        };
        let common = &key[..self.prefix.len() + at + delimiter.len()];
        if self.last_prefix.as_deref() == Some(common) {
            return Verdict::Skip;
        }
        self.last_prefix = Some(common.to_owned());
        Verdict::Prefix(common.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(options: ListOptions, keys: &[&str]) -> Vec<String> {
        let mut lister = Lister::new(&options);
        keys.iter()
            .filter_map(|key| match lister.judge(key) {
                Verdict::Skip => None,
                Verdict::Object => Some((*key).to_owned()),
                Verdict::Prefix(p) => Some(p),
            })
            .collect()
    }

    const KEYS: &[&str] = &["a-c", "a/b", "a/c/d", "a/e", "b", "c/x", "c/y"];

    #[test]
    fn groups_by_delimiter_after_the_prefix() {
        assert_eq!(
            listed(ListOptions::new().delimiter("/"), KEYS),
            ["a-c", "a/", "b", "c/"]
        );
        assert_eq!(
            listed(ListOptions::new().prefix("a/").delimiter("/"), KEYS),
            ["a/b", "a/c/", "a/e"]
        );
    }

    #[test]
    fn starts_after_a_key() {
        assert_eq!(
            listed(ListOptions::new().start_after("a/c/d"), KEYS),
            ["a/e", "b", "c/x", "c/y"]
        );
    }
}
