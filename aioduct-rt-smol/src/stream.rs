//! The connected TCP stream.

use std::{
    io::{self, IoSlice, IoSliceMut},
    net::{Shutdown, SocketAddr, TcpStream},
    pin::Pin,
    task::{Context, Poll, ready},
};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};

/// A connected TCP stream on async-io's reactor, readable and writable through [`futures_io`].
///
/// It is a thin wrapper around [`Async<TcpStream>`] that differs in one way: closing it
/// ([`AsyncWrite::poll_close`]) shuts down the write half, sending FIN, as closing a stream does on
/// every other aioduct runtime. `Async<TcpStream>` only flushes on close.
#[derive(Debug)]
pub struct SmolStream {
    inner: Async<TcpStream>,
}

impl SmolStream {
    /// Wraps a connected async-io stream.
    pub fn new(inner: Async<TcpStream>) -> Self {
        SmolStream { inner }
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.get_ref().local_addr()
    }

    /// The async-io stream inside, for socket options not covered by aioduct.
    pub fn as_async(&self) -> &Async<TcpStream> {
        &self.inner
    }

    /// The async-io stream inside.
    pub fn into_inner(self) -> Async<TcpStream> {
        self.inner
    }
}

impl AsyncRead for SmolStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }

    fn poll_read_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read_vectored(cx, bufs)
    }
}

// SAFETY: `recv` (through socket2) reports how many bytes the kernel wrote into `buf`.
unsafe impl aioduct_core::io::ReadUninit for SmolStream {
    fn zeroes_reads(&self) -> bool {
        false
    }

    fn poll_read_uninit(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        // async-io's own read loop: try, and wait for readiness only on `WouldBlock`.
        loop {
            match socket2::SockRef::from(self.inner.get_ref()).recv(buf) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                result => return Poll::Ready(result),
            }
            ready!(self.inner.poll_readable(cx))?;
        }
    }
}

impl AsyncWrite for SmolStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(Pin::new(&mut self.inner).poll_flush(cx))?;
        Poll::Ready(self.inner.get_ref().shutdown(Shutdown::Write))
    }
}
