//! List Blobs pages, read element by element ([`cloud_core::xml::read`]) straight into the entries
//! the listing hands out: quick-xml's serde deserializer took most of a listing's CPU, and Azure sends
//! a dozen properties per blob that a listing does not keep. A test holds the result to what the
//! serde model ([`BlobList`](super::model::BlobList)) makes of the same page.

use std::borrow::Cow;
use std::collections::BTreeMap;

use cloud_core::xml::{Sink, Text};
use cloud_core::{Error, Result};
use cloud_storage::{ListEntry, ObjectMeta};

use super::headers::md5_from_base64;

/// One page of a blob listing.
#[derive(Debug, Default)]
pub(crate) struct Listed {
    /// Blobs and prefixes in name order.
    pub(crate) entries: Vec<ListEntry>,
    /// Where the next page starts, if there is one.
    pub(crate) next_marker: Option<String>,
}

/// Reads one page; a document whose root is not `<EnumerationResults>` is an error.
pub(crate) fn read_page(xml: &str) -> Result<Listed> {
    let mut page =
        cloud_core::xml::read("Azure Blob", "EnumerationResults", xml, PageReader::default)?.listed;
    // The service sends names in order; a page that is not is put in order rather than trusted.
    page.entries.sort_by(|a, b| a.name().cmp(b.name()));
    page.next_marker = page.next_marker.filter(|m| !m.is_empty());
    Ok(page)
}

fn unreadable(why: impl std::fmt::Display) -> Error {
    Error::unexpected(format!(
        "Azure Blob sent an <EnumerationResults> document that could not be read: {why}"
    ))
}

/// The elements a listing reads, by where they are.
#[derive(Clone, Copy, PartialEq)]
enum Frame {
    Root,
    Blobs,
    Blob,
    Prefix,
    Properties,
    Metadata,
    /// An element whose text is kept.
    Field(Field),
    /// Anything else, skipped with what it holds.
    Other,
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    NextMarker,
    Name,
    LastModified,
    Etag,
    ContentLength,
    ContentType,
    ContentMd5,
    /// A metadata value, named by the element (kept in `Item::metadata_name`).
    Metadata,
}

/// A blob or prefix being read: its fields as they arrive, refused if one comes twice.
#[derive(Default)]
struct Item {
    is_blob: bool,
    name: Option<String>,
    last_modified: Option<String>,
    etag: Option<String>,
    content_length: Option<u64>,
    content_type: Option<String>,
    content_md5: Option<String>,
    metadata: BTreeMap<String, String>,
    metadata_name: String,
}

#[derive(Default)]
struct PageReader<'a> {
    listed: Listed,
    frames: Vec<Frame>,
    item: Option<Item>,
    /// The current field's text.
    text: Text<'a>,
}

impl PageReader<'_> {
    /// What the element `name` is, opened inside the element read last.
    fn frame(&mut self, name: &[u8]) -> Frame {
        let parent = match self.frames.last() {
            None => return Frame::Root,
            Some(parent) => *parent,
        };
        match (parent, name) {
            (Frame::Root, b"Blobs") => Frame::Blobs,
            (Frame::Root, b"NextMarker") => Frame::Field(Field::NextMarker),
            (Frame::Blobs, b"Blob" | b"BlobPrefix") => {
                self.item = Some(Item {
                    is_blob: name == b"Blob",
                    ..Item::default()
                });
                if name == b"Blob" {
                    Frame::Blob
                } else {
                    Frame::Prefix
                }
            }
            (Frame::Blob | Frame::Prefix, b"Name") => Frame::Field(Field::Name),
            (Frame::Blob, b"Properties") => Frame::Properties,
            (Frame::Blob, b"Metadata") => Frame::Metadata,
            (Frame::Properties, b"Last-Modified") => Frame::Field(Field::LastModified),
            (Frame::Properties, b"Etag") => Frame::Field(Field::Etag),
            (Frame::Properties, b"Content-Length") => Frame::Field(Field::ContentLength),
            (Frame::Properties, b"Content-Type") => Frame::Field(Field::ContentType),
            (Frame::Properties, b"Content-MD5") => Frame::Field(Field::ContentMd5),
            (Frame::Metadata, _) => {
                if let Some(item) = &mut self.item {
                    item.metadata_name = String::from_utf8_lossy(name).into_owned();
                }
                Frame::Field(Field::Metadata)
            }
            _ => Frame::Other,
        }
    }

    /// Keeps a field's text where it belongs.
    fn store(&mut self, field: Field, value: Cow<'_, str>) -> Result<()> {
        if field == Field::NextMarker {
            return once(&mut self.listed.next_marker, value, "NextMarker");
        }
        let Some(item) = &mut self.item else {
            return Ok(());
        };
        match field {
            Field::Name => once(&mut item.name, value, "Name"),
            Field::LastModified => once(&mut item.last_modified, value, "Last-Modified"),
            Field::Etag => once(&mut item.etag, value, "Etag"),
            Field::ContentType => once(&mut item.content_type, value, "Content-Type"),
            Field::ContentMd5 => once(&mut item.content_md5, value, "Content-MD5"),
            Field::ContentLength => {
                let length = value
                    .trim()
                    .parse()
                    .map_err(|_| unreadable(format!("the length of a blob is {value:?}")))?;
                if item.content_length.replace(length).is_some() {
                    return Err(unreadable("duplicate field `Content-Length`"));
                }
                Ok(())
            }
            Field::Metadata => {
                let name = std::mem::take(&mut item.metadata_name);
                item.metadata.insert(name, value.into_owned());
                Ok(())
            }
            Field::NextMarker => Ok(()),
        }
    }

    /// Adds a finished blob or prefix to the page.
    fn finish(&mut self) -> Result<()> {
        let Some(item) = self.item.take() else {
            return Ok(());
        };
        let name = item
            .name
            .ok_or_else(|| unreadable("missing field `Name`"))?;
        if !item.is_blob {
            self.listed.entries.push(ListEntry::Prefix(name));
            return Ok(());
        }
        self.listed.entries.push(ListEntry::Object(blob_meta(
            name,
            item.content_length,
            item.etag,
            item.last_modified.as_deref(),
            item.content_type,
            item.content_md5.as_deref(),
            item.metadata,
        )));
        Ok(())
    }
}

