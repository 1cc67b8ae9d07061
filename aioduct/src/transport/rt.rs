//! hyper's executor and timer, backed by an aioduct [`Runtime`].

use std::{
    future::Future,
    marker::PhantomData,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use aioduct_core::{Runtime, Spawn};

use crate::body::BoxSleep;

/// What the client needs of a runtime beyond [`Runtime`], in forms any thread may use.
///
/// - Timers that are `Send + Sync`: hyper's HTTP/2 keep-alive pings and the timeouts inside a
///   response body need them, since a response may move between threads. tokio's and smol's own
///   timers qualify; a thread-per-core runtime whose timers are `!Send` (compio) uses a timer
///   thread instead.
/// - The system resolver as a shareable [`Resolve`](aioduct_core::Resolve), for proxies that
///   need addresses (SOCKS4, `socks5`); `None` where the runtime's resolver futures are `!Send`.
///
/// Implement it for a runtime of your own to use it with [`crate::Client`].
pub trait RuntimeGlue: Runtime {
    /// A timer that fires after `duration`.
    fn sync_sleep(duration: Duration) -> BoxSleep;

    /// The runtime's system resolver, shareable across threads.
    fn shared_resolver() -> Option<std::sync::Arc<dyn aioduct_core::Resolve>> {
        None
    }
}

/// hyper's `Executor`, spawning on runtime `R`.
pub(crate) struct Exec<R>(PhantomData<fn() -> R>);

impl<R> Exec<R> {
    pub(crate) fn new() -> Self {
        Exec(PhantomData)
    }
}

impl<R> Clone for Exec<R> {
    fn clone(&self) -> Self {
        Exec(PhantomData)
    }
}

/// hyper's HTTP/2 client spawns one future per request, of an enum as large as its biggest
/// variant (the whole connection). aioduct's runtimes box what they spawn, so it is copied once,
/// into its box; a runtime of your own should do the same.
impl<R, F> hyper::rt::Executor<F> for Exec<R>
where
    F: Future<Output = ()>,
    R: Spawn<F>,
{
    fn execute(&self, future: F) {
        R::spawn(future);
    }
}

/// hyper's `Timer` (HTTP/2 keep-alive pings), sleeping on runtime `R`.
pub(crate) struct HyperTimer<R>(PhantomData<fn() -> R>);

impl<R> HyperTimer<R> {
    pub(crate) fn new() -> Self {
        HyperTimer(PhantomData)
    }
}

impl<R: RuntimeGlue> hyper::rt::Timer for HyperTimer<R> {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: R::sync_sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep(deadline.saturating_duration_since(R::now()))
    }
}

pin_project_lite::pin_project! {
    struct HyperSleep<S> {
        #[pin]
        inner: S,
    }
}

impl<S: Future<Output = ()>> Future for HyperSleep<S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().inner.poll(cx)
    }
}

impl<S: Future<Output = ()> + Send + Sync> hyper::rt::Sleep for HyperSleep<S> {}

pin_project_lite::pin_project! {
    /// Drives a connection future to its end, discarding its result: connection errors reach
    /// the requests on that connection through hyper.
    pub(crate) struct Drive<F> {
        #[pin]
        conn: F,
    }
}

impl<F> Drive<F> {
    pub(crate) fn new(conn: F) -> Self {
        Drive { conn }
    }
}

impl<F: Future<Output = Result<(), hyper::Error>>> Future for Drive<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().conn.poll(cx).map(|_| ())
    }
}
