//! Certificates and client identities, parsed from DER or PEM.

use std::fmt;

use aioduct_core::{Error, ErrorKind};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

/// An X.509 certificate: a root to trust, or part of a client's [`Identity`].
///
/// Parsing from PEM checks the PEM armour and base64 only; the DER inside is checked when the
/// certificate is used ([`TlsConfigBuilder::build`](crate::TlsConfigBuilder::build)).
///
/// ```
/// use aioduct_tls::Certificate;
///
/// let err = Certificate::from_pem(b"not a certificate").unwrap_err();
/// assert!(err.is_tls());
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: CertificateDer<'static>,
}

impl Certificate {
    /// A certificate from its DER encoding.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Self {
        Certificate {
            der: CertificateDer::from(der.into()),
        }
    }

    /// The first certificate of a PEM document (`-----BEGIN CERTIFICATE-----`).
    ///
    /// Sections of other kinds, such as private keys, are skipped.
    ///
    /// # Errors
    ///
    /// An error of kind TLS when the PEM is malformed or holds no certificate.
    pub fn from_pem(pem: &[u8]) -> Result<Self, Error> {
        CertificateDer::from_pem_slice(pem)
            .map(Certificate::from_pki)
            .map_err(|err| pem_error("certificate", err))
    }

    /// Every certificate of a PEM bundle, such as a CA file, in order.
    ///
    /// # Errors
    ///
    /// An error of kind TLS when any section is malformed or the bundle holds no certificate.
    pub fn from_pem_bundle(pem: &[u8]) -> Result<Vec<Self>, Error> {
        let certs = CertificateDer::pem_slice_iter(pem)
            .map(|cert| cert.map(Certificate::from_pki))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| pem_error("certificate", err))?;
        if certs.is_empty() {
            return Err(Error::msg(
                ErrorKind::Tls,
                "no certificate found in PEM bundle",
            ));
        }
        Ok(certs)
    }

    /// The DER encoding.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    pub(crate) fn from_pki(der: CertificateDer<'static>) -> Self {
        Certificate { der }
    }

    pub(crate) fn to_pki(&self) -> CertificateDer<'static> {
        self.der.clone()
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("der_len", &self.der.len())
            .finish()
    }
}

/// A client certificate chain and its private key, for mutual TLS.
///
/// ```no_run
/// use aioduct_tls::{Certificate, Identity, RustlsConnector};
///
/// # fn main() -> Result<(), aioduct_core::Error> {
/// let ca = std::fs::read("ca.pem").unwrap();
/// let chain = std::fs::read("client.pem").unwrap();
/// let key = std::fs::read("client.key").unwrap();
/// let tls = RustlsConnector::builder()
///     .add_root_certificate(Certificate::from_pem(&ca)?)
///     .identity(Identity::from_pem(&chain, &key)?)
///     .build()?;
/// # Ok(()) }
/// ```
pub struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

impl Identity {
    /// An identity from a PEM certificate chain (leaf first) and a PEM private key.
    ///
    /// The key may be PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 (`BEGIN RSA PRIVATE KEY`) or SEC1
    /// (`BEGIN EC PRIVATE KEY`). Both arguments may be the same document holding both.
    ///
    /// # Errors
    ///
    /// An error of kind TLS when either PEM is malformed, the chain is empty or no key is found.
    /// Whether the key matches the certificate is checked by
    /// [`TlsConfigBuilder::build`](crate::TlsConfigBuilder::build).
    pub fn from_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Self, Error> {
        let chain = Certificate::from_pem_bundle(cert_chain_pem)?
            .into_iter()
            .map(|cert| cert.der)
            .collect();
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|err| pem_error("key", err))?;
        Ok(Identity { chain, key })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Self {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The key stays out of logs.
        f.debug_struct("Identity")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

fn pem_error(what: &str, err: rustls_pki_types::pem::Error) -> Error {
    let message = match err {
        rustls_pki_types::pem::Error::NoItemsFound => format!("no {what} found in PEM"),
        other => format!("malformed PEM {what}: {other}"),
    };
    Error::msg(ErrorKind::Tls, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated() -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["client".to_string()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn pem_and_der_agree() {
        let (cert_pem, _) = generated();
        let cert = Certificate::from_pem(cert_pem.as_bytes()).unwrap();
        assert_eq!(Certificate::from_der(cert.as_der()), cert);
    }

    #[test]
    fn bundles_keep_every_certificate_in_order() {
        let (a, _) = generated();
        let (b, _) = generated();
        let bundle = format!("{a}\n{b}");
        let certs = Certificate::from_pem_bundle(bundle.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0], Certificate::from_pem(a.as_bytes()).unwrap());
        assert_eq!(certs[1], Certificate::from_pem(b.as_bytes()).unwrap());
    }

    #[test]
    fn bad_pem_is_a_tls_error_not_a_panic() {
        let (cert_pem, key_pem) = generated();
        let broken = cert_pem.replace("MI", "!!");
        let unterminated = cert_pem.replace("-----END CERTIFICATE-----", "");
        for input in [
            b"".as_slice(),
            b"garbage",
            broken.as_bytes(),
            unterminated.as_bytes(),
        ] {
            assert!(Certificate::from_pem(input).unwrap_err().is_tls());
            assert!(Certificate::from_pem_bundle(input).unwrap_err().is_tls());
        }
        // A key where a certificate is expected, and the other way round.
        assert!(
            Certificate::from_pem(key_pem.as_bytes())
                .unwrap_err()
                .is_tls()
        );
        let err = Identity::from_pem(cert_pem.as_bytes(), cert_pem.as_bytes()).unwrap_err();
        assert!(err.is_tls());
        assert!(err.to_string().contains("no key"), "{err}");
    }

    #[test]
    fn identity_reads_chain_and_key_and_hides_the_key() {
        let (cert_pem, key_pem) = generated();
        let identity = Identity::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
        assert_eq!(identity.chain.len(), 1);
        let combined = format!("{cert_pem}{key_pem}");
        let same = Identity::from_pem(combined.as_bytes(), combined.as_bytes()).unwrap();
        assert_eq!(same.clone().chain, identity.chain);
        assert!(!format!("{identity:?}").contains("PRIVATE"));
    }
}