/// A listed blob's metadata from its properties.
fn blob_meta(
    name: String,
    length: Option<u64>,
    etag: Option<String>,
    last_modified: Option<&str>,
    content_type: Option<String>,
    content_md5: Option<&str>,
    metadata: BTreeMap<String, String>,
) -> ObjectMeta {
    let mut meta = ObjectMeta::new(name, length.unwrap_or(0));
    meta.etag = etag;
    meta.last_modified = last_modified.and_then(|t| httpdate::parse_http_date(t).ok());
    meta.content_type = content_type;
    meta.checksum = content_md5.and_then(md5_from_base64);
    meta.metadata = metadata;
    meta
}

/// Sets `slot` once; a second value is an error.
fn once(slot: &mut Option<String>, value: Cow<'_, str>, name: &str) -> Result<()> {
    if slot.replace(value.into_owned()).is_some() {
        return Err(unreadable(format!("duplicate field `{name}`")));
    }
    Ok(())
}

impl<'a> Sink<'a> for PageReader<'a> {
    fn start(&mut self, name: &[u8]) -> Result<()> {
        let frame = self.frame(name);
        self.frames.push(frame);
        self.text.clear();
        Ok(())
    }

    fn empty(&mut self, name: &[u8]) -> Result<()> {
        match self.frame(name) {
            Frame::Field(field) => self.store(field, Cow::Borrowed("")),
            Frame::Blob | Frame::Prefix => Err(unreadable("an empty entry has no name")),
            _ => Ok(()),
        }
    }

    fn wants_text(&self) -> bool {
        matches!(self.frames.last(), Some(Frame::Field(_)))
    }

    fn text(&mut self, piece: Cow<'a, str>) -> Result<()> {
        self.text.push(piece);
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        match self.frames.pop() {
            Some(Frame::Field(field)) => {
                let text = self.text.take();
                self.store(field, text)
            }
            Some(Frame::Blob | Frame::Prefix) => self.finish(),
            _ => Ok(()),
        }
    }
}

/// What the serde model makes of a page, as the listing would hand it out: the reference the element
/// reader is held to.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn by_serde(xml: &str) -> Result<Listed> {
    use super::model::{self, BlobItem, BlobList};
    let page: BlobList = model::parse("EnumerationResults", xml)?;
    let mut entries: Vec<ListEntry> = page
        .blobs
        .items
        .into_iter()
        .map(|item| match item {
            BlobItem::Blob(mut blob) => {
                let props = blob.properties;
                // Serde reads stray text among the elements of a map as a `$text` entry; no metadata
                // name can be that (names are C# identifiers).
                blob.metadata.remove("$text");
                ListEntry::Object(blob_meta(
                    blob.name,
                    props.content_length,
                    props.etag,
                    props.last_modified.as_deref(),
                    props.content_type,
                    props.content_md5.as_deref(),
                    blob.metadata,
                ))
            }
            BlobItem::BlobPrefix(prefix) => ListEntry::Prefix(prefix.name),
        })
        .collect();
    entries.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Listed {
        entries,
        next_marker: page.next_marker.filter(|m| !m.is_empty()),
    })
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
