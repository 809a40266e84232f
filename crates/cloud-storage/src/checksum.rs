//! Checksums of whole objects, to verify what is read against what was written.

use std::fmt;

/// A checksum of an object's content, as a provider reports it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Checksum {
    /// CRC-32C (Castagnoli), as S3's `x-amz-checksum-crc32c` and GCS's `crc32c`.
    Crc32c(u32),
    /// MD5, as a hex string.
    Md5(String),
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Checksum::Crc32c(value) => write!(f, "crc32c:{value:08x}"),
            Checksum::Md5(hex) => write!(f, "md5:{hex}"),
        }
    }
}

/// Computes a checksum incrementally, over chunks as they stream by.
#[derive(Clone, Debug)]
pub struct Hasher {
    kind: HasherKind,
}

#[derive(Clone, Debug)]
enum HasherKind {
    Crc32c(u32),
}

impl Hasher {
    /// A hasher for the same algorithm as `checksum`, if this crate can compute it.
    pub fn like(checksum: &Checksum) -> Option<Hasher> {
        match checksum {
            Checksum::Crc32c(_) => Some(Hasher::crc32c()),
            Checksum::Md5(_) => None,
        }
    }

    /// A CRC-32C hasher (hardware-accelerated where the CPU has it).
    pub fn crc32c() -> Hasher {
        Hasher {
            kind: HasherKind::Crc32c(0),
        }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.kind {
            HasherKind::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
        }
    }

    /// The checksum of everything added.
    pub fn finish(&self) -> Checksum {
        match self.kind {
            HasherKind::Crc32c(crc) => Checksum::Crc32c(crc),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        let mut hasher = Hasher::crc32c();
        hasher.update(b"1234");
        hasher.update(b"56789");
        assert_eq!(hasher.finish(), Checksum::Crc32c(0xe306_9283));
        assert_eq!(hasher.finish().to_string(), "crc32c:e3069283");
    }
}
