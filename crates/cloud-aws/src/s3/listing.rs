//! ListObjectsV2 pages, read by walking quick-xml's events rather than through its serde
//! deserializer, which took 85% of a listing's CPU (a profile of `cargo xtask bench s3`'s LIST). The
//! result is the same [`ListBucketResult`]; a test holds the two readers equal.

use cloud_core::{Error, Result};
use quick_xml::events::Event;
use quick_xml::Reader;

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
    cloud_core::xml::expect_root("S3", "ListBucketResult", xml)?;
    let mut reader = Reader::from_str(xml);
    let mut page = ListBucketResult {
        contents: Vec::new(),
        common_prefixes: Vec::new(),
        is_truncated: false,
        next_continuation_token: None,
    };
    let mut truncated: Option<String> = None;
    let mut depth = 0usize;
    // The element whose text is being read, at its depth; and the entry (`Contents` or
    // `CommonPrefixes`) it belongs to.
    let mut field: Option<(Field, usize)> = None;
    let mut text = String::new();
    let mut entry: Option<(bool, Entry)> = None;
    loop {
        let event = reader.read_event().map_err(unreadable)?;
        match event {
            Event::Start(start) => {
                depth += 1;
                let name = start.local_name();
                let name = name.as_ref();
                match (depth, &entry) {
                    (2, _) => match name {
                        b"Contents" => entry = Some((true, Entry::default())),
                        b"CommonPrefixes" => entry = Some((false, Entry::default())),
                        b"IsTruncated" => field = Some((Field::IsTruncated, depth)),
                        b"NextContinuationToken" => {
                            field = Some((Field::NextContinuationToken, depth))
                        }
                        _ => {}
                    },
                    (3, Some((true, _))) => {
                        field = match name {
                            b"Key" => Some((Field::Key, depth)),
                            b"LastModified" => Some((Field::LastModified, depth)),
                            b"ETag" => Some((Field::ETag, depth)),
                            b"Size" => Some((Field::Size, depth)),
                            _ => None,
                        }
                    }
                    (3, Some((false, _))) if name == b"Prefix" => {
                        field = Some((Field::Prefix, depth))
                    }
                    _ => {}
                }
                text.clear();
            }
            Event::Empty(start) => {
                // `<Key/>`: the field is there, and empty.
                let name = start.local_name();
                let empty = match (depth + 1, &entry, name.as_ref()) {
                    (2, _, b"NextContinuationToken") => Some(Field::NextContinuationToken),
                    (2, _, b"IsTruncated") => Some(Field::IsTruncated),
                    (3, Some((true, _)), b"Key") => Some(Field::Key),
                    (3, Some((true, _)), b"LastModified") => Some(Field::LastModified),
                    (3, Some((true, _)), b"ETag") => Some(Field::ETag),
                    (3, Some((true, _)), b"Size") => Some(Field::Size),
                    (3, Some((false, _)), b"Prefix") => Some(Field::Prefix),
                    (2, _, b"Contents") => {
                        return Err(unreadable("an empty <Contents> has no key"));
                    }
                    (2, _, b"CommonPrefixes") => {
                        return Err(unreadable("an empty <CommonPrefixes> has no prefix"));
                    }
                    _ => None,
                };
                if let Some(kind) = empty {
                    store(kind, String::new(), &mut page, &mut truncated, &mut entry)?;
                }
            }
            Event::Text(t) if field.is_some_and(|(_, d)| d == depth) => {
                // Line ends are normalized only where there is a carriage return to normalize.
                if t.contains(&b'\r') {
                    text.push_str(&t.xml_content().map_err(unreadable)?);
                } else {
                    text.push_str(&t.decode().map_err(unreadable)?);
                }
            }
            Event::CData(t) if field.is_some_and(|(_, d)| d == depth) => {
                text.push_str(&t.decode().map_err(unreadable)?);
            }
            Event::GeneralRef(r) if field.is_some_and(|(_, d)| d == depth) => {
                let resolved = match r.resolve_char_ref().map_err(unreadable)? {
                    Some(c) => c,
                    None => match r.as_ref() {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => {
                            return Err(unreadable(format!(
                                "unknown entity &{};",
                                String::from_utf8_lossy(other)
                            )))
                        }
                    },
                };
                text.push(resolved);
            }
            Event::End(_) => {
                if let Some((kind, at)) = field {
                    if at == depth {
                        match (kind, &mut entry) {
                            (Field::Size, Some((_, e))) => set_size(e, &text)?,
                            _ => {
                                // One allocation of the value's own size; the scratch buffer stays.
                                let value = String::from(text.as_str());
                                store(kind, value, &mut page, &mut truncated, &mut entry)?;
                            }
                        }
                        text.clear();
                        field = None;
                    }
                }
                if depth == 2 {
                    if let Some((is_object, done)) = entry.take() {
                        finish(is_object, done, &mut page)?;
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof if depth > 0 => {
                return Err(unreadable("the document ends before its elements close"))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(value) = truncated {
        page.is_truncated = match value.trim() {
            "true" | "1" => true,
            "false" | "0" => false,
            other => return Err(unreadable(format!("IsTruncated is {other:?}"))),
        };
    }
    Ok(page)
}

/// Keeps a field's text where it belongs.
fn store(
    kind: Field,
    value: String,
    page: &mut ListBucketResult,
    truncated: &mut Option<String>,
    entry: &mut Option<(bool, Entry)>,
) -> Result<()> {
    match (kind, entry) {
        (Field::IsTruncated, _) => once(truncated, value, "IsTruncated"),
        (Field::NextContinuationToken, _) => once(
            &mut page.next_continuation_token,
            value,
            "NextContinuationToken",
        ),
        (Field::Key, Some((_, e))) => once(&mut e.key, value, "Key"),
        (Field::LastModified, Some((_, e))) => once(&mut e.last_modified, value, "LastModified"),
        (Field::ETag, Some((_, e))) => once(&mut e.etag, value, "ETag"),
        (Field::Size, Some((_, e))) => set_size(e, &value),
        (Field::Prefix, Some((_, e))) => once(&mut e.prefix, value, "Prefix"),
        _ => Ok(()),
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
