//! `CompioRuntime`: aioduct's runtime glue for compio, whose own driver does the I/O (io_uring on
//! Linux).
//!
//! compio is thread-per-core: each thread runs its own [`compio::runtime::Runtime`], and the
//! sockets and tasks it creates stay on that thread. This crate follows suit. Connections are
//! opened with the options of [`TcpOptions`] applied through socket2 and then connected by the
//! driver; streams ([`CompioStream`]) are `!Send` and reach futures-io through compio-io's
//! poll adapter; sleeps run on compio's timer; tasks are spawned locally, so [`Spawn`] accepts
//! `!Send` futures; names are resolved on compio's blocking pool. There is no second reactor.
//!
//! Everything here must run inside a compio runtime: the futures panic when first polled outside
//! one, and [`Spawn::spawn`] panics when called outside one.
//!
//! Only compio's io_uring driver is compiled in (on Linux); [`CompioRuntime::is_io_uring`] tells
//! which driver the current runtime uses, should another crate in the build enable compio's
//! `polling` fallback.
//!
//! ```
//! use aioduct_core::{Runtime, TcpOptions};
//! use aioduct_rt_compio::CompioRuntime;
//! use futures_lite::AsyncWriteExt;
//!
//! compio::runtime::Runtime::new().unwrap().block_on(async {
//!     let listener = compio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!
//!     let mut stream = CompioRuntime::connect(addr, &TcpOptions::default()).await.unwrap();
//!     stream.write_all(b"hello").await.unwrap();
//!     stream.flush().await.unwrap();
//!     # #[cfg(target_os = "linux")]
//!     assert!(CompioRuntime::is_io_uring());
//! });
//! ```

mod sleep;
mod stream;

use std::{future::Future, io, net::SocketAddr, pin::Pin, time::Duration};

use aioduct_core::{Addrs, Name, Runtime, Spawn, TcpOptions};
use compio::{driver::DriverType, net::ToSocketAddrsAsync};

pub use sleep::CompioSleep;
pub use stream::CompioStream;

/// The compio runtime. Requires a running [`compio::runtime::Runtime`] on the current thread.
///
/// All [`TcpOptions`] are honoured: nodelay, keepalive (time, interval, retries), local address,
/// interface (Linux; `Unsupported` elsewhere) and TCP Fast Open (Linux; ignored elsewhere).
#[derive(Debug, Clone, Copy, Default)]
pub struct CompioRuntime;

impl CompioRuntime {
    /// The name of the current runtime's I/O driver: `"io_uring"`, `"polling"` or `"iocp"`, or
    /// `None` outside a compio runtime.
    ///
    /// ```
    /// use aioduct_rt_compio::CompioRuntime;
    ///
    /// assert_eq!(CompioRuntime::driver_name(), None);
    /// compio::runtime::Runtime::new().unwrap().block_on(async {
    ///     assert!(CompioRuntime::driver_name().is_some());
    /// });
    /// ```
    pub fn driver_name() -> Option<&'static str> {
        compio::runtime::Runtime::try_with_current(|runtime| match runtime.driver_type() {
            DriverType::IoUring => "io_uring",
            DriverType::Poll => "polling",
            DriverType::IOCP => "iocp",
        })
        .ok()
    }

    /// Whether the current compio runtime does its I/O through io_uring; `false` outside a
    /// compio runtime.
    ///
    /// ```
    /// use aioduct_rt_compio::CompioRuntime;
    ///
    /// compio::runtime::Runtime::new().unwrap().block_on(async {
    ///     assert_eq!(CompioRuntime::is_io_uring(), cfg!(target_os = "linux"));
    /// });
    /// ```
    pub fn is_io_uring() -> bool {
        CompioRuntime::driver_name() == Some("io_uring")
    }

    /// Runs `future` to completion on a new compio runtime on this thread.
    ///
    /// ```
    /// use aioduct_rt_compio::CompioRuntime;
    ///
    /// let driver = CompioRuntime::block_on(async { CompioRuntime::driver_name() }).unwrap();
    /// assert!(driver.is_some());
    /// ```
    pub fn block_on<F: std::future::Future>(future: F) -> std::io::Result<F::Output> {
        Ok(compio::runtime::Runtime::new()?.block_on(future))
    }
}

impl Runtime for CompioRuntime {
    type TcpStream = CompioStream;
    type Sleep = CompioSleep;

    fn connect(
        addr: SocketAddr,
        options: &TcpOptions,
    ) -> impl Future<Output = io::Result<CompioStream>> + 'static {
        // Options are applied now, so that the future borrows nothing from `options`.
        let socket = aioduct_core::socket::tcp_socket(addr, options);
        async move {
            let socket = compio::net::TcpSocket::from_std_stream(socket?.into())?;
            let stream = socket.connect(addr).await?;
            Ok(CompioStream::new(stream))
        }
    }

    fn sleep(duration: Duration) -> CompioSleep {
        CompioSleep::new(duration)
    }

    async fn resolve(name: Name, port: u16) -> io::Result<Addrs> {
        // compio parses IP literals itself and sends names to `getaddrinfo` on its blocking
        // pool, so the runtime thread never waits on DNS.
        let host = (String::from(name.as_str()), port);
        let addrs = host.to_socket_addrs_async().await?;
        Ok(addrs.collect())
    }
}

/// Spawns on the current thread's compio runtime. Tasks need not be `Send`; they run on this
/// thread until they finish or the runtime is dropped. Every future is spawned as one type, a
/// boxed `dyn Future`: compio's task machinery is compiled once for all of them.
///
/// # Panics
///
/// When called outside a compio runtime.
///
/// ```
/// use std::{cell::Cell, rc::Rc};
/// use aioduct_core::{Runtime, Spawn};
/// use aioduct_rt_compio::CompioRuntime;
///
/// compio::runtime::Runtime::new().unwrap().block_on(async {
///     let ran = Rc::new(Cell::new(false)); // `Rc`: the task is `!Send`.
///     let flag = ran.clone();
///     CompioRuntime::spawn(async move { flag.set(true) });
///     CompioRuntime::sleep(std::time::Duration::from_millis(1)).await;
///     assert!(ran.get());
/// });
/// ```
impl<F> Spawn<F> for CompioRuntime
where
    F: Future<Output = ()> + 'static,
{
    fn spawn(future: F) {
        let task: Pin<Box<dyn Future<Output = ()>>> = Box::pin(future);
        // Dropping a compio JoinHandle cancels its task; detaching lets it run on.
        compio::runtime::spawn(task).detach();
    }
}

/// Compile-time check of the promise above: a future holding an `Rc` (so `!Send`) is accepted.
const _: () = {
    fn spawns<F: Future<Output = ()>>(_: &F)
    where
        CompioRuntime: Spawn<F>,
    {
    }

    #[allow(dead_code)]
    fn non_send_future_is_accepted() {
        let local = std::rc::Rc::new(());
        spawns(&async move { drop(local) });
    }
};
