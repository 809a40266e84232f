//! The data of object storage: containers, objects, listings, ranges and options.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::SystemTime;

use cloud_core::{Error, ErrorKind, Result};

use crate::checksum::Checksum;

/// A container (bucket) of objects.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Container {
    /// The container's name.
    pub name: String,
    /// When it was created, if the provider says.
    pub created: Option<SystemTime>,
    /// Provider-specific details (region, storage class, …).
    pub extra: BTreeMap<String, String>,
}

impl Container {
    /// A container called `name`, with nothing else known.
    pub fn new(name: impl Into<String>) -> Container {
        Container {
            name: name.into(),
            created: None,
            extra: BTreeMap::new(),
        }
    }
}

/// What is known about an object without reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ObjectMeta {
    /// The object's key (name) within its container.
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// The provider's entity tag: changes whenever the content does. Quoted as the provider sends it.
    pub etag: Option<String>,
    /// When it was last written.
    pub last_modified: Option<SystemTime>,
    /// Its media type.
    pub content_type: Option<String>,
    /// `Content-Encoding`, such as `gzip`.
    pub content_encoding: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// A checksum of the whole content the provider vouches for, used to verify downloads.
    pub checksum: Option<Checksum>,
    /// User metadata: names are lower-case.
    pub metadata: BTreeMap<String, String>,
    /// Provider-specific details (storage class, version id, …).
    pub extra: BTreeMap<String, String>,
}

impl ObjectMeta {
    /// An object called `key` of `size` bytes, with nothing else known.
    pub fn new(key: impl Into<String>, size: u64) -> ObjectMeta {
        ObjectMeta {
            key: key.into(),
            size,
            etag: None,
            last_modified: None,
            content_type: None,
            content_encoding: None,
            cache_control: None,
            content_disposition: None,
            checksum: None,
            metadata: BTreeMap::new(),
            extra: BTreeMap::new(),
        }
    }
}

/// One entry of a listing: an object, or a common prefix standing for the objects below it when the
/// listing uses a delimiter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
// Objects are the common entry; boxing them would cost an allocation each to save space on prefixes.
#[allow(clippy::large_enum_variant)]
pub enum ListEntry {
    /// An object.
    Object(ObjectMeta),
    /// A common prefix (a "folder"), ending with the delimiter.
    Prefix(String),
}

impl ListEntry {
    /// The object's key or the prefix.
    pub fn name(&self) -> &str {
        match self {
            ListEntry::Object(meta) => &meta.key,
            ListEntry::Prefix(prefix) => prefix,
        }
    }

    /// The object, if this entry is one.
    pub fn as_object(&self) -> Option<&ObjectMeta> {
        match self {
            ListEntry::Object(meta) => Some(meta),
            ListEntry::Prefix(_) => None,
        }
    }

    /// The object, if this entry is one.
    pub fn into_object(self) -> Option<ObjectMeta> {
        match self {
            ListEntry::Object(meta) => Some(meta),
            ListEntry::Prefix(_) => None,
        }
    }
}

/// How to list objects. Entries come in lexicographic (byte) order of key.
///
/// ```
/// use cloud_storage::ListOptions;
///
/// let folders = ListOptions::new().prefix("photos/").delimiter("/");
/// assert_eq!(folders.prefix.as_deref(), Some("photos/"));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Group keys that contain this after the prefix into one [`ListEntry::Prefix`] each.
    pub delimiter: Option<String>,
    /// Only keys after this one (exclusive).
    pub start_after: Option<String>,
    /// Entries per request to the provider (the provider's maximum when unset).
    pub page_size: Option<usize>,
}

impl ListOptions {
    /// Every object, no grouping.
    pub fn new() -> ListOptions {
        ListOptions::default()
    }

    /// Only keys starting with `prefix`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> ListOptions {
        self.prefix = Some(prefix.into());
        self
    }

    /// Groups keys by `delimiter` (usually `/`).
    pub fn delimiter(mut self, delimiter: impl Into<String>) -> ListOptions {
        self.delimiter = Some(delimiter.into());
        self
    }

    /// Only keys after `key`.
    pub fn start_after(mut self, key: impl Into<String>) -> ListOptions {
        self.start_after = Some(key.into());
        self
    }

    /// Entries per request to the provider.
    pub fn page_size(mut self, size: usize) -> ListOptions {
        self.page_size = Some(size.max(1));
        self
    }
}

