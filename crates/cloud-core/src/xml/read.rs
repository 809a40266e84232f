//! Reading a document element by element into a [`Sink`], for answers too large or too frequent to
//! go through `serde` (listing pages): the reader hands over borrowed text, and the sink keeps only
//! what it needs.
//!
//! Most answers are plain XML: tags, simple attributes, text with the five named entities. Those are
//! read by a scanner made for that subset ([`plain`](super::plain)); anything else (comments,
//! CDATA, numeric character references, namespace prefixes, carriage returns) sends the document to
//! quick-xml's general reader, from the start, with a fresh sink. Both hand the sink the same calls,
//! which a fuzz target holds them to.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::plain::{self, Scanned};
use crate::error::{Error, Result};

/// What reading a document does with its parts, in document order.
///
/// Text comes in pieces (an entity between two runs of text is its own piece); a sink that wants an
/// element's whole text joins them. Errors a sink returns end the reading and are returned as they are.
pub trait Sink<'a> {
    /// An element opens; `name` is its local name, without a namespace prefix.
    fn start(&mut self, name: &[u8]) -> Result<()>;
    /// An element with no content (`<Key/>`) opens and closes.
    fn empty(&mut self, name: &[u8]) -> Result<()>;
    /// Whether text at this point is wanted: text that is not is neither decoded nor handed over.
    fn wants_text(&self) -> bool;
    /// A piece of text, entities resolved.
    fn text(&mut self, piece: Cow<'a, str>) -> Result<()>;
    /// The element opened last closes.
    fn end(&mut self) -> Result<()>;
}

/// An element's text as its pieces arrive: borrowed from the document while it comes in one piece
/// (the usual case), joined into a string of its own only when it does not.
#[derive(Debug, Default)]
pub struct Text<'a>(Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    /// Adds a piece.
    pub fn push(&mut self, piece: Cow<'a, str>) {
        match &mut self.0 {
            None => self.0 = Some(piece),
            Some(text) => text.to_mut().push_str(&piece),
        }
    }

    /// The text so far (empty when none came), leaving none.
    pub fn take(&mut self) -> Cow<'a, str> {
        self.0.take().unwrap_or_default()
    }

    /// Forgets the text so far.
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

/// Reads `xml`, whose root element must be `root`, into a sink made by `new`.
///
/// `service` and `root` name the document in errors (`S3 sent a <ListBucketResult> document that could
/// not be read: …`). A document that ends before its elements close is an error.
pub fn read<'a, S: Sink<'a>>(
    service: &str,
    root: &str,
    xml: &'a str,
    new: impl Fn() -> S,
) -> Result<S> {
    super::expect_root(service, root, xml)?;
    let mut sink = new();
    match plain::scan(xml, &mut sink)? {
        Scanned::Read => Ok(sink),
        Scanned::NotPlain => {
            let mut sink = new();
            read_events(xml, &mut sink).map_err(|why| match why {
                Failed::Sink(err) => err,
                Failed::Syntax(why) => unreadable(service, root, why),
            })?;
            Ok(sink)
        }
    }
}

/// The error for a document that is not well-formed.
fn unreadable(service: &str, root: &str, why: impl std::fmt::Display) -> Error {
    Error::unexpected(format!(
        "{service} sent a <{root}> document that could not be read: {why}"
    ))
}

/// Why the general reader stopped.
pub(crate) enum Failed {
    /// The sink refused what it was given.
    Sink(Error),
    /// The document is not well-formed.
    Syntax(String),
}

impl From<Error> for Failed {
    fn from(err: Error) -> Failed {
        Failed::Sink(err)
    }
}

fn syntax(why: impl std::fmt::Display) -> Failed {
    Failed::Syntax(why.to_string())
}

