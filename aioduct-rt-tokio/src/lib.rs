//! `TokioRuntime`: aioduct's runtime glue for tokio.
//!
//! It opens TCP connections with the socket options of [`TcpOptions`] (through socket2), sleeps on
//! tokio's timer, spawns on the current tokio runtime, and resolves names on tokio's blocking pool.
//! Streams are exposed through the [`futures_io`] traits that every aioduct layer speaks.
//!
//! ```no_run
//! use aioduct_core::{Runtime, TcpOptions};
//! use aioduct_rt_tokio::TokioRuntime;
//!
//! # async fn run() -> std::io::Result<()> {
//! let stream = TokioRuntime::connect("127.0.0.1:8080".parse().unwrap(), &TcpOptions::default()).await?;
//! # drop(stream);
//! # Ok(())
//! # }
//! ```

mod stream;

use std::{future::Future, io, net::SocketAddr, pin::Pin, time::Duration};

use aioduct_core::{Addrs, Name, Runtime, Spawn, TcpOptions};

pub use stream::TokioStream;

/// The tokio runtime. Requires a tokio runtime with the I/O and time drivers enabled.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioRuntime;

impl Runtime for TokioRuntime {
    type TcpStream = TokioStream;
    type Sleep = tokio::time::Sleep;

    fn connect(
        addr: SocketAddr,
        options: &TcpOptions,
    ) -> impl Future<Output = io::Result<TokioStream>> + 'static {
        // Options are applied now, so that the future borrows nothing from `options`.
        let socket = aioduct_core::socket::tcp_socket(addr, options).and_then(|socket| {
            socket.set_nonblocking(true)?;
            Ok(tokio::net::TcpSocket::from_std_stream(socket.into()))
        });
        async move {
            let stream = socket?.connect(addr).await?;
            Ok(TokioStream::new(stream))
        }
    }

    fn sleep(duration: Duration) -> tokio::time::Sleep {
        tokio::time::sleep(duration)
    }

    fn now() -> std::time::Instant {
        tokio::time::Instant::now().into_std()
    }

    async fn resolve(name: Name, port: u16) -> io::Result<Addrs> {
        let addrs = tokio::net::lookup_host((name.as_str(), port)).await?;
        Ok(addrs.collect())
    }
}

/// Every future is spawned as one type, a boxed `dyn Future`: tokio's task machinery is compiled
/// once for all of them instead of once per future type (81 KiB of a one-GET HTTPS program), and
/// a large future is copied once, into its box.
impl<F> Spawn<F> for TokioRuntime
where
    F: Future<Output = ()> + Send + 'static,
{
    fn spawn(future: F) {
        let task: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(future);
        tokio::spawn(task);
    }
}
