use std::{
    future::Future,
    io,
    net::{IpAddr, SocketAddr},
    time::{Duration, Instant},
};

use futures_io::{AsyncRead, AsyncWrite};

use crate::{Addrs, Name};

/// An async runtime: TCP connect, timers and the system resolver.
///
/// # What it is for
///
/// `Client<R: Runtime>` is written once; a runtime crate (`aioduct-rt-tokio`, `-smol`, `-compio`,
/// `-wasm`) supplies only this glue. All functions are static, so a runtime is a zero-sized marker
/// type and `Client::<TokioRuntime>::new()` reads naturally.
///
/// Send-ness follows the runtime's own types: nothing here requires `Send` of a stream or a
/// future. Futures returned by `connect` and `resolve` are `Send` exactly when the implementation's
/// are, and the compiler sees through them for a concrete runtime. Spawning is a separate trait,
/// [`Spawn`], generic over the future, so a thread-per-core runtime can accept `!Send` tasks while
/// tokio demands `Send` ones.
///
/// # How to implement it
///
/// Provide a TCP stream that implements [`futures_io::AsyncRead`] and [`futures_io::AsyncWrite`],
/// honour the [`TcpOptions`] you can (and ignore the others silently only where the platform has
/// no such option), return a timer future from `sleep`, and resolve names without blocking the
/// executor (on a blocking pool, or with the runtime's own resolver).
///
/// # Example
///
/// A runtime for a platform without sockets, that fails every connection clearly:
///
/// ```
/// use std::{future::Future, io, net::SocketAddr, pin::Pin, task::{Context, Poll}, time::Duration};
/// use aioduct_core::{Addrs, Name, Runtime, TcpOptions};
///
/// struct NoNetwork;
///
/// /// A stream that is never constructed.
/// enum Never {}
/// impl futures_io::AsyncRead for Never {
///     fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, _: &mut [u8]) -> Poll<io::Result<usize>> {
///         match *self {}
///     }
/// }
/// impl futures_io::AsyncWrite for Never {
///     fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
///         match *self {}
///     }
///     fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> { match *self {} }
///     fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> { match *self {} }
/// }
///
/// // SAFETY: the default method, which initializes what it reads into.
/// unsafe impl aioduct_core::io::ReadUninit for Never {}
///
/// impl Runtime for NoNetwork {
///     type TcpStream = Never;
///     type Sleep = std::future::Pending<()>;
///
///     fn connect(_: SocketAddr, _: &TcpOptions) -> impl Future<Output = io::Result<Never>> + 'static {
///         std::future::ready(Err(io::Error::new(io::ErrorKind::Unsupported, "no sockets here")))
///     }
///     fn sleep(_: Duration) -> Self::Sleep {
///         std::future::pending()
///     }
///     fn resolve(_: Name, _: u16) -> impl Future<Output = io::Result<Addrs>> + 'static {
///         std::future::ready(Err(io::Error::new(io::ErrorKind::Unsupported, "no resolver here")))
///     }
/// }
///
/// let err = futures_lite::future::block_on(NoNetwork::connect(([127, 0, 0, 1], 80).into(), &TcpOptions::default()));
/// assert_eq!(err.err().map(|e| e.kind()), Some(io::ErrorKind::Unsupported));
/// ```
pub trait Runtime: Sized + Send + Sync + 'static {
    /// A connected TCP stream.
    type TcpStream: AsyncRead + AsyncWrite + crate::io::ReadUninit + Unpin + 'static;

    /// The future returned by [`Runtime::sleep`].
    type Sleep: Future<Output = ()> + 'static;

    /// Opens a TCP connection to `addr`, applying `options`.
    fn connect(
        addr: SocketAddr,
        options: &TcpOptions,
    ) -> impl Future<Output = io::Result<Self::TcpStream>> + 'static;

    /// A future that completes after `duration`.
    fn sleep(duration: Duration) -> Self::Sleep;

    /// The current instant, from the runtime's clock (mockable in tests, `performance.now()` in
    /// browsers).
    fn now() -> Instant {
        Instant::now()
    }

    /// Resolves `name` with the system resolver, without blocking the executor.
    fn resolve(name: Name, port: u16) -> impl Future<Output = io::Result<Addrs>> + 'static;
}

/// Runs a future of type `F` in the background.
///
/// Kept apart from [`Runtime`] and generic over the future, like hyper's `rt::Executor`: tokio
/// implements it for every `F: Send`, a thread-per-core runtime for every `F` at all. Code that
/// spawns states the exact bound it needs (`R: Spawn<MyConnectionFuture>`), which holds on a runtime
/// exactly when that runtime can run it.
///
/// aioduct's runtimes box each future into one `dyn Future` type before handing it to their
/// executor, so that the executor's task code is compiled once, not once per future type; an
/// implementation of your own for a real executor should do the same.
///
/// ```
/// use std::future::Future;
/// use aioduct_core::Spawn;
///
/// /// Runs every task to completion on the spot (fine for tests, not for connections).
/// struct Inline;
///
/// impl<F: Future<Output = ()>> Spawn<F> for Inline {
///     fn spawn(future: F) {
///         futures_lite::future::block_on(future)
///     }
/// }
///
/// Inline::spawn(async { println!("ran") });
/// ```
pub trait Spawn<F: Future<Output = ()>> {
    /// Starts `future` in the background; it runs to completion unless the runtime shuts down.
    fn spawn(future: F);
}

/// Socket options applied when a TCP connection is opened.
///
/// ```
/// use std::time::Duration;
/// use aioduct_core::TcpOptions;
///
/// let mut options = TcpOptions::default();
/// options.keepalive = Some(Duration::from_secs(60));
/// assert!(options.nodelay);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TcpOptions {
    /// Disables Nagle's algorithm (on by default: requests are written whole).
    pub nodelay: bool,
    /// Idle time before TCP keepalive probes start; `None` leaves keepalive off.
    pub keepalive: Option<Duration>,
    /// Time between keepalive probes.
    pub keepalive_interval: Option<Duration>,
    /// Unanswered probes before the connection is dropped.
    pub keepalive_retries: Option<u32>,
    /// Local address to bind before connecting.
    pub local_address: Option<IpAddr>,
    /// Linux network interface to bind to (`SO_BINDTODEVICE`).
    pub interface: Option<String>,
    /// TCP Fast Open (`TCP_FASTOPEN_CONNECT` on Linux; ignored elsewhere).
    pub fast_open: bool,
}

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions {
            nodelay: true,
            keepalive: None,
            keepalive_interval: None,
            keepalive_retries: None,
            local_address: None,
            interface: None,
            fast_open: false,
        }
    }
}
