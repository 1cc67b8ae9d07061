//! `SmolRuntime`: aioduct's runtime glue for smol, on async-io.
//!
//! It opens TCP connections with the socket options of [`TcpOptions`] (through socket2, then a
//! non-blocking connect registered with async-io's reactor), sleeps on [`async_io::Timer`],
//! resolves names on the [`blocking`] thread pool, and spawns onto a global executor run by
//! background threads. Streams are exposed through the [`futures_io`] traits that every aioduct
//! layer speaks.
//!
//! There is one reactor, async-io's, shared with everything else in the smol ecosystem. It is
//! driven by whichever thread is inside [`async_io::block_on`] (which `smol::block_on` is) and,
//! when no thread is, by async-io's own fallback thread; so futures from this crate can be awaited
//! from `smol::block_on`, `async_io::block_on`, any smol executor, or even
//! `futures_lite::future::block_on`.
//!
//! ```
//! use aioduct_core::{Runtime, TcpOptions};
//! use aioduct_rt_smol::SmolRuntime;
//! use futures_lite::AsyncWriteExt;
//!
//! # fn main() -> std::io::Result<()> {
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let addr = listener.local_addr()?;
//!
//! async_io::block_on(async {
//!     let mut stream = SmolRuntime::connect(addr, &TcpOptions::default()).await?;
//!     assert_eq!(stream.peer_addr()?, addr);
//!     stream.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await?;
//!     stream.close().await
//! })
//! # }
//! ```

mod executor;
mod sleep;
mod socket;
mod stream;

use std::{
    future::Future,
    io,
    net::{SocketAddr, ToSocketAddrs},
    pin::Pin,
    time::Duration,
};

use aioduct_core::{Addrs, Name, Runtime, Spawn, TcpOptions};

pub use sleep::SmolSleep;
pub use stream::SmolStream;

/// The smol runtime: async-io for sockets and timers, `blocking` for DNS, a global executor for
/// spawned tasks.
///
/// It needs no setup: async-io's reactor and the executor threads start on first use.
///
/// Spawned tasks (hyper's connection tasks, for instance) run on a global
/// [`async_executor::Executor`] of this crate, driven by background threads named
/// `aioduct-smol-N`. Like `smol::spawn`'s executor it has one thread unless the `SMOL_THREADS`
/// environment variable asks for more, and it lives for the rest of the process. This crate keeps
/// its own executor rather than depending on `smol` for `smol::spawn`, because `smol` also brings
/// in its process, file-system and signal crates, doubling the dependency tree for about thirty
/// lines of code; both executors share the one async-io reactor.
///
/// ```
/// use std::{sync::mpsc, time::Duration};
/// use aioduct_core::{Runtime, Spawn};
/// use aioduct_rt_smol::SmolRuntime;
///
/// let (tx, rx) = mpsc::channel();
/// SmolRuntime::spawn(async move {
///     SmolRuntime::sleep(Duration::from_millis(1)).await;
///     tx.send("done").unwrap();
/// });
/// assert_eq!(rx.recv().unwrap(), "done");
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SmolRuntime;

impl Runtime for SmolRuntime {
    type TcpStream = SmolStream;
    type Sleep = SmolSleep;

    fn connect(
        addr: SocketAddr,
        options: &TcpOptions,
    ) -> impl Future<Output = io::Result<SmolStream>> + 'static {
        // The socket is configured now, while `options` is borrowed; the connection itself starts
        // only when the future is first polled, so a caller can hold it back (Happy Eyeballs).
        let socket = socket::configured_socket(addr, options);
        async move {
            let stream = socket::connect(socket?, addr).await?;
            Ok(SmolStream::new(stream))
        }
    }

    fn sleep(duration: Duration) -> SmolSleep {
        SmolSleep::new(duration)
    }

    async fn resolve(name: Name, port: u16) -> io::Result<Addrs> {
        // getaddrinfo blocks, so it runs on blocking's thread pool; the order it returns the
        // addresses in (RFC 6724 preference) is kept.
        blocking::unblock(move || {
            let addrs = (name.as_str(), port).to_socket_addrs()?;
            Ok(addrs.collect())
        })
        .await
    }
}

/// Every future is spawned as one type, a boxed `dyn Future`: the executor's task machinery is
/// compiled once for all of them, and a large future is copied once, into its box.
impl<F> Spawn<F> for SmolRuntime
where
    F: Future<Output = ()> + Send + 'static,
{
    fn spawn(future: F) {
        let task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(future);
        executor::spawn(task);
    }
}
