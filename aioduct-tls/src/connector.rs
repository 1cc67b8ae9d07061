//! [`RustlsConnector`]: a built TLS client configuration, and the handshake it runs.

use std::{fmt, future::Future, io, net::IpAddr, sync::Arc};

use aioduct_core::{Alpn, Connector, Error, ErrorKind};
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::{TlsConnector, client::TlsStream};
use rustls::{ClientConfig, HandshakeKind, client::ClientConnection};
use rustls_pki_types::{DnsName, ServerName};

use crate::{Certificate, TlsConfigBuilder, TlsLayer, TlsVersion, builder::alpn_ids, san};

/// A TLS client configuration, built once and cheap to clone.
///
/// It holds the trusted roots, the optional client identity, the protocol settings and the
/// session cache; clones share all of them (an `Arc` inside). Use it as a [`Connector`] layer
/// through [`layer`](Self::layer), or run a [`handshake`](Self::handshake) over any stream, as a
/// proxy connector does for TLS to an `https` proxy.
///
/// # Defaults
///
/// TLS 1.2 and 1.3; SNI on; ALPN offers `h2`, then `http/1.1`; sessions are resumed from an
/// in-memory cache of 256 entries keyed by server name, private to this connector and its clones.
///
/// ```
/// use aioduct_tls::RustlsConnector;
///
/// # #[cfg(feature = "webpki-roots")] {
/// let tls = RustlsConnector::with_webpki_roots();
/// assert_eq!(tls.alpn_protocols(), [b"h2".to_vec(), b"http/1.1".to_vec()]);
/// # }
/// ```
#[derive(Clone)]
pub struct RustlsConnector {
    config: Arc<ClientConfig>,
}

impl RustlsConnector {
    /// Trusts Mozilla's root certificates (the `webpki-roots` crate), with the defaults.
    #[cfg(feature = "webpki-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webpki-roots")))]
    pub fn with_webpki_roots() -> Self {
        RustlsConnector::builder()
            .with_webpki_roots()
            .build()
            .expect("the bundled roots and default settings always build")
    }

    /// Trusts the operating system's certificate store, with the defaults.
    ///
    /// Certificates that fail to load are skipped. With none at all the connector still builds,
    /// and its handshakes fail with an unknown-issuer TLS error.
    #[cfg(feature = "native-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "native-roots")))]
    pub fn with_native_roots() -> Self {
        RustlsConnector::builder()
            .with_native_roots()
            .build()
            .expect("native roots and default settings always build")
    }

    /// Trusts Mozilla's root certificates and `extra` (such as a private CA), with the defaults.
    ///
    /// Certificates that are not valid DER are skipped; use
    /// [`TlsConfigBuilder::with_extra_roots`] to get an error for them instead.
    #[cfg(feature = "webpki-roots")]
    #[cfg_attr(docsrs, doc(cfg(feature = "webpki-roots")))]
    pub fn with_extra_roots(extra: &[Certificate]) -> Self {
        RustlsConnector::builder()
            .with_webpki_roots()
            .with_extra_roots(extra)
            .skip_invalid_roots()
            .build()
            .expect("parsable roots and default settings always build")
    }

    /// Accepts any server certificate, with the other defaults.
    ///
    /// # Danger
    ///
    /// See [`TlsConfigBuilder::danger_accept_invalid_certs`]: anyone on the path can impersonate
    /// any server. For tests only.
    pub fn danger_accept_invalid_certs() -> Self {
        RustlsConnector::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .expect("default settings always build")
    }

    /// A builder for every other configuration: roots, client identity, versions, SNI, ALPN.
    pub fn builder() -> TlsConfigBuilder {
        TlsConfigBuilder::new()
    }

    /// Uses a rustls configuration made elsewhere (the escape hatch).
    ///
    /// The configuration is used as it is: its ALPN list is not changed, so one without ALPN
    /// makes every connection HTTP/1.1 (set `alpn_protocols` to `[b"h2", b"http/1.1"]`, or call
    /// [`with_alpn`](Self::with_alpn), for HTTP/2), and its own crypto provider, verifier,
    /// resumption and SNI settings apply. This is the only place rustls's types appear in this
    /// crate's API, together with [`client_config`](Self::client_config) and [`TlsStream`].
    pub fn from_config(config: Arc<ClientConfig>) -> Self {
        RustlsConnector { config }
    }

    /// The rustls configuration, for transports that run rustls themselves (such as QUIC).
    ///
    /// The other side of the [`from_config`](Self::from_config) escape hatch.
    pub fn client_config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// The ALPN protocol ids offered, most preferred first (such as `h2`, `http/1.1`).
    pub fn alpn_protocols(&self) -> &[Vec<u8>] {
        &self.config.alpn_protocols
    }

    /// A connector like this one but offering other HTTP versions by ALPN.
    ///
    /// Roots, identity and the session cache stay shared. Useful for an `http/1.1`-only tunnel
    /// to a proxy, or a client limited to one HTTP version.
    pub fn with_alpn(&self, http1: bool, http2: bool) -> Self {
        let mut config = ClientConfig::clone(&self.config);
        config.alpn_protocols = alpn_ids(http1, http2);
        RustlsConnector::from_config(Arc::new(config))
    }