/// A byte range of an object.
///
/// ```
/// use cloud_storage::ByteRange;
///
/// assert_eq!(ByteRange::new(10..20).resolve(100).unwrap(), 10..20);
/// assert_eq!(ByteRange::From(90).resolve(100).unwrap(), 90..100);
/// assert_eq!(ByteRange::Suffix(30).resolve(100).unwrap(), 70..100);
/// assert!(ByteRange::From(100).resolve(100).is_err(), "starts past the end");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ByteRange {
    /// `start..end`, end exclusive; an end past the object's end is cut to it.
    Bounded {
        /// The first byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// From `start` to the end.
    From(u64),
    /// The last `n` bytes (the whole object if it is shorter).
    Suffix(u64),
}

impl ByteRange {
    /// The bytes `range.start..range.end`.
    pub fn new(range: Range<u64>) -> ByteRange {
        ByteRange::Bounded {
            start: range.start,
            end: range.end,
        }
    }

    /// The bytes this range selects of an object of `size` bytes, or
    /// [`ErrorKind::RangeNotSatisfiable`] when it selects none, as HTTP does.
    pub fn resolve(self, size: u64) -> Result<Range<u64>> {
        let range = match self {
            ByteRange::Bounded { start, end } if start < end && start < size => {
                start..end.min(size)
            }
            ByteRange::From(start) if start < size => start..size,
            ByteRange::Suffix(n) if n > 0 && size > 0 => size.saturating_sub(n)..size,
            _ => {
                return Err(Error::new(
                    ErrorKind::RangeNotSatisfiable,
                    format!("{self} selects no byte of an object of {size} bytes"),
                ))
            }
        };
        Ok(range)
    }

    /// The value of an HTTP `Range` header for this range, or [`ErrorKind::RangeNotSatisfiable`] for
    /// a range that selects nothing whatever the object (`5..5`, the last 0 bytes), which no header can
    /// say (`bytes=5-5` would be one byte).
    ///
    /// ```
    /// use cloud_storage::ByteRange;
    ///
    /// assert_eq!(ByteRange::new(0..100).to_header().unwrap(), "bytes=0-99");
    /// assert!(ByteRange::new(0..0).to_header().is_err());
    /// assert!(ByteRange::Suffix(0).to_header().is_err());
    /// ```
    pub fn to_header(self) -> Result<String> {
        match self {
            ByteRange::Bounded { start, end } if start < end => {
                Ok(format!("bytes={start}-{}", end - 1))
            }
            ByteRange::From(start) => Ok(format!("bytes={start}-")),
            ByteRange::Suffix(n) if n > 0 => Ok(format!("bytes=-{n}")),
            _ => Err(Error::new(
                ErrorKind::RangeNotSatisfiable,
                format!("{self} selects no byte"),
            )),
        }
    }
}

impl std::fmt::Display for ByteRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ByteRange::Bounded { start, end } => write!(f, "the range {start}..{end}"),
            ByteRange::From(start) => write!(f, "the range {start}.."),
            ByteRange::Suffix(n) => write!(f, "the last {n} bytes"),
        }
    }
}

/// How to read an object: which bytes, and on what conditions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetOptions {
    /// Only these bytes.
    pub range: Option<ByteRange>,
    /// Only if the ETag matches ([`ErrorKind::PreconditionFailed`] otherwise).
    pub if_match: Option<String>,
    /// Only if the ETag differs ([`ErrorKind::NotModified`] otherwise).
    pub if_none_match: Option<String>,
    /// Only if modified after this time ([`ErrorKind::NotModified`] otherwise).
    pub if_modified_since: Option<SystemTime>,
    /// Only if not modified after this time ([`ErrorKind::PreconditionFailed`] otherwise).
    pub if_unmodified_since: Option<SystemTime>,
    /// Leaves a whole read unchecked against the checksum the provider keeps for the object; its
    /// length is still checked. A whole read is checked by default: see [`GetOptions::skip_checksum`].
    pub skip_checksum: bool,
}

