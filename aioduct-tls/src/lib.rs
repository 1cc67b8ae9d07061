//! The rustls TLS layer of aioduct.
//!
//! [`RustlsConnector`] is a TLS client configuration, built once and shared by clones. Its
//! [`layer`](RustlsConnector::layer) wraps any [`Connector`](aioduct_core::Connector) into a
//! [`TlsLayer`] that runs TLS for `https` and `wss` destinations and passes `http` and `ws`
//! through, returning a [`MaybeTls`] stream and filling in the negotiated ALPN protocol, the
//! certificate's DNS names (for connection coalescing) and the handshake time.
//! [`handshake`](RustlsConnector::handshake) runs TLS over any stream, for layers such as an
//! `https` proxy tunnel.
//!
//! Defaults: TLS 1.2 and 1.3, SNI on, ALPN offering `h2` then `http/1.1`, session resumption
//! from an in-memory cache keyed by server name. [`TlsConfigBuilder`] changes any of them, and
//! adds roots, a client identity for mutual TLS, or (for tests) acceptance of any certificate.
//!
//! ```
//! use std::future::Future;
//! use aioduct_core::{Connected, Connector, Error, http::Uri};
//! use aioduct_tls::{Certificate, RustlsConnector, TlsVersion};
//!
//! // The connector below TLS: normally the runtime's TCP connector.
//! struct Tcp;
//!
//! impl Connector for Tcp {
//!     type Io = futures_lite::io::Cursor<Vec<u8>>;
//!
//!     fn connect(&self, _dst: Uri) -> impl Future<Output = Result<Connected<Self::Io>, Error>> {
//!         async { Ok(Connected::new(futures_lite::io::Cursor::new(Vec::new()))) }
//!     }
//! }
//!
//! # fn main() -> Result<(), Error> {
//! # let ca_pem = rcgen::generate_simple_self_signed(vec!["ca".into()]).unwrap().cert.pem();
//! let tls = RustlsConnector::builder()
//!     .add_root_certificate(Certificate::from_pem(ca_pem.as_bytes())?)
//!     .min_tls_version(TlsVersion::Tls12)
//!     .build()?;
//! let connector = tls.layer(Tcp);
//! # let _ = connector;
//! # Ok(()) }
//! ```
//!
//! # Features
//!
//! - `ring` (default) or `aws-lc-rs`: the crypto provider. Exactly one must be enabled.
//! - `webpki-roots` (default): Mozilla's roots compiled in, for
//!   `RustlsConnector::with_webpki_roots`.
//! - `native-roots`: the operating system's store, for `RustlsConnector::with_native_roots`.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod cert;
mod connector;
mod danger;
mod layer;
mod provider;
mod san;

pub use builder::{TlsConfigBuilder, TlsVersion};
pub use cert::{Certificate, Identity};
pub use connector::{RustlsConnector, TlsInfo};
pub use layer::{MaybeTls, TlsLayer};

/// The TLS stream over `Io`, from `futures-rustls`.
pub use futures_rustls::client::TlsStream;
