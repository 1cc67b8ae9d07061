//! [`TlsConfigBuilder`]: every TLS setting, turned into a [`RustlsConnector`] once.

use std::sync::Arc;

use aioduct_core::{Error, ErrorKind};
use rustls::{ClientConfig, RootCertStore, SupportedProtocolVersion, client::Resumption};

use crate::{Certificate, Identity, RustlsConnector, danger::AcceptAnyCert, provider::provider};

/// How many TLS sessions a connector remembers for resumption, unless configured.
const DEFAULT_SESSION_CACHE: usize = 256;

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl TlsVersion {
    fn rustls(self) -> &'static SupportedProtocolVersion {
        match self {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        }
    }

    pub(crate) fn from_rustls(version: rustls::ProtocolVersion) -> Option<Self> {
        match version {
            rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
            rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
            _ => None,
        }
    }
}

/// Builds a [`RustlsConnector`] from roots, a client identity and protocol settings.
///
/// Made by [`RustlsConnector::builder`]. It starts with no trusted roots: add some with
/// `with_webpki_roots` (feature `webpki-roots`), `with_native_roots` (feature `native-roots`)
/// or [`add_root_certificate`](Self::add_root_certificate), so that what a client trusts is
/// always written down. Everything else starts at the defaults: TLS 1.2 and 1.3, SNI on, ALPN
/// offering `h2` then `http/1.1`, and resumption from an in-memory cache of 256 sessions.
///
/// ```
/// use aioduct_tls::{Certificate, RustlsConnector, TlsVersion};
///
/// # fn main() -> Result<(), aioduct_core::Error> {
/// # let der = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap().cert.der().to_vec();
/// let tls = RustlsConnector::builder()
///     .add_root_certificate(Certificate::from_der(der))
///     .min_tls_version(TlsVersion::Tls13)
///     .alpn(true, false)
///     .build()?;
/// assert_eq!(tls.alpn_protocols(), [b"http/1.1".to_vec()]);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct TlsConfigBuilder {
    webpki_roots: bool,
    native_roots: bool,
    roots: Vec<Certificate>,
    skip_invalid_roots: bool,
    identity: Option<Identity>,
    min_version: TlsVersion,
    max_version: TlsVersion,
    sni: bool,
    accept_invalid_certs: bool,
    alpn_http1: bool,
    alpn_http2: bool,
    session_cache: usize,
    early_data: bool,
}

impl TlsConfigBuilder {
    pub(crate) fn new() -> Self {
        TlsConfigBuilder {
            webpki_roots: false,
            native_roots: false,
            roots: Vec::new(),
            skip_invalid_roots: false,
            identity: None,
            min_version: TlsVersion::Tls12,
            max_version: TlsVersion::Tls13,
            sni: true,
            accept_invalid_certs: false,
            alpn_http1: true,
            alpn_http2: true,
            session_cache: DEFAULT_SESSION_CACHE,
            early_data: false,
        }
    }

    /// Trusts Mozilla's root certificates, compiled into the binary (the `webpki-roots` crate).
    #[cfg(feature = "webpki-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webpki-roots")))]
    pub fn with_webpki_roots(mut self) -> Self {
        self.webpki_roots = true;
        self
    }