impl GetOptions {
    /// The whole object, unconditionally.
    pub fn new() -> GetOptions {
        GetOptions::default()
    }

    /// Only the bytes of `range`.
    pub fn range(mut self, range: ByteRange) -> GetOptions {
        self.range = Some(range);
        self
    }

    /// Only if the object's ETag is `etag`.
    pub fn if_match(mut self, etag: impl Into<String>) -> GetOptions {
        self.if_match = Some(etag.into());
        self
    }

    /// Only if the object's ETag is not `etag`.
    pub fn if_none_match(mut self, etag: impl Into<String>) -> GetOptions {
        self.if_none_match = Some(etag.into());
        self
    }

    /// Whether to skip the checksum check of a whole read.
    ///
    /// By default a whole read is held to the checksum the provider reports for the object
    /// ([`ObjectMeta::checksum`]): the body's last item is an [`ErrorKind::ChecksumMismatch`] error if
    /// the bytes do not match. Skipping it is for a caller that checks the bytes itself, or that
    /// moves data whose check costs more than it is worth to them: a CRC-32C runs at tens of GB/s,
    /// but an MD5 (the only checksum Azure, Swift and older S3 objects carry) at about 0.6 GB/s per
    /// core, slower than a 10 Gbit/s network. The length is checked either way.
    pub fn skip_checksum(mut self, skip: bool) -> GetOptions {
        self.skip_checksum = skip;
        self
    }

    /// The checksum a read with these options is held to: the object's `stored` one for a `whole`
    /// read unless the check is skipped, none for a range (a part has no checksum of its own).
    pub fn checksum_to_check<'a>(
        &self,
        stored: Option<&'a Checksum>,
        whole: bool,
    ) -> Option<&'a Checksum> {
        stored.filter(|_| whole && !self.skip_checksum)
    }
}

/// How to write an object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutOptions {
    /// The media type (guessed from the key by the upload helpers when unset).
    pub content_type: Option<String>,
    /// `Content-Encoding`.
    pub content_encoding: Option<String>,
    /// `Cache-Control`.
    pub cache_control: Option<String>,
    /// `Content-Disposition`.
    pub content_disposition: Option<String>,
    /// User metadata; names should be lower-case ASCII.
    pub metadata: BTreeMap<String, String>,
}

impl PutOptions {
    /// No options.
    pub fn new() -> PutOptions {
        PutOptions::default()
    }

    /// Sets the media type.
    pub fn content_type(mut self, content_type: impl Into<String>) -> PutOptions {
        self.content_type = Some(content_type.into());
        self
    }

    /// Adds one user metadata entry.
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> PutOptions {
        self.metadata.insert(name.into(), value.into());
        self
    }
}

/// What a provider's storage can do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Listings group keys by a delimiter.
    pub list_delimiter: bool,
    /// Listings start after a given key.
    pub list_start_after: bool,
    /// Reads of byte ranges.
    pub range_reads: bool,
    /// Conditional reads (`If-Match`, `If-None-Match`, …).
    pub conditional_reads: bool,
    /// Server-side copy.
    pub copy: bool,
    /// Presigned URLs.
    pub presign: bool,
    /// Uploads in parts (large objects and streams of unknown length).
    pub multipart: bool,
    /// Unfinished multipart uploads can be listed (and a failed one is aborted). Azure has no such
    /// thing: a failed block upload leaves blocks that belong to no blob and expire after a week.
    pub pending_uploads: bool,
    /// User metadata on objects.
    pub user_metadata: bool,
    /// An object may share its key with the prefix of others (`a` and `a/b` both exist); file systems
    /// cannot do this.
    pub key_is_also_prefix: bool,
}

impl Capabilities {
    /// Everything: providers start here and switch off what they lack.
    pub fn all() -> Capabilities {
        Capabilities {
            list_delimiter: true,
            list_start_after: true,
            range_reads: true,
            conditional_reads: true,
            copy: true,
            presign: true,
            multipart: true,
            pending_uploads: true,
            user_metadata: true,
            key_is_also_prefix: true,
        }
    }
}
