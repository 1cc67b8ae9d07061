//! The few async I/O steps a handshake needs, written on the futures-io traits so the crate needs
//! no runtime and no extension-trait crate.

use std::{error::Error as StdError, fmt, future::poll_fn, io, pin::Pin};

use aioduct_core::{
    Error, ErrorKind,
    io::{AsyncRead, AsyncWrite},
};

/// Reads what is available, at most `buf.len()` bytes; `Ok(0)` is the end of the stream.
pub(crate) async fn read_some<S>(io: &mut S, buf: &mut [u8]) -> io::Result<usize>
where
    S: AsyncRead + Unpin,
{
    poll_fn(|cx| Pin::new(&mut *io).poll_read(cx, buf)).await
}

/// Fills `buf` completely; a stream that ends first is an `UnexpectedEof` error.
pub(crate) async fn read_exact<S>(io: &mut S, mut buf: &mut [u8]) -> io::Result<()>
where
    S: AsyncRead + Unpin,
{
    while !buf.is_empty() {
        match read_some(io, buf).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Writes all of `buf` and flushes it, so a layer below (TLS) sends it now.
pub(crate) async fn write_all<S>(io: &mut S, mut buf: &[u8]) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    while !buf.is_empty() {
        match poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    poll_fn(|cx| Pin::new(&mut *io).poll_flush(cx)).await
}

/// A proxy error with a plain message.
pub(crate) fn proxy_error(message: impl Into<String>) -> Error {
    Error::msg(ErrorKind::Proxy, message)
}

/// A proxy error for an I/O failure during a handshake, keeping the `io::Error` as the source so
/// `Error::is_timeout` still finds a timeout.
pub(crate) fn handshake_io_error(protocol: &'static str, err: io::Error) -> Error {
    Error::new(ErrorKind::Proxy, Some(HandshakeIo { protocol, err }))
}

/// An I/O error in the middle of a proxy handshake.
#[derive(Debug)]
struct HandshakeIo {
    protocol: &'static str,
    err: io::Error,
}

impl fmt::Display for HandshakeIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.err.kind() == io::ErrorKind::UnexpectedEof {
            write!(
                f,
                "the proxy closed the connection during the {} handshake",
                self.protocol
            )
        } else {
            write!(f, "{} handshake with the proxy failed", self.protocol)
        }
    }
}

impl StdError for HandshakeIo {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.err)
    }
}

#[cfg(test)]
pub(crate) mod script {
    //! An in-memory stream for handshake tests: it reads from a script and records what is
    //! written.

    use std::{
        io,
        pin::Pin,
        task::{Context, Poll},
    };

    use aioduct_core::io::{AsyncRead, AsyncWrite};

    /// Serves `input` to reads, at most `chunk` bytes per read, and keeps every write.
    #[derive(Debug)]
    pub(crate) struct Script {
        input: Vec<u8>,
        pos: usize,
        chunk: usize,
        pub(crate) written: Vec<u8>,
        pub(crate) reads: usize,
    }

    impl Script {
        pub(crate) fn new(input: &[u8]) -> Self {
            Script {
                input: input.to_vec(),
                pos: 0,
                chunk: usize::MAX,
                written: Vec::new(),
                reads: 0,
            }
        }

        /// Serves at most `chunk` bytes per read, as a slow network would.
        pub(crate) fn chunked(mut self, chunk: usize) -> Self {
            self.chunk = chunk;
            self
        }

        /// The bytes no read has taken yet.
        pub(crate) fn unread(&self) -> &[u8] {
            &self.input[self.pos..]
        }
    }

    impl AsyncRead for Script {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            self.reads += 1;
            let n = buf.len().min(self.chunk).min(self.input.len() - self.pos);
            buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
            self.pos += n;
            Poll::Ready(Ok(n))
        }
    }

    impl AsyncWrite for Script {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.written.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }
}
