//! TLS for servers run in this process: the certificate for `127.0.0.1` and `localhost` that the
//! Azurite tests use, signed by [`TEST_CA`](crate::servers::azurite::TEST_CA).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

const CERT: &[u8] = include_bytes!("../../data/azurite-tls/cert.pem");
const KEY: &[u8] = include_bytes!("../../data/azurite-tls/key.pem");

/// A TLS acceptor for the test certificate, offering `alpn` (most preferred first).
pub fn acceptor(alpn: &[&[u8]]) -> TlsAcceptor {
    let certs = CertificateDer::pem_slice_iter(CERT)
        .collect::<Result<Vec<_>, _>>()
        .expect("the test certificate parses");
    let key = PrivateKeyDer::from_pem_slice(KEY).expect("the test key parses");
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("the test certificate and key match");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    TlsAcceptor::from(Arc::new(config))
}
