//! Presents a futures-io stream to hyper as `hyper::rt::Read + Write`.

use std::{
    io::{self, IoSlice},
    pin::Pin,
    task::{Context, Poll, ready},
};

use aioduct_core::io::ReadUninit;
use futures_io::AsyncWrite;
use hyper::rt::ReadBufCursor;

/// The most bytes offered to one read of a stream that needs initialized memory: it bounds the
/// bounce buffer; 64 KiB per read keeps large downloads at full speed.
const MAX_READ: usize = 64 * 1024;

/// The fewest bytes offered to one read: a small response head and body in one read.
const MIN_READ: usize = 4 * 1024;

/// A futures-io stream seen by hyper.
///
/// Reads go through [`ReadUninit`]: plain TCP on tokio and smol reads straight into hyper's
/// uninitialized buffer, all of it. Other streams (TLS, compio's) need initialized memory: they
/// read into a buffer of this connection's own, zeroed once as it grows and reused, and what
/// arrived is copied to hyper, so a small read costs a copy of its bytes rather than the zeroing
/// of everything offered. Their offer follows the traffic: it doubles while reads fill it and
/// falls back towards what arrives when reads keep returning less than half of it (4 to 64 KiB).
#[derive(Debug)]
pub(crate) struct HyperIo<T> {
    inner: T,
    offer: usize,
    /// The last read returned less than half the offer: one more, and the offer shrinks.
    short: bool,
    /// Initialized memory for streams that cannot read into uninitialized memory.
    bounce: Vec<u8>,
}

impl<T> HyperIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        HyperIo {
            inner,
            offer: MIN_READ,
            short: false,
            bounce: Vec::new(),
        }
    }

    /// The next offer, after a read of `n` bytes out of `offered`: twice as much after a read
    /// that filled it, what arrived (rounded up) after two reads in a row that returned less than
    /// half of it. Shrinking at the first short read split every 16 KiB TLS record into two
    /// reads of 8 KiB, each a round through hyper: the rest of a record after an offer of 8 KiB
    /// shrank the offer back to 8 KiB.
    fn adapt(&mut self, n: usize, offered: usize) {
        if n == offered {
            self.offer = (offered * 2).min(MAX_READ);
            self.short = false;
        } else if n < offered / 2 {
            if self.short {
                self.offer = n.next_power_of_two().clamp(MIN_READ, MAX_READ);
            }
            self.short = !self.short;
        } else {
            self.short = false;
        }
    }
}

impl<T: ReadUninit + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // SAFETY: nothing here de-initializes bytes; the stream, or the copy below, only writes
        // into them.
        let spare = unsafe { buf.as_mut() };
        let n = if this.inner.zeroes_reads() {
            let len = spare.len().min(this.offer);
            if this.bounce.len() < len {
                this.bounce.resize(len, 0);
            }
            let n = ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.bounce[..len]))?;
            let n = n.min(len);
            // SAFETY: `bounce[..n]` and `spare[..n]` are valid for `n` bytes (both are at least
            // `len` long) and do not overlap (one is ours, the other hyper's).
            unsafe {
                std::ptr::copy_nonoverlapping(this.bounce.as_ptr(), spare.as_mut_ptr().cast(), n)
            };
            if len > 0 {
                this.adapt(n, len);
            }
            n
        } else {
            // All of hyper's buffer, which it grows while reads fill it: a body that arrived
            // whole is handed on as one frame, and a download makes as few reads (and frames)
            // as hyper-util's client. A 64 KiB cap forced at least 16,384 reads per GiB: a plain
            // 1 GiB download took 2.9x the client CPU (`perf stat`, median of 10 pairs: 801 ms
            // against 272 ms).
            let len = spare.len();
            let n = ready!(Pin::new(&mut this.inner).poll_read_uninit(cx, spare))?;
            n.min(len)
        };
        // SAFETY: the first `n` bytes were written: copied above, or by a stream that
        // `ReadUninit` promises wrote what it reports.
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
    fn the_offer_grows_while_reads_fill_it_and_shrinks_to_what_keeps_arriving() {
        let mut io = HyperIo::new(());
        let mut offers = Vec::new();
        for _ in 0..6 {
            let offered = io.offer;
            io.adapt(offered, offered);
            offers.push(io.offer);
        }
        assert_eq!(offers, [8192, 16384, 32768, 65536, 65536, 65536]);
        io.adapt(300, 65536);
        assert_eq!(io.offer, 65536, "one small read is not a trend");
        io.adapt(300, 65536);
        assert_eq!(io.offer, MIN_READ, "two in a row bring the offer down");
        io.adapt(4096, 4096);
        io.adapt(8192, 8192);
        io.adapt(10_000, 16384);
        assert_eq!(io.offer, 16384, "more than half of the offer keeps it");
    }

    #[test]
    fn records_of_16_kib_are_read_whole_once_the_offer_has_grown() {
        // A TLS stream hands out 16 KiB records: the rest of a record that an offer of 8 KiB
        // split must not bring the offer back to 8 KiB.
        let mut io = HyperIo::new(());
        io.offer = 8192;
        let mut waiting = 0;
        let mut reads = Vec::new();
        for _ in 0..12 {
            if waiting == 0 {
                waiting = 16384;
            }
            let n = waiting.min(io.offer);
            reads.push(n);
            io.adapt(n, io.offer);
            waiting -= n;
        }
        assert!(reads[4..].iter().all(|&n| n == 16384), "{reads:?}");
    }

    /// A stream that needs initialized memory (the default `ReadUninit`), as TLS does.
    struct Zeroing(futures_lite::io::Cursor<Vec<u8>>);

    impl futures_io::AsyncRead for Zeroing {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    // SAFETY: the default method; reads go into initialized memory.
    unsafe impl ReadUninit for Zeroing {}

    #[test]
    fn a_zeroing_stream_reads_through_the_bounce_buffer_intact() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut io = HyperIo::new(Zeroing(futures_lite::io::Cursor::new(data.clone())));
        let mut read = Vec::new();
        let mut storage = vec![std::mem::MaybeUninit::<u8>::uninit(); 100_000];
        loop {
            let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
            let polled = futures_lite::future::block_on(std::future::poll_fn(|cx| {
                hyper::rt::Read::poll_read(Pin::new(&mut io), cx, buf.unfilled())
            }));
            polled.unwrap();
            if buf.filled().is_empty() {
                break;
            }
            read.extend_from_slice(buf.filled());
        }
        assert_eq!(read, data);
        // Full reads grew the offer, and the bounce buffer with it, up to the cap.
        assert_eq!(io.bounce.len(), MAX_READ);
    }
}
