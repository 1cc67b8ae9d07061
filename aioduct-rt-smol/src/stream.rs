//! The connected TCP stream.

use std::{
    io::{self, IoSlice, IoSliceMut, Read},
    net::{Shutdown, SocketAddr, TcpStream},
    pin::Pin,
    task::{Context, Poll, ready},
};

use async_io::Async;
use futures_io::{AsyncRead, AsyncWrite};

/// A connected TCP stream on async-io's reactor, readable and writable through [`futures_io`].
///
/// It is a thin wrapper around [`Async<TcpStream>`] that differs in two ways:
///
/// - Closing it ([`AsyncWrite::poll_close`]) shuts down the write half, sending FIN, as closing a
///   stream does on every other aioduct runtime. `Async<TcpStream>` only flushes on close.
/// - After a read that did not fill the buffer, the socket is taken to be empty: the next read
///   waits for readiness before asking the kernel, as tokio's streams do. async-io asks first,
///   and hyper polls a connection's read side several times per exchange, so on HTTP/1.1 each
///   request cost five `recvfrom` calls that failed with `WouldBlock`.
#[derive(Debug)]
pub struct SmolStream {
    inner: Async<TcpStream>,
    /// The last read returned less than asked for: wait for readiness before the next one.
    drained: bool,
}

impl SmolStream {
    /// Wraps a connected async-io stream.
    pub fn new(inner: Async<TcpStream>) -> Self {
        SmolStream {
            inner,
            drained: false,
        }
    }

    /// Reads with `read`, which asks for `len` bytes, without blocking: on `WouldBlock`, or when
    /// the last read left the socket empty, it waits for the reactor to report readiness first.
    fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        len: usize,
        mut read: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            if self.drained {
                ready!(self.inner.poll_readable(cx))?;
            }
            match read(self.inner.get_ref()) {
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.drained = true,
                Ok(n) => {
                    self.drained = n > 0 && n < len;
                    return Poll::Ready(Ok(n));
                }
                Err(err) => return Poll::Ready(Err(err)),
            }
        }
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
        let len = buf.len();
        self.poll_read_with(cx, len, |mut stream| stream.read(buf))
    }

    fn poll_read_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        let len = bufs.iter().map(|buf| buf.len()).sum();
        self.poll_read_with(cx, len, |mut stream| stream.read_vectored(bufs))
    }
}

// SAFETY: `recv` (through socket2) reports how many bytes the kernel wrote into `buf`.
unsafe impl aioduct_core::io::ReadUninit for SmolStream {
    fn zeroes_reads(&self) -> bool {
        false
    }

    fn poll_read_uninit(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [std::mem::MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        let len = buf.len();
        self.poll_read_with(cx, len, |stream| socket2::SockRef::from(stream).recv(buf))
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