    /// Runs a TLS handshake as a client over `io`, for the host `server_name`.
    ///
    /// `server_name` is a DNS name, or an IP address (IPv6 with or without brackets): IP
    /// addresses are verified against the certificate's IP address entries and never sent as
    /// SNI. The returned future owns what it needs, so it does not borrow `self`. It has no
    /// timeout of its own: a server that never answers leaves it pending.
    ///
    /// # Errors
    ///
    /// Kind builder for a `server_name` that is neither a DNS name nor an IP address; kind TLS
    /// when the handshake fails (the rustls error, or the I/O error, is the source).
    pub fn handshake<Io>(
        &self,
        server_name: &str,
        io: Io,
    ) -> impl Future<Output = Result<(TlsStream<Io>, TlsInfo), Error>> + use<Io>
    where
        Io: AsyncRead + AsyncWrite + Unpin,
    {
        let name = server_name_of(server_name);
        let handshake = name.map(|name| self.handshake_to(name, io));
        async move { handshake?.await }
    }

    /// Wraps `inner` so that `https` and `wss` destinations get TLS (see [`TlsLayer`]).
    pub fn layer<C: Connector>(&self, inner: C) -> TlsLayer<C> {
        TlsLayer::new(inner, self.clone())
    }

    pub(crate) fn handshake_to<Io>(
        &self,
        name: ServerName<'static>,
        io: Io,
    ) -> impl Future<Output = Result<(TlsStream<Io>, TlsInfo), Error>> + use<Io>
    where
        Io: AsyncRead + AsyncWrite + Unpin,
    {
        let connect = TlsConnector::from(self.config.clone()).connect(name, io);
        async move {
            let stream = connect.await.map_err(handshake_error)?;
            let info = TlsInfo::of(&stream);
            Ok((stream, info))
        }
    }
}

impl fmt::Debug for RustlsConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alpn: Vec<_> = self
            .config
            .alpn_protocols
            .iter()
            .map(|id| String::from_utf8_lossy(id))
            .collect();
        f.debug_struct("RustlsConnector")
            .field("alpn", &alpn)
            .field("sni", &self.config.enable_sni)
            .field(
                "client_auth",
                &self.config.client_auth_cert_resolver.has_certs(),
            )
            .finish_non_exhaustive()
    }
}

/// What a TLS handshake negotiated.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The application protocol agreed by ALPN; [`Alpn::None`] when the server chose none.
    pub alpn: Alpn,
    /// The DNS names of the server certificate's subjectAltName, lower-cased, wildcards as
    /// written; the input of connection coalescing.
    pub peer_names: Arc<[String]>,
    /// The server's end-entity certificate.
    pub peer_certificate: Option<Certificate>,
    /// The TLS version in use.
    pub version: Option<TlsVersion>,
    /// True when the session was resumed from the session cache.
    pub resumed: bool,
}

impl TlsInfo {
    /// Reads what the handshake of `stream` negotiated.
    pub fn of<Io>(stream: &TlsStream<Io>) -> Self {
        Self::of_connection(stream.get_ref().1)
    }

    fn of_connection(conn: &ClientConnection) -> Self {
        let leaf = conn.peer_certificates().and_then(|chain| chain.first());
        TlsInfo {
            alpn: conn.alpn_protocol().map_or(Alpn::None, Alpn::from_id),
            peer_names: leaf
                .map(|cert| san::dns_names(cert))
                .unwrap_or_default()
                .into(),
            peer_certificate: leaf.cloned().map(Certificate::from_pki),
            version: conn.protocol_version().and_then(TlsVersion::from_rustls),
            resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
        }
    }
}

/// Parses a URI host or a caller's server name: an IP address (brackets allowed) or a DNS name.
pub(crate) fn server_name_of(host: &str) -> Result<ServerName<'static>, Error> {
    let unbracketed = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    DnsName::try_from(host.to_owned())
        .map(ServerName::DnsName)
        .map_err(|err| {
            Error::msg(
                ErrorKind::Builder,
                format!("invalid TLS server name {host:?}: {err}"),
            )
        })
}

/// Maps a failed handshake to a TLS error whose source is the rustls error when there is one.
fn handshake_error(err: io::Error) -> Error {
    // futures-rustls wraps rustls errors in `io::Error`, whose `source()` would skip the rustls
    // error itself; unwrapping it keeps it downcastable.
    let rustls_error = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .cloned();
    match rustls_error {
        Some(tls) => Error::new(ErrorKind::Tls, Some(tls)),
        None => Error::new(ErrorKind::Tls, Some(err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_accept_dns_names_and_ip_literals() {
        assert!(matches!(
            server_name_of("localhost"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(matches!(
            server_name_of("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name_of("[::1]"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name_of("::1"),
            Ok(ServerName::IpAddress(_))
        ));
    }

    #[test]
    fn invalid_server_names_are_builder_errors() {
        for bad in ["", "exa mple.com", "[::1", "a..b", "[example.com]"] {
            let err = server_name_of(bad).unwrap_err();
            assert!(err.is_builder(), "{bad:?}: {err:?}");
        }
    }

    #[test]
    fn rustls_errors_stay_downcastable() {
        let io = io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError);
        let err = handshake_error(io);
        assert!(err.is_tls());
        let source = std::error::Error::source(&err).unwrap();
        assert_eq!(source.downcast_ref(), Some(&rustls::Error::DecryptError));

        let reset = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        let err = handshake_error(reset);
        assert!(err.is_tls());
        assert!(std::error::Error::source(&err).unwrap().is::<io::Error>());
    }

    #[test]
    fn connector_is_cheap_to_share() {
        fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
        assert_send_sync_clone::<RustlsConnector>();
        assert_eq!(
            std::mem::size_of::<RustlsConnector>(),
            std::mem::size_of::<usize>()
        );
    }
}
