//! Shared by the hyper test and example: hyper's I/O traits over tokio's `TcpStream`, and an
//! in-process HTTP/1.1 server on 127.0.0.1 that counts the connections it accepts.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::Full;
use hyper::rt::ReadBufCursor;
use hyper::service::service_fn;
use hyper::{Request, Response};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};

/// A tokio `TcpStream` seen through hyper's runtime-neutral I/O traits.
pub(crate) struct TokioIo(pub(crate) TcpStream);

impl hyper::rt::Read for TokioIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: tokio's `ReadBuf` only ever writes initialized bytes into the slice it wraps
        // and never de-initializes any, so no initialized byte of hyper's buffer is lost.
        let unfilled = unsafe { buf.as_mut() };
        let mut read = tokio::io::ReadBuf::uninit(unfilled);
        match Pin::new(&mut self.get_mut().0).poll_read(cx, &mut read) {
            Poll::Ready(Ok(())) => {
                let filled = read.filled().len();
                // SAFETY: `poll_read` initialized the first `filled` bytes of the unfilled part.
                unsafe { buf.advance(filled) };
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}

impl hyper::rt::Write for TokioIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }
}

/// An HTTP/1.1 server answering every request with `hello`. It stops when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    hang_up: Arc<Notify>,
    task: JoinHandle<()>,
}

impl Server {
    /// Starts the server. With `keep_alive` off it answers `Connection: close` and closes each
    /// connection after its first response.
    pub(crate) async fn start(keep_alive: bool) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let hang_up = Arc::new(Notify::new());
        let task = tokio::spawn(serve(
            listener,
            keep_alive,
            Arc::clone(&accepted),
            Arc::clone(&hang_up),
        ));
        Ok(Server {
            addr,
            accepted,
            hang_up,
            task,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many TCP connections the server has accepted so far.
    pub(crate) fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Closes every open connection without a word, as a server does with idle ones.
    #[allow(dead_code, reason = "only the test uses it")]
    pub(crate) fn hang_up(&self) {
        self.hang_up.notify_waiters();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The connection tasks live in the accept task's `JoinSet`, so they stop with it.
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    keep_alive: bool,
    accepted: Arc<AtomicUsize>,
    hang_up: Arc<Notify>,
) {
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        accepted.fetch_add(1, Ordering::SeqCst);
        let hang_up = Arc::clone(&hang_up);
        connections.spawn(async move {
            let service = service_fn(|_request: Request<hyper::body::Incoming>| async {
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"hello"))))
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .keep_alive(keep_alive)
                .serve_connection(TokioIo(stream), service);
            tokio::select! {
                _ = connection => {}
                () = hang_up.notified() => {}
            }
        });
    }
}
