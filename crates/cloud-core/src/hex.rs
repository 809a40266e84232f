//! Digests written as lower-case hex, as ETags, checksums and signatures carry them.
//!
//! `hex::encode` builds its string a character at a time through an iterator; a 16-byte MD5 took
//! about a thousand instructions that way, on every object read. The same crate's
//! `encode_to_slice` writes the digits into the string's buffer in one pass.

/// `bytes` as lower-case hex.
///
/// ```
/// assert_eq!(cloud_core::hex::encode(&[0x00, 0xab, 0x7f]), "00ab7f");
/// ```
pub fn encode(bytes: impl AsRef<[u8]>) -> String {
    let bytes = bytes.as_ref();
    let mut text = vec![0; bytes.len() * 2];
    ::hex::encode_to_slice(bytes, &mut text).expect("the buffer holds two digits a byte");
    String::from_utf8(text).expect("hex digits are ASCII")
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_what_the_hex_crate_writes() {
        let bytes: Vec<u8> = (0..=255).collect();
        for len in [0, 1, 16, 32, 256] {
            assert_eq!(super::encode(&bytes[..len]), ::hex::encode(&bytes[..len]));
        }
    }
}
