//! A mutation fuzzer for the parsers that read what servers send, on stable Rust.
//!
//! Each [`Target`] (one per parser, offered by the crates' `fuzzing` features) comes with seeds shaped
//! like real answers. Every case takes a seed (or the case before it) and applies one to four
//! mutations: bit flips, random bytes, cuts, repeats, splices of other seeds, and tokens that trip
//! parsers (`<item>`, `&#0;`, `]]>`, `{"`, `18446744073709551616`, `1e999`, …). A case passes if the
//! parser returns, whatever it returns; a panic is counted and the first panicking input kept.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

pub use cloud_core::fuzzing::Target;

/// Every target of every crate.
pub fn targets() -> Vec<Target> {
    let mut all = cloud_core::fuzzing::targets();
    all.extend(cloud_aws::fuzzing::targets());
    all.extend(cloud_azure::fuzzing::targets());
    all.extend(cloud_gcp::fuzzing::targets());
    all.extend(cloud_openstack::fuzzing::targets());
    all.extend(cloud_digitalocean::fuzzing::targets());
    all
}

/// What fuzzing one target came to.
#[derive(Debug)]
pub struct Report {
    /// The target's name.
    pub name: &'static str,
    /// Cases run.
    pub cases: u64,
    /// Cases that panicked.
    pub panics: u64,
    /// The first panicking input, and the panic's message.
    pub first_panic: Option<(Vec<u8>, String)>,
    /// How long it took.
    pub took: Duration,
}

/// Tokens that parsers of XML, JSON, dates, numbers and headers trip over.
const TOKENS: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "<item>",
    "</item>",
    "<item/>",
    "&amp;",
    "&lt;",
    "&#0;",
    "&#x110000;",
    "&bogus;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version=\"1.0\"?>",
    "xmlns=\"x\"",
    "\"",
    "'",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "null",
    "true",
    "\"\"",
    "{}",
    "[]",
    "-1",
    "0",
    "-0",
    "1e999",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "NaN",
    "\\u0000",
    "\\ud800",
    "\\",
    "\u{0}",
    "\u{feff}",
    "é",
    "\u{10ffff}",
    "bytes ",
    "bytes=",
    "*/",
    "-",
    "/",
    " ",
    "\r\n",
    "\t",
    "T",
    "Z",
    "+25:00",
    "9999-12-31T23:59:59Z",
    "0000-00-00T00:00:00Z",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "W/\"",
    "\"-",
    "-1-",
    "%",
    "%zz",
    "%00",
];

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `cases` cases of `target`, deterministically from `seed`.
pub fn run(target: &Target, cases: u64, seed: u64) -> Report {
    let start = Instant::now();
    let mut rng = fastrand::Rng::with_seed(seed ^ hash(target.name));
    let seeds: Vec<Vec<u8>> = target.seeds.iter().map(|s| s.as_bytes().to_vec()).collect();
    let mut panics = 0;
    let mut first_panic = None;
    let mut previous: Vec<u8> = Vec::new();
    for case in 0..cases {
        let mut input = if case > 0 && rng.u8(..4) == 0 && !previous.is_empty() {
            previous.clone()
        } else {
            seeds[rng.usize(..seeds.len())].clone()
        };
        // Every seed also runs as it is.
        if case >= seeds.len() as u64 {
            for _ in 0..rng.usize(1..=4) {
                mutate(&mut input, &seeds, &mut rng);
            }
        } else {
            input = seeds[case as usize].clone();
        }
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
        if outcome.is_err() {
            panics += 1;
            if first_panic.is_none() {
                let message = LAST_PANIC
                    .with(|m| m.borrow_mut().take())
                    .unwrap_or_default();
                first_panic = Some((input.clone(), message));
            }
        }
        previous = input;
    }
    Report {
        name: target.name,
        cases,
        panics,
        first_panic,
        took: start.elapsed(),
    }
}

/// Silences the default panic output (a panic is a finding, reported once per target) and keeps each
/// panic's message for the report. Call once before [`run`].
pub fn quiet_panics() {
    panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        LAST_PANIC.with(|m| *m.borrow_mut() = Some(format!("{message}{location}")));
    }));
}

fn mutate(input: &mut Vec<u8>, seeds: &[Vec<u8>], rng: &mut fastrand::Rng) {
    let len = input.len();
    match rng.u8(..9) {
        0 if len > 0 => {
            let at = rng.usize(..len);
            input[at] ^= 1 << rng.u8(..8);
        }
        1 if len > 0 => {
            let at = rng.usize(..len);
            input[at] = rng.u8(..);
        }
        2 => {
            let at = rng.usize(..=len);
            input.insert(at, rng.u8(..));
        }
        3 if len > 0 => {
            let from = rng.usize(..len);
            let to = (from + rng.usize(1..=16.min(len - from).max(1))).min(len);
            input.drain(from..to);
        }
        4 if len > 0 => input.truncate(rng.usize(..len)),
        5 if len > 0 => {
            // Repeat a stretch: duplicated elements, nested sets.
            let from = rng.usize(..len);
            let to = (from + rng.usize(1..=64)).min(len);
            let stretch = input[from..to].to_vec();
            let at = rng.usize(..=len);
            input.splice(at..at, stretch);
        }
        6 => {
            let other = &seeds[rng.usize(..seeds.len())];
            if !other.is_empty() {
                let from = rng.usize(..other.len());
                let to = (from + rng.usize(1..=128)).min(other.len());
                let at = rng.usize(..=len);
                input.splice(at..at, other[from..to].iter().copied());
            }
        }
        7 => {
            // Replace a run of digits with an extreme number.
            let digits: Vec<usize> = (0..len).filter(|&i| input[i].is_ascii_digit()).collect();
            if let Some(&at) = digits.get(rng.usize(..digits.len().max(1))) {
                let end = (at..len)
                    .find(|&i| !input[i].is_ascii_digit())
                    .unwrap_or(len);
                let number = [
                    "0",
                    "-1",
                    "18446744073709551616",
                    "99999999999999999999999",
                    "1e999",
                ][rng.usize(..5)];
                input.splice(at..end, number.bytes());
            }
        }
        _ => {
            let token = TOKENS[rng.usize(..TOKENS.len())];
            let at = rng.usize(..=len);
            input.splice(at..at, token.bytes());
        }
    }
}

fn hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}
