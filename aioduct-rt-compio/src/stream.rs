//! compio's completion-based TCP stream seen through the poll-based futures-io traits.

use std::{
    io::{self, IoSlice},
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
};

use compio::{io::compat::AsyncStream, net::TcpStream};
use futures_io::{AsyncRead, AsyncWrite};

/// Bytes each read asks the driver for, and the size the write buffer starts at.
const BUFFER_CAPACITY: usize = 16 * 1024;

/// The most bytes one write may queue before they must be flushed. A large body chunk is then
/// accepted in parts of this size instead of being copied whole into the write buffer.
const MAX_BUFFERED: usize = 256 * 1024;

/// A connected compio TCP stream, readable and writable through [`futures_io`].
///
/// io_uring completes operations on buffers it owns, while futures-io lends a buffer for the
/// duration of one poll. compio-io's adapter ([`compio::io::compat::AsyncStream`]) bridges the
/// two with a read buffer and a write buffer of its own, so:
///
/// - a read is served from the read buffer, which one driver `recv` refills when it runs dry;
/// - **writes are buffered**, like a `BufWriter`: bytes reach the socket when the buffer fills,
///   on [`poll_flush`](AsyncWrite::poll_flush), or on [`poll_close`](AsyncWrite::poll_close)
///   (which flushes, then shuts down the write side). hyper and rustls flush after every message.
///
/// The stream is `!Send`: it belongs to the thread whose compio runtime opened it.
#[derive(Debug)]
pub struct CompioStream {
    // The adapter is self-referential while an operation is in flight (`!Unpin`); the box gives
    // it a fixed address so that this stream can be `Unpin`, as `Runtime::TcpStream` requires.
    inner: Pin<Box<AsyncStream<TcpStream>>>,
}

impl CompioStream {
    /// Wraps a connected compio stream.
    ///
    /// ```
    /// use aioduct_rt_compio::CompioStream;
    /// use compio::net::{TcpListener, TcpStream};
    ///
    /// compio::runtime::Runtime::new().unwrap().block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let stream = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let stream = CompioStream::new(stream);
    ///     assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    /// });
    /// ```
    pub fn new(stream: TcpStream) -> Self {
        CompioStream {
            inner: Box::pin(AsyncStream::with_limits(
                BUFFER_CAPACITY,
                MAX_BUFFERED,
                stream,
            )),
        }
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.as_compio().peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.as_compio().local_addr()
    }

    /// The compio stream inside, for socket options not covered by aioduct.
    ///
    /// Reading or writing through it directly would bypass the buffers described above and
    /// interleave bytes unpredictably; use it for socket options and addresses.
    pub fn as_compio(&self) -> &TcpStream {
        // Both halves of the adapter are clones of the same socket.
        self.inner.get_ref().0
    }
}

// SAFETY: the default method, which initializes what it reads into. Reads are copies out of
// compio's own buffer, which io_uring fills.
unsafe impl aioduct_core::io::ReadUninit for CompioStream {}

impl AsyncRead for CompioStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.as_mut().poll_read(cx, buf)
    }
}

impl AsyncWrite for CompioStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.inner.as_mut().poll_write(cx, buf)
    }

    /// Copies as many of `bufs` as fit into the write buffer in one call.
    ///
    /// The adapter only has single-buffer writes, and futures-io's default would take the first
    /// slice alone; hyper hands over head and body as separate slices, so gathering them here
    /// saves a round of polls per message.
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut written = 0;
        for buf in bufs.iter().filter(|buf| !buf.is_empty()) {
            match self.inner.as_mut().poll_write(cx, buf) {
                Poll::Ready(Ok(n)) => {
                    written += n;
                    if n < buf.len() {
                        break;
                    }
                }
                // Bytes already accepted must be reported. The flush that failed or is still in
                // flight is retried by the next write or flush, which then reports its outcome.
                Poll::Ready(Err(_)) | Poll::Pending if written > 0 => break,
                other => return other,
            }
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_close(cx)
    }
}
