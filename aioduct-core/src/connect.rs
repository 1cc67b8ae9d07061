use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use futures_io::{AsyncRead, AsyncWrite};
use http::Uri;

use crate::Error;

/// Opens connections: turns a destination URI into a connected byte stream.
///
/// # What it is for
///
/// Connectors layer. The facade's TCP connector (DNS, Happy Eyeballs, socket options) is wrapped
/// by a proxy tunnel, which is wrapped by TLS; a user can insert a layer of their own anywhere.
/// Each layer calls the one below and adds what it learned to [`ConnectionInfo`].
///
/// # How to implement it
///
/// Hold the inner connector, call it, then wrap its stream. The method returns `impl Future`, so a
/// connector on the hot path costs no boxing; the future is `Send` when your code's is. Report
/// failures as an [`Error`] of the right kind (`Connect`, `Dns`, `Tls`, `Proxy`).
///
/// # Example
///
/// A layer that counts the connections made through it:
///
/// ```
/// use std::{future::Future, sync::{Arc, atomic::{AtomicUsize, Ordering}}};
/// use aioduct_core::{Connected, Connector, Error, http::Uri};
///
/// struct Counting<C> {
///     inner: C,
///     made: Arc<AtomicUsize>,
/// }
///
/// impl<C: Connector> Connector for Counting<C> {
///     type Io = C::Io;
///
///     fn connect(&self, dst: Uri) -> impl Future<Output = Result<Connected<C::Io>, Error>> {
///         self.made.fetch_add(1, Ordering::Relaxed);
///         self.inner.connect(dst)
///     }
/// }
/// ```
pub trait Connector: Send + Sync + 'static {
    /// The connected stream.
    type Io: AsyncRead + AsyncWrite + Unpin + 'static;

    /// Connects to the origin (or proxy) that serves `dst`.
    fn connect(&self, dst: Uri) -> impl Future<Output = Result<Connected<Self::Io>, Error>>;
}

/// A connected stream and what is known about the connection.
#[derive(Debug)]
pub struct Connected<Io> {
    /// The byte stream.
    pub io: Io,
    /// What the connection negotiated and how long it took.
    pub info: ConnectionInfo,
}

impl<Io> Connected<Io> {
    /// A connection with default information (HTTP/1.1, no TLS, no proxy).
    pub fn new(io: Io) -> Self {
        Connected {
            io,
            info: ConnectionInfo::default(),
        }
    }

    /// Replaces the stream, keeping the information; used by layers that wrap the stream.
    pub fn map<T>(self, wrap: impl FnOnce(Io) -> T) -> Connected<T> {
        Connected {
            io: wrap(self.io),
            info: self.info,
        }
    }
}

/// What a connection negotiated.
///
/// ```
/// use aioduct_core::{Alpn, ConnectionInfo};
///
/// let info = ConnectionInfo::default();
/// assert_eq!(info.alpn, Alpn::None);
/// assert!(!info.proxied);
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ConnectionInfo {
    /// The application protocol agreed by ALPN.
    pub alpn: Alpn,
    /// The peer's address.
    pub remote_addr: Option<SocketAddr>,
    /// Our side's address.
    pub local_addr: Option<SocketAddr>,
    /// DNS names in the peer certificate's subjectAltName, for connection coalescing.
    pub peer_names: Option<Arc<[String]>>,
    /// True when the stream runs through a proxy.
    pub proxied: bool,
    /// Time spent resolving the host name.
    pub dns_time: Option<Duration>,
    /// Time spent opening the TCP connection.
    pub connect_time: Option<Duration>,
    /// Time spent in the TLS handshake.
    pub tls_time: Option<Duration>,
}

/// An application protocol negotiated by ALPN.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Alpn {
    /// Nothing negotiated (plain TCP, or a server without ALPN): HTTP/1.1 unless configured.
    #[default]
    None,
    /// `http/1.1`.
    Http1,
    /// `h2`.
    Http2,
    /// `h3` (QUIC).
    Http3,
}

impl Alpn {
    /// Reads an ALPN protocol id.
    pub fn from_id(id: &[u8]) -> Self {
        match id {
            b"h2" => Alpn::Http2,
            b"http/1.1" => Alpn::Http1,
            b"h3" => Alpn::Http3,
            _ => Alpn::None,
        }
    }
}
