//! The I/O traits byte streams implement: futures-io's pair, and [`ReadUninit`].

use std::{
    io,
    mem::MaybeUninit,
    pin::Pin,
    task::{Context, Poll},
};

pub use futures_io::{AsyncRead, AsyncWrite};

/// A stream that can read into memory that was never initialized.
///
/// futures-io reads into `&mut [u8]`, so a caller holding spare capacity (hyper's read buffer)
/// must zero it first; for a large read that costs as much as the read. A stream that can fill
/// uninitialized memory itself (a socket through `recv`, tokio's `ReadBuf`) overrides
/// [`poll_read_uninit`](ReadUninit::poll_read_uninit); the default zeroes and calls
/// [`AsyncRead::poll_read`].
///
/// # Safety
///
/// An implementation that overrides `poll_read_uninit` must return `Ok(n)` only when the first
/// `n` bytes of `buf` are initialized (`n <= buf.len()`): callers treat them as such.
///
/// ```
/// use aioduct_core::io::ReadUninit;
///
/// // A stream for which the default (zero, then read) is right.
/// struct Bytes(futures_lite::io::Cursor<Vec<u8>>);
/// # impl futures_io::AsyncRead for Bytes {
/// #     fn poll_read(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &mut [u8])
/// #         -> std::task::Poll<std::io::Result<usize>> {
/// #         std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
/// #     }
/// # }
///
/// // SAFETY: the default method initializes what it reads into.
/// unsafe impl ReadUninit for Bytes {}
/// ```
pub unsafe trait ReadUninit: AsyncRead {
    /// Reads into `buf`, which may be uninitialized; `Ok(n)` means `buf[..n]` now holds data.
    fn poll_read_uninit(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [MaybeUninit<u8>],
    ) -> Poll<io::Result<usize>> {
        poll_read_zeroed(self, cx, buf)
    }

    /// Whether [`poll_read_uninit`](ReadUninit::poll_read_uninit) zeroes what it is offered
    /// before reading (the default does). A caller offers such a stream only what it expects to
    /// be filled; a stream that reads straight into uninitialized memory is offered all it has.
    fn zeroes_reads(&self) -> bool {
        true
    }
}

/// Zeroes `buf`, then reads into it with [`AsyncRead::poll_read`]: the default
/// [`ReadUninit::poll_read_uninit`], for streams that cannot do better (TLS, say).
///
/// `Ok(n)` is at most `buf.len()`, and `buf[..n]` holds the data.
pub fn poll_read_zeroed<S: AsyncRead + ?Sized>(
    stream: Pin<&mut S>,
    cx: &mut Context<'_>,
    buf: &mut [MaybeUninit<u8>],
) -> Poll<io::Result<usize>> {
    buf.fill(MaybeUninit::new(0));
    // SAFETY: every byte of `buf` was just initialized, and `MaybeUninit<u8>` has the layout
    // of `u8`.
    let buf = unsafe { &mut *(buf as *mut [MaybeUninit<u8>] as *mut [u8]) };
    let n = std::task::ready!(stream.poll_read(cx, buf))?;
    Poll::Ready(Ok(n.min(buf.len())))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Cursor(futures_lite::io::Cursor<Vec<u8>>);

    impl AsyncRead for Cursor {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    // SAFETY: the default method.
    unsafe impl ReadUninit for Cursor {}

    #[test]
    fn the_default_reads_into_uninitialized_memory() {
        let mut stream = Cursor(futures_lite::io::Cursor::new(b"hello".to_vec()));
        let mut buf = [MaybeUninit::<u8>::uninit(); 16];
        let n = futures_lite::future::block_on(std::future::poll_fn(|cx| {
            Pin::new(&mut stream).poll_read_uninit(cx, &mut buf)
        }))
        .unwrap();
        assert_eq!(n, 5);
        // SAFETY: the first `n` bytes were read into.
        let read: Vec<u8> = buf[..n]
            .iter()
            .map(|b| unsafe { b.assume_init() })
            .collect();
        assert_eq!(read, b"hello");
    }
}