/// Reads any document through quick-xml's events.
pub(crate) fn read_events<'a>(
    xml: &'a str,
    sink: &mut impl Sink<'a>,
) -> std::result::Result<(), Failed> {
    let mut reader = Reader::from_str(xml);
    let mut depth = 0usize;
    loop {
        match reader.read_event().map_err(syntax)? {
            Event::Start(start) => {
                depth += 1;
                sink.start(start.local_name().as_ref())?;
            }
            Event::Empty(start) => sink.empty(start.local_name().as_ref())?,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                sink.end()?;
            }
            Event::Text(t) if sink.wants_text() => {
                // Line ends are normalized only where there is a carriage return to normalize.
                let piece = if t.contains(&b'\r') {
                    Cow::Owned(t.xml_content().map_err(syntax)?.into_owned())
                } else {
                    utf8(t.into_inner())?
                };
                sink.text(piece)?;
            }
            Event::CData(t) if sink.wants_text() => {
                sink.text(utf8(t.into_inner())?)?;
            }
            Event::GeneralRef(r) if sink.wants_text() => {
                let resolved = match r.resolve_char_ref().map_err(syntax)? {
                    Some(c) => Cow::Owned(c.to_string()),
                    None => match plain::named_entity(r.as_ref()) {
                        Some(text) => Cow::Borrowed(text),
                        None => {
                            return Err(syntax(format!(
                                "unknown entity &{};",
                                String::from_utf8_lossy(r.as_ref())
                            )))
                        }
                    },
                };
                sink.text(resolved)?;
            }
            Event::Eof if depth > 0 => {
                return Err(syntax("the document ends before its elements close"))
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// Text the reader cut from a `&str` at markup, which is UTF-8 still; checked all the same.
fn utf8(bytes: Cow<'_, [u8]>) -> std::result::Result<Cow<'_, str>, Failed> {
    match bytes {
        Cow::Borrowed(b) => std::str::from_utf8(b).map(Cow::Borrowed).map_err(syntax),
        Cow::Owned(v) => String::from_utf8(v).map(Cow::Owned).map_err(syntax),
    }
}

/// Records what a reader hands a sink, wanting text only inside elements whose names have an even
/// length, so that both readers are also held to what they skip.
#[cfg(any(test, feature = "fuzzing"))]
#[derive(Debug, Default, PartialEq)]
struct Recorder {
    open: Vec<Vec<u8>>,
    seen: Vec<String>,
}

#[cfg(any(test, feature = "fuzzing"))]
impl<'a> Sink<'a> for Recorder {
    fn start(&mut self, name: &[u8]) -> Result<()> {
        self.open.push(name.to_vec());
        self.seen
            .push(format!("<{}>", String::from_utf8_lossy(name)));
        Ok(())
    }

    fn empty(&mut self, name: &[u8]) -> Result<()> {
        self.seen
            .push(format!("<{}/>", String::from_utf8_lossy(name)));
        Ok(())
    }

    fn wants_text(&self) -> bool {
        self.open.last().is_some_and(|name| name.len() % 2 == 0)
    }

    fn text(&mut self, piece: Cow<'a, str>) -> Result<()> {
        // Pieces are joined: where a reader cuts text is its own affair.
        match self.seen.last_mut() {
            Some(last) if last.starts_with('"') => last.push_str(&piece),
            _ => self.seen.push(format!("\"{piece}")),
        }
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        self.open.pop();
        self.seen.push("</>".into());
        Ok(())
    }
}

/// Checks that a document the plain scanner reads is one the general reader reads the same way;
/// `false` when the scanner left the document to the general reader (nothing to compare).
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn plain_agrees(xml: &str) -> bool {
    let mut plain = Recorder::default();
    if plain::scan(xml, &mut plain).ok() != Some(Scanned::Read) {
        return false;
    }
    let mut general = Recorder::default();
    let read = read_events(xml, &mut general);
    assert!(
        read.is_ok(),
        "the plain scanner read a document the general reader refuses: {xml:?}"
    );
    assert_eq!(plain.seen, general.seen, "{xml:?}");
    true
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
