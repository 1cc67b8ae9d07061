//! Presents a futures-io stream to hyper as `hyper::rt::Read + Write`.

use std::{
    io::{self, IoSlice},
    pin::Pin,
    task::{Context, Poll},
};

use aioduct_core::io::ReadUninit;
use futures_io::AsyncWrite;
use hyper::rt::ReadBufCursor;

/// The most bytes offered to one read. hyper hands out its whole spare buffer, which futures-io
/// wants initialized; bounding it bounds the zeroing, and 64 KiB per read keeps large downloads
/// at full speed.
const MAX_READ: usize = 64 * 1024;

/// The fewest bytes offered to one read: a small response head and body in one read.
const MIN_READ: usize = 4 * 1024;

/// A futures-io stream seen by hyper.
///
/// Reads go through [`ReadUninit`]: plain TCP on tokio and smol reads straight into hyper's
/// uninitialized buffer, all of it; other streams (TLS, compio's) zero the part offered first, so
/// for them the offer follows the traffic: it doubles while reads fill it and falls back towards what the last read
/// returned. Small exchanges zero a few KiB per read instead of 64 KiB; a download still reads
/// 64 KiB at a time.
#[derive(Debug)]
pub(crate) struct HyperIo<T> {
    inner: T,
    offer: usize,
}

impl<T> HyperIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        HyperIo {
            inner,
            offer: MIN_READ,
        }
    }

    /// The next offer, after a read of `n` bytes out of `offered`.
    fn adapt(&mut self, n: usize, offered: usize) {
        self.offer = if n == offered {
            (offered * 2).min(MAX_READ)
        } else {
            n.next_power_of_two().clamp(MIN_READ, MAX_READ)
        };
    }
}

impl<T: ReadUninit + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: nothing here de-initializes bytes; the stream only writes into them.
        let spare = unsafe { buf.as_mut() };
        // A stream that reads into uninitialized memory gets hyper's whole buffer: a body that
        // arrived whole is then handed on as one frame, with nothing to gather.
        let len = if self.inner.zeroes_reads() {
            spare.len().min(self.offer)
        } else {
            spare.len()
        };
        let n = match Pin::new(&mut self.inner).poll_read_uninit(cx, &mut spare[..len]) {
            Poll::Ready(Ok(n)) => n.min(len),
            Poll::Ready(Err(err)) => return Poll::Ready(Err(err)),
            Poll::Pending => return Poll::Pending,
        };
        if len > 0 {
            self.adapt(n, len);
        }
        // SAFETY: `ReadUninit` promises that the first `n` bytes it reports were written.
        unsafe { buf.advance(n) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }

    fn is_write_vectored(&self) -> bool {
        // futures-io has no way to ask; every stream we wrap (TCP, rustls) handles vectored
        // writes at least as well as single ones.
        true
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offer_grows_while_reads_fill_it_and_shrinks_to_what_arrives() {
        let mut io = HyperIo::new(());
        let mut offers = Vec::new();
        for _ in 0..6 {
            let offered = io.offer;
            io.adapt(offered, offered);
            offers.push(io.offer);
        }
        assert_eq!(offers, [8192, 16384, 32768, 65536, 65536, 65536]);
        io.adapt(300, 65536);
        assert_eq!(io.offer, MIN_READ, "a small read brings the offer down");
        io.adapt(10_000, 65536);
        assert_eq!(io.offer, 16384);
    }
}
