//! A scanner for plain XML: the shape nearly every answer has, read without a general parser's
//! machinery (a profile of S3 listings put quick-xml's event reader at half their CPU).
//!
//! Plain means: elements whose names have no namespace prefix, attributes written `name="value"` or
//! `name='value'` after whitespace, end tags written exactly `</name>` and matching their start,
//! the `<?xml …?>` declaration first in the document, and text whose only references are the
//! five named entities, with no carriage return where text is wanted. Anything else (comments,
//! CDATA, a doctype, numeric references, a stray `<` or `&`, a document that ends early) is left to
//! the general reader, which also says what is wrong with a document that is not well-formed.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memmem};

use super::read::Sink;
use crate::error::Result;

/// How far the scanner got.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scanned {
    /// The whole document was plain and the sink has all of it.
    Read,
    /// Something is not plain: read the document again with the general reader.
    NotPlain,
}

/// The text of one of XML's five named entities (`amp` → `&`).
pub(crate) fn named_entity(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"amp" => "&",
        b"lt" => "<",
        b"gt" => ">",
        b"quot" => "\"",
        b"apos" => "'",
        _ => return None,
    })
}

/// XML's whitespace, as quick-xml counts it.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Bytes that end a name, or have no place in one of a plain document.
fn ends_name(b: u8) -> bool {
    NAME_ENDS[b as usize]
}

/// [`ends_name`] as a table: it is asked of every byte of every name.
static NAME_ENDS: [bool; 256] = {
    let mut table = [false; 256];
    let ends = b" \t\r\n/><=\"'&:!?";
    let mut i = 0;
    while i < ends.len() {
        table[ends[i] as usize] = true;
        i += 1;
    }
    table
};

/// Feeds a plain document to `sink`; an error is the sink's.
pub(crate) fn scan<'a>(xml: &'a str, sink: &mut impl Sink<'a>) -> Result<Scanned> {
    let bytes = xml.as_bytes();
    // The names of the open elements, to hold each end tag to its start as quick-xml does.
    let mut open: Vec<&[u8]> = Vec::with_capacity(8);
    let mut at = 0;
    while at < bytes.len() {
        // Text runs are short (a key, an indent): a byte loop finds their end sooner than a search
        // would start up, and notes on the way whether they hold anything but characters.
        let start = at;
        let mut refs = false;
        while let Some(&b) = bytes.get(at) {
            match b {
                b'<' => break,
                b'&' | b'\r' => refs = true,
                _ => {}
            }
            at += 1;
        }
        if at > start {
            let run = &xml[start..at];
            if refs {
                if !text(run, sink)? {
                    return Ok(Scanned::NotPlain);
                }
            } else if sink.wants_text() {
                sink.text(Cow::Borrowed(run))?;
            }
        }
        if at == bytes.len() {
            break;
        }
        let Some(next) = markup(bytes, at + 1, &mut open, sink)? else {
            return Ok(Scanned::NotPlain);
        };
        at = next;
    }
    Ok(if open.is_empty() {
        Scanned::Read
    } else {
        Scanned::NotPlain
    })
}

/// Reads the markup after a `<` at `at - 1`; the position after it, or `None` when it is not plain.
fn markup<'a, 'x>(
    bytes: &'x [u8],
    at: usize,
    open: &mut Vec<&'x [u8]>,
    sink: &mut impl Sink<'a>,
) -> Result<Option<usize>> {
    match bytes.get(at) {
        Some(b'/') => {
            // Exactly `</name>`, for the element opened last.
            let Some(name) = open.pop() else {
                return Ok(None);
            };
            let end = at + 1 + name.len();
            if bytes.get(at + 1..end) != Some(name) || bytes.get(end) != Some(&b'>') {
                return Ok(None);
            }
            sink.end()?;
            Ok(Some(end + 1))
        }
        // The declaration, where it belongs: first in the document.
        Some(b'?') if at == 1 && bytes[at..].starts_with(b"?xml ") => {
            Ok(memmem::find(&bytes[at..], b"?>").map(|i| at + i + 2))
        }
        Some(&b) if !ends_name(b) => {
            let name_end = bytes[at..]
                .iter()
                .position(|&b| ends_name(b))
                .map_or(bytes.len(), |i| at + i);
            let name = &bytes[at..name_end];
            let Some((empty, next)) = attributes(bytes, name_end) else {
                return Ok(None);
            };
            if empty {
                sink.empty(name)?;
            } else {
                open.push(name);
                sink.start(name)?;
            }
            Ok(Some(next))
        }
        _ => Ok(None),
    }
}

/// Walks a start tag's attributes from `at` to its end: whether the element is empty (`/>`) and the
/// position after the tag, or `None` when the tag is not plain.
fn attributes(bytes: &[u8], mut at: usize) -> Option<(bool, usize)> {
    loop {
        let spaced = bytes.get(at).is_some_and(|&b| is_space(b));
        while bytes.get(at).is_some_and(|&b| is_space(b)) {
            at += 1;
        }
        match *bytes.get(at)? {
            b'>' => return Some((false, at + 1)),
            b'/' => return (bytes.get(at + 1) == Some(&b'>')).then_some((true, at + 2)),
            b if spaced && !ends_name(b) => {
                while bytes.get(at).is_some_and(|&b| !ends_name(b)) {
                    at += 1;
                }
                while bytes.get(at).is_some_and(|&b| is_space(b)) {
                    at += 1;
                }
                if *bytes.get(at)? != b'=' {
                    return None;
                }
                at += 1;
                while bytes.get(at).is_some_and(|&b| is_space(b)) {
                    at += 1;
                }
                let quote = *bytes.get(at)?;
                if quote != b'"' && quote != b'\'' {
                    return None;
                }
                let len = memchr(quote, &bytes[at + 1..])?;
                let value = &bytes[at + 1..at + 1 + len];
                if memchr2(b'<', b'&', value).is_some() {
                    return None;
                }
                at += len + 2;
            }
            _ => return None,
        }
    }
}

/// Hands a run of text to the sink if it wants it; `false` when the text is not plain.
fn text<'a>(run: &'a str, sink: &mut impl Sink<'a>) -> Result<bool> {
    if !sink.wants_text() {
        // Unwanted text is skipped, but a reference in it is left to the general reader to judge.
        return Ok(memchr(b'&', run.as_bytes()).is_none());
    }
    let mut rest = run;
    while let Some(amp) = memchr2(b'&', b'\r', rest.as_bytes()) {
        if rest.as_bytes()[amp] == b'\r' {
            return Ok(false);
        }
        if amp > 0 {
            sink.text(Cow::Borrowed(&rest[..amp]))?;
        }
        let after = &rest[amp + 1..];
        let Some(semi) = memchr(b';', after.as_bytes()) else {
            return Ok(false);
        };
        let Some(resolved) = named_entity(&after.as_bytes()[..semi]) else {
            return Ok(false);
        };
        sink.text(Cow::Borrowed(resolved))?;
        rest = &after[semi + 1..];
    }
    if !rest.is_empty() {
        sink.text(Cow::Borrowed(rest))?;
    }
    Ok(true)
}
