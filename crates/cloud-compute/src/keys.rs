//! OpenSSH public keys, checked before they are sent: a provider that stores any text as a key (or
//! fails on it with a 500) never sees one that is not a key.

use cloud_core::{Error, Result};

/// Checks that `text` is one OpenSSH public key (`ssh-ed25519 AAAA… comment`, RSA, ECDSA, …) and
/// returns its SHA-256 fingerprint (`SHA256:…`), as `ssh-keygen -l` prints it.
///
/// ```
/// let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEqX1M79Pl/ekzYogpxpeRz0UQGg7O0e624FuRwJb7qc me@host";
/// assert!(cloud_compute::check_public_key(key).unwrap().starts_with("SHA256:"));
/// let err = cloud_compute::check_public_key("not a key").unwrap_err();
/// assert_eq!(err.kind(), cloud_core::ErrorKind::InvalidInput);
/// ```
pub fn check_public_key(text: &str) -> Result<String> {
    let key = ssh_key::PublicKey::from_openssh(text.trim()).map_err(|e| {
        Error::invalid_input("the public key is not an OpenSSH public key").with_source(e)
    })?;
    Ok(key.fingerprint(ssh_key::HashAlg::Sha256).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_keys_pass_and_truncated_ones_do_not() {
        let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDQzfnRp3RBqLfp6kk4vXG1bI6Pav0bcn1NPwtL1P4qKr3SK3M7Mm0BfQFAvOVbaP3Sr9vcZXC1zEXsgUBl+CFdWbyj2VgbB6uzsVRqFQ3h1J1YFl3yzKxvH6zxw7I5JnU+E2hCcL6f5xIT0mn7LpQJ0BqDgm0q0TYdRtnnmfcC2Q== test";
        assert!(check_public_key(rsa).is_ok());
        let cut = &rsa[..60];
        assert!(check_public_key(cut).is_err());
        assert!(check_public_key("").is_err());
    }
}