    /// Trusts the operating system's certificate store, read when [`build`](Self::build) runs.
    ///
    /// Certificates that fail to load or parse are skipped. When none load at all the connector
    /// still builds, and its handshakes fail with an unknown-issuer error.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn with_native_roots(mut self) -> Self {
        self.native_roots = true;
        self
    }

    /// Trusts one more root certificate, such as a private CA.
    pub fn add_root_certificate(mut self, cert: Certificate) -> Self {
        self.roots.push(cert);
        self
    }

    /// Trusts more root certificates.
    pub fn with_extra_roots(mut self, certs: &[Certificate]) -> Self {
        self.roots.extend_from_slice(certs);
        self
    }

    /// Skips root certificates that are not valid DER instead of failing the build.
    #[cfg(feature = "webpki-roots")]
    pub(crate) fn skip_invalid_roots(mut self) -> Self {
        self.skip_invalid_roots = true;
        self
    }

    /// Presents a client certificate when the server asks for one (mutual TLS).
    pub fn identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// The lowest TLS version to accept (default: TLS 1.2).
    pub fn min_tls_version(mut self, version: TlsVersion) -> Self {
        self.min_version = version;
        self
    }

    /// The highest TLS version to offer (default: TLS 1.3).
    pub fn max_tls_version(mut self, version: TlsVersion) -> Self {
        self.max_version = version;
        self
    }

    /// Whether to send the server's name in the handshake (Server Name Indication; default on).
    ///
    /// Servers hosting several names need it to pick a certificate. IP addresses are never sent,
    /// as the TLS specification requires. Turning it off does not turn off verification.
    pub fn sni(mut self, enabled: bool) -> Self {
        self.sni = enabled;
        self
    }

    /// Accepts any server certificate: expired, self-signed, for another name, or from an unknown
    /// issuer.
    ///
    /// # Danger
    ///
    /// Anyone on the network path can then impersonate any server. Only the handshake signatures
    /// are still checked, which proves the server holds the key of the certificate it showed, not
    /// who it is. Use this for tests against self-signed servers, never in production; prefer
    /// [`add_root_certificate`](Self::add_root_certificate) with the test CA.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> Self {
        self.accept_invalid_certs = accept;
        self
    }

    /// Which HTTP versions to offer by ALPN (default: both, `h2` preferred).
    ///
    /// With both off no ALPN extension is sent and servers speak HTTP/1.1.
    pub fn alpn(mut self, http1: bool, http2: bool) -> Self {
        self.alpn_http1 = http1;
        self.alpn_http2 = http2;
        self
    }

    /// How many sessions to remember for resumption (default 256; 0 turns resumption off).
    ///
    /// The cache lives in memory, belongs to the connector and its clones, and is keyed by the
    /// server name (or IP address) of each handshake: a second connection to the same name
    /// resumes the earlier session, skipping certificate transfer and most of the key exchange.
    pub fn session_cache(mut self, sessions: usize) -> Self {
        self.session_cache = sessions;
        self
    }

    /// Whether to allow TLS 1.3 early data (0-RTT) on resumed sessions (default off).
    ///
    /// This only sets the configuration, for transports that send early data themselves (such as
    /// QUIC in aioduct-h3). The TCP layer of this crate never sends early data, because a
    /// replayed request may not be safe to repeat.
    pub fn early_data(mut self, enabled: bool) -> Self {
        self.early_data = enabled;
        self
    }

    /// Builds the connector. The rustls configuration is made here, once, and shared by clones.
    ///
    /// # Errors
    ///
    /// - Kind builder: no roots were asked for (and invalid certificates are not accepted), or
    ///   the minimum TLS version is above the maximum.
    /// - Kind TLS: a root certificate is not valid DER, or the client identity's key does not
    ///   match its certificate or is of an unsupported type.
    pub fn build(self) -> Result<RustlsConnector, Error> {
        if self.min_version > self.max_version {
            return Err(Error::msg(
                ErrorKind::Builder,
                "minimum TLS version is above the maximum",
            ));
        }
        let versions: Vec<_> = [TlsVersion::Tls12, TlsVersion::Tls13]
            .into_iter()
            .filter(|v| (self.min_version..=self.max_version).contains(v))
            .map(TlsVersion::rustls)
            .collect();

        let provider = provider();
        let wants_verifier = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(&versions)
            .map_err(tls_error)?;
        let wants_identity = if self.accept_invalid_certs {
            wants_verifier
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCert::new(provider)))
        } else {
            wants_verifier.with_root_certificates(self.root_store()?)
        };
        let mut config = match self.identity {
            Some(Identity { chain, key }) => wants_identity
                .with_client_auth_cert(chain, key)
                .map_err(tls_error)?,
            None => wants_identity.with_no_client_auth(),
        };

        config.alpn_protocols = alpn_ids(self.alpn_http1, self.alpn_http2);
        config.enable_sni = self.sni;
        config.enable_early_data = self.early_data;
        config.resumption = match self.session_cache {
            0 => Resumption::disabled(),
            sessions => Resumption::in_memory_sessions(sessions),
        };
        Ok(RustlsConnector::from_config(Arc::new(config)))
    }

    fn root_store(&self) -> Result<RootCertStore, Error> {
        if !self.webpki_roots && !self.native_roots && self.roots.is_empty() {
            return Err(Error::msg(
                ErrorKind::Builder,
                "no root certificates configured: add webpki roots, native roots or a root \
                 certificate",
            ));
        }
        let mut store = RootCertStore::empty();
        #[cfg(feature = "webpki-roots")]
        if self.webpki_roots {
            store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        #[cfg(feature = "native-roots")]
        if self.native_roots {
            // Errors reading some stores, and certificates that do not parse, are skipped: one
            // bad entry in the system store should not make every client unusable.
            let loaded = rustls_native_certs::load_native_certs();
            store.add_parsable_certificates(loaded.certs);
        }
        let roots = self.roots.iter().map(Certificate::to_pki);
        if self.skip_invalid_roots {
            store.add_parsable_certificates(roots);
        } else {
            for cert in roots {
                store.add(cert).map_err(tls_error)?;
            }
        }
        Ok(store)
    }
}

