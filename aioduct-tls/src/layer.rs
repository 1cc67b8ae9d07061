//! [`TlsLayer`]: the [`Connector`] that adds TLS, and [`MaybeTls`], the stream it returns.

use std::{
    io::{self, IoSlice, IoSliceMut},
    mem::MaybeUninit,
    pin::Pin,
    task::{Context, Poll},
    time::Instant,
};

use aioduct_core::{
    Connected, Connector, Error, ErrorKind,
    http::Uri,
    io::{ReadUninit, poll_read_zeroed},
};
use futures_io::{AsyncRead, AsyncWrite};
use futures_rustls::client::TlsStream;

use crate::{RustlsConnector, TlsInfo, connector::server_name_of};

/// A [`Connector`] that runs TLS over the streams of an inner connector.
///
/// For `https` and `wss` destinations it connects through the inner connector, then runs the
/// handshake for the destination's host: a DNS name is sent as SNI (unless turned off) and
/// checked against the certificate; an IP literal is checked against the certificate's IP
/// addresses and never sent. It fills in [`ConnectionInfo`](aioduct_core::ConnectionInfo)'s
/// `alpn`, `peer_names` and `tls_time`. Other schemes (`http`, `ws`) pass through unchanged as
/// [`MaybeTls::Plain`].
///
/// Made by [`RustlsConnector::layer`].
#[derive(Debug, Clone)]
pub struct TlsLayer<C> {
    inner: C,
    tls: RustlsConnector,
}

impl<C> TlsLayer<C> {
    /// Wraps `inner` with the TLS configuration `tls`.
    pub fn new(inner: C, tls: RustlsConnector) -> Self {
        TlsLayer { inner, tls }
    }

    /// The inner connector.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The TLS configuration.
    pub fn tls(&self) -> &RustlsConnector {
        &self.tls
    }
}

impl<C: Connector> Connector for TlsLayer<C> {
    type Io = MaybeTls<C::Io>;

    async fn connect(&self, dst: Uri) -> Result<Connected<Self::Io>, Error> {
        if !is_secure(&dst) {
            return Ok(self.inner.connect(dst).await?.map(MaybeTls::Plain));
        }
        // The name is checked before connecting, so a bad one costs no connection.
        let host = dst
            .host()
            .ok_or_else(|| Error::msg(ErrorKind::Builder, "URL has no host to verify"))?;
        let name = server_name_of(host)?;

        let Connected { io, mut info } = self.inner.connect(dst).await?;
        let start = Instant::now();
        let (stream, tls) = self.tls.handshake_to(name, io).await?;
        info.tls_time = Some(start.elapsed());
        info.alpn = tls.alpn;
        info.peer_names = Some(tls.peer_names);
        Ok(Connected {
            io: MaybeTls::Tls(Box::new(stream)),
            info,
        })
    }
}

fn is_secure(dst: &Uri) -> bool {
    dst.scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss"))
}

/// A stream that is either plain or TLS, as returned by [`TlsLayer`].
///
/// It reads and writes like the stream inside, and is `Unpin` when `Io` is.
#[derive(Debug)]
pub enum MaybeTls<Io> {
    /// A stream without TLS (an `http` or `ws` destination).
    Plain(Io),
    /// A TLS stream over `Io`.
    Tls(Box<TlsStream<Io>>),
}

impl<Io> MaybeTls<Io> {
    /// True for a TLS stream.
    pub fn is_tls(&self) -> bool {
        matches!(self, MaybeTls::Tls(_))
    }

    /// What the TLS handshake negotiated, for a TLS stream.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        match self {
            MaybeTls::Plain(_) => None,
            MaybeTls::Tls(stream) => Some(TlsInfo::of(stream)),
        }
    }

    /// The underlying stream (below TLS, for a TLS stream).
    pub fn get_ref(&self) -> &Io {
        match self {
            MaybeTls::Plain(io) => io,
            MaybeTls::Tls(stream) => stream.get_ref().0,
        }
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncRead for MaybeTls<Io> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_read(cx, buf),
            MaybeTls::Tls(stream) => Pin::new(&mut **stream).poll_read(cx, buf),
        }
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_read_vectored(cx, bufs),
            MaybeTls::Tls(stream) => Pin::new(&mut **stream).poll_read_vectored(cx, bufs),
        }
    }
}

// SAFETY: a plain stream reads as the stream inside does (whose `ReadUninit` promises the
// same); a TLS stream takes the default, which initializes what it reads into.
unsafe impl<Io: AsyncRead + AsyncWrite + ReadUninit + Unpin> ReadUninit for MaybeTls<Io> {
    fn poll_read_uninit(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_read_uninit(cx, buf),
            MaybeTls::Tls(stream) => poll_read_zeroed(Pin::new(&mut **stream), cx, buf),
        }
    }

    fn zeroes_reads(&self) -> bool {
        match self {
            MaybeTls::Plain(io) => io.zeroes_reads(),
            MaybeTls::Tls(_) => true,
        }
    }
}

impl<Io: AsyncRead + AsyncWrite + Unpin> AsyncWrite for MaybeTls<Io> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_write(cx, buf),
            MaybeTls::Tls(stream) => Pin::new(&mut **stream).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            MaybeTls::Tls(stream) => Pin::new(&mut **stream).poll_write_vectored(cx, bufs),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_flush(cx),
            MaybeTls::Tls(stream) => Pin::new(&mut **stream).poll_flush(cx),
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTls::Plain(io) => Pin::new(io).poll_close(cx),
            MaybeTls::Tls(stream) => Pin::new(&mut **stream).poll_close(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_wss_get_tls() {
        for (uri, secure) in [
            ("https://example.com/", true),
            ("HTTPS://example.com/", true),
            ("wss://example.com/", true),
            ("http://example.com/", false),
            ("ws://example.com/", false),
            ("/relative", false),
        ] {
            assert_eq!(is_secure(&uri.parse().unwrap()), secure, "{uri}");
        }
    }

    #[test]
    fn maybe_tls_is_unpin_for_unpin_streams() {
        fn assert_unpin<T: Unpin>() {}
        assert_unpin::<MaybeTls<std::io::Cursor<Vec<u8>>>>();
    }
}
