//! The rustls client configuration for DNS-over-TLS and DNS-over-HTTPS.

use std::sync::Arc;

use rustls::{
    ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    client::{
        WebPkiServerVerifier,
        danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    },
    crypto::ring,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::{Error, transport::LastFailure};

/// A client configuration on ring that trusts the Mozilla roots (webpki-roots) and `extra_roots`,
/// and records why it rejected a server's certificate in `failures`.
///
/// ring is the provider the facade's `rustls-ring` feature uses, so enabling `doh` or `dot`
/// next to it links one crypto library, not two.
pub(crate) fn client_config(
    extra_roots: &[CertificateDer<'_>],
    failures: &LastFailure,
) -> Result<ClientConfig, Error> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for (index, cert) in extra_roots.iter().enumerate() {
        roots.add(cert.clone().into_owned()).map_err(|err| {
            Error::config(
                format!("extra root certificate #{index} is not a valid DER certificate"),
                Some(err.into()),
            )
        })?;
    }
    let provider = Arc::new(ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|err| Error::config("cannot build the certificate verifier", Some(err.into())))?;
    let verifier = Arc::new(RecordingVerifier {
        webpki,
        failures: failures.clone(),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::config("no TLS protocol version available", Some(err.into())))?
        // "Dangerous" only in name: every check is webpki's, unchanged; we only keep its verdict.
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// The webpki verifier, noting each rejected certificate so the lookup error can say why.
#[derive(Debug)]
struct RecordingVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    failures: LastFailure,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(err) = &verdict {
            let context = format!(
                "the DNS server's certificate is not valid for {}",
                server_name.to_str()
            );
            self.failures.record(context, err.clone().into());
        }
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Checks that `name` can be a TLS server name (a DNS name or an IP address).
pub(crate) fn server_name(name: &str) -> Result<Arc<str>, Error> {
    match ServerName::try_from(name) {
        Ok(_) => Ok(Arc::from(name)),
        Err(err) => Err(Error::config(
            format!("{name:?} is not a valid TLS server name"),
            Some(err.into()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_certificates_and_names() {
        let junk = CertificateDer::from(&b"not a certificate"[..]);
        let err = client_config(&[junk], &LastFailure::default()).unwrap_err();
        assert!(err.is_config());
        assert!(err.to_string().contains("#0"), "{err}");

        assert!(server_name("dns.test").is_ok());
        assert!(server_name("127.0.0.1").is_ok());
        assert!(server_name("bad name").unwrap_err().is_config());
    }

    #[test]
    fn uses_the_ring_provider() {
        let config = client_config(&[], &LastFailure::default()).unwrap();
        let ring = ring::default_provider();
        assert_eq!(
            config.crypto_provider().cipher_suites.len(),
            ring.cipher_suites.len()
        );
    }
}
