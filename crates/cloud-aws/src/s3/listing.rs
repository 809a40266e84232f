//! ListObjectsV2 pages, read element by element ([`cloud_core::xml::read`]) rather than through
//! quick-xml's serde deserializer, which took 85% of a listing's CPU (a profile of
//! `cargo xtask bench s3`'s LIST). Field text is borrowed from the page until it is kept. The result
//! is the same [`ListBucketResult`]; a test holds the two readers equal.

use std::borrow::Cow;

use cloud_core::xml::{Sink, Text};
use cloud_core::{Error, Result};

use super::model::{CommonPrefix, Content, ListBucketResult};

/// Where the reader is in a page.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    IsTruncated,
    NextContinuationToken,
    Key,
    LastModified,
    ETag,
    Size,
    Prefix,
}

/// An entry being read: its fields as they arrive, refused if one comes twice.
#[derive(Default)]
struct Entry {
    key: Option<String>,
    last_modified: Option<String>,
    etag: Option<String>,
    /// Read from the text where it arrives: a number needs no string of its own.
    size: Option<u64>,
    prefix: Option<String>,
}

fn unreadable(why: impl std::fmt::Display) -> Error {
    Error::unexpected(format!(
        "S3 sent a <ListBucketResult> document that could not be read: {why}"
    ))
}

/// Sets `slot` once; a second value is an error, as it is to the serde reader.
fn once(slot: &mut Option<String>, value: String, name: &str) -> Result<()> {
    if slot.replace(value).is_some() {
        return Err(unreadable(format!("duplicate field `{name}`")));
    }
    Ok(())
}

/// Reads one page; a document whose root is not `<ListBucketResult>` is an error.
pub(crate) fn read_page(xml: &str) -> Result<ListBucketResult> {
    cloud_core::xml::read("S3", "ListBucketResult", xml, PageReader::default)?.finish()
}

/// A page as its elements arrive.
#[derive(Default)]
struct PageReader<'a> {
    page: ListBucketResult,
    truncated: Option<String>,
    depth: usize,
    /// The element whose text is being read, at its depth.
    field: Option<(Field, usize)>,
    /// Its text so far.
    text: Text<'a>,
    /// The entry (`Contents` or `CommonPrefixes`) being read.
    entry: Option<(bool, Entry)>,
}

impl PageReader<'_> {
    fn finish(self) -> Result<ListBucketResult> {
        let mut page = self.page;
        if let Some(value) = self.truncated {
            page.is_truncated = match value.trim() {
                "true" | "1" => true,
                "false" | "0" => false,
                other => return Err(unreadable(format!("IsTruncated is {other:?}"))),
            };
        }
        Ok(page)
    }
}

impl<'a> Sink<'a> for PageReader<'a> {
    fn start(&mut self, name: &[u8]) -> Result<()> {
        self.depth += 1;
        match (self.depth, &self.entry) {
            (2, _) => match name {
                b"Contents" => self.entry = Some((true, Entry::default())),
                b"CommonPrefixes" => self.entry = Some((false, Entry::default())),
                b"IsTruncated" => self.field = Some((Field::IsTruncated, 2)),
                b"NextContinuationToken" => self.field = Some((Field::NextContinuationToken, 2)),
                _ => {}
            },
            (3, Some((true, _))) => {
                self.field = match name {
                    b"Key" => Some((Field::Key, 3)),
                    b"LastModified" => Some((Field::LastModified, 3)),
                    b"ETag" => Some((Field::ETag, 3)),
                    b"Size" => Some((Field::Size, 3)),
                    _ => None,
                }
            }
            (3, Some((false, _))) if name == b"Prefix" => self.field = Some((Field::Prefix, 3)),
            _ => {}
        }
        self.text.clear();
        Ok(())
    }

    fn empty(&mut self, name: &[u8]) -> Result<()> {
        // `<Key/>`: the field is there, and empty.
        let kind = match (self.depth + 1, &self.entry, name) {
            (2, _, b"NextContinuationToken") => Field::NextContinuationToken,
            (2, _, b"IsTruncated") => Field::IsTruncated,
            (3, Some((true, _)), b"Key") => Field::Key,
            (3, Some((true, _)), b"LastModified") => Field::LastModified,
            (3, Some((true, _)), b"ETag") => Field::ETag,
            (3, Some((true, _)), b"Size") => Field::Size,
            (3, Some((false, _)), b"Prefix") => Field::Prefix,
            (2, _, b"Contents") => return Err(unreadable("an empty <Contents> has no key")),
            (2, _, b"CommonPrefixes") => {
                return Err(unreadable("an empty <CommonPrefixes> has no prefix"))
            }
            _ => return Ok(()),
        };
        self.store(kind, String::new())
    }

    fn wants_text(&self) -> bool {
        self.field.is_some_and(|(_, at)| at == self.depth)
    }

    fn text(&mut self, piece: Cow<'a, str>) -> Result<()> {
        self.text.push(piece);
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        if let Some((kind, at)) = self.field {
            if at == self.depth {
                let text = self.text.take();
                match (kind, &mut self.entry) {
                    (Field::Size, Some((_, e))) => set_size(e, &text)?,
                    // One allocation of the value's own size, or none when it was built piece by piece.
                    _ => self.store(kind, text.into_owned())?,
                }
                self.field = None;
            }
        }
        if self.depth == 2 {
            if let Some((is_object, done)) = self.entry.take() {
                finish(is_object, done, &mut self.page)?;
            }
        }
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }
}

impl PageReader<'_> {
    /// Keeps a field's text where it belongs.
    fn store(&mut self, kind: Field, value: String) -> Result<()> {
        let entry = &mut self.entry;
        match (kind, entry) {
            (Field::IsTruncated, _) => once(&mut self.truncated, value, "IsTruncated"),
            (Field::NextContinuationToken, _) => once(
                &mut self.page.next_continuation_token,
                value,
                "NextContinuationToken",
            ),
            (Field::Key, Some((_, e))) => once(&mut e.key, value, "Key"),
            (Field::LastModified, Some((_, e))) => {
                once(&mut e.last_modified, value, "LastModified")
            }
            (Field::ETag, Some((_, e))) => once(&mut e.etag, value, "ETag"),
            (Field::Size, Some((_, e))) => set_size(e, &value),
            (Field::Prefix, Some((_, e))) => once(&mut e.prefix, value, "Prefix"),
            _ => Ok(()),
        }
    }
}

/// Sets an entry's size once, from its text.
fn set_size(entry: &mut Entry, text: &str) -> Result<()> {
    let size = text
        .trim()
        .parse()
        .map_err(|_| unreadable(format!("the size of an object is {text:?}")))?;
    if entry.size.replace(size).is_some() {
        return Err(unreadable("duplicate field `Size`"));
    }
    Ok(())
}

/// Adds a finished entry to the page.
fn finish(is_object: bool, entry: Entry, page: &mut ListBucketResult) -> Result<()> {
    if is_object {
        let key = entry.key.ok_or_else(|| unreadable("missing field `Key`"))?;
        page.contents.push(Content {
            key,
            last_modified: entry.last_modified,
            etag: entry.etag,
            size: entry.size.unwrap_or(0),
        });
    } else {
        let prefix = entry
            .prefix
            .ok_or_else(|| unreadable("missing field `Prefix`"))?;
        page.common_prefixes.push(CommonPrefix { prefix });
    }
    Ok(())
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