/// The ALPN ids to offer, most preferred first.
pub(crate) fn alpn_ids(http1: bool, http2: bool) -> Vec<Vec<u8>> {
    let mut ids = Vec::new();
    if http2 {
        ids.push(b"h2".to_vec());
    }
    if http1 {
        ids.push(b"http/1.1".to_vec());
    }
    ids
}

fn tls_error(err: rustls::Error) -> Error {
    Error::new(ErrorKind::Tls, Some(err))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_root() -> Certificate {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec!["root.test".to_string()]).unwrap();
        Certificate::from_der(params.self_signed(&key).unwrap().der().to_vec())
    }

    #[test]
    fn defaults_offer_h2_then_http1_with_sni_and_resumption() {
        let tls = RustlsConnector::builder()
            .add_root_certificate(test_root())
            .build()
            .unwrap();
        let config = tls.client_config();
        assert_eq!(
            config.alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
        assert!(config.enable_sni);
        assert!(!config.enable_early_data);
    }

    #[test]
    fn alpn_ids_follow_the_switches() {
        assert_eq!(alpn_ids(true, true), [b"h2".to_vec(), b"http/1.1".to_vec()]);
        assert_eq!(alpn_ids(true, false), [b"http/1.1".to_vec()]);
        assert_eq!(alpn_ids(false, true), [b"h2".to_vec()]);
        assert!(alpn_ids(false, false).is_empty());
    }

    #[test]
    fn danger_mode_needs_no_roots() {
        assert!(
            RustlsConnector::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .is_ok()
        );
    }

    #[cfg(feature = "webpki-roots")]
    #[test]
    fn extra_roots_shortcut_skips_what_is_not_a_certificate() {
        let garbage = Certificate::from_der(b"garbage".to_vec());
        let tls = RustlsConnector::with_extra_roots(&[garbage.clone(), test_root()]);
        assert_eq!(tls.alpn_protocols().len(), 2);
        let strict = RustlsConnector::builder()
            .with_webpki_roots()
            .with_extra_roots(&[garbage])
            .build();
        assert!(strict.unwrap_err().is_tls());
    }

    #[cfg(feature = "native-roots")]
    #[test]
    fn native_roots_always_build() {
        // Whatever this machine's store holds, or if it holds nothing, building succeeds.
        let tls = RustlsConnector::with_native_roots();
        assert_eq!(tls.alpn_protocols().len(), 2);
    }
}
