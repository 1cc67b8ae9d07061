//! What the pool needs to know about a connection.

/// A connection the [`Pool`](crate::Pool) can keep and lend out.
///
/// # Implementing
///
/// Wrap the handle your client sends requests through (for hyper, `client::conn::http1::SendRequest`
/// or `http2::SendRequest`). Both methods are called while the pool holds its internal lock, so they
/// must be cheap, must not block, and must never call back into the pool.
///
/// An exclusive (HTTP/1.1) connection keeps the default [`share`](Connection::share). A multiplexed
/// (HTTP/2, HTTP/3) connection returns a new handle to itself, and the pool then lends one handle
/// to every checkout for its key at the same time.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use aioduct_pool::Connection;
///
/// /// A handle to a multiplexed connection that the driver task marks closed.
/// struct Multiplexed {
///     open: Arc<AtomicBool>,
/// }
///
/// impl Connection for Multiplexed {
///     fn is_open(&self) -> bool {
///         self.open.load(Ordering::Acquire)
///     }
///
///     fn share(&self) -> Option<Self> {
///         Some(Multiplexed { open: Arc::clone(&self.open) })
///     }
/// }
/// # let conn = Multiplexed { open: Arc::new(AtomicBool::new(true)) };
/// # assert!(conn.share().is_some_and(|handle| handle.is_open()));
/// ```
pub trait Connection: 'static {
    /// Returns `false` once the connection can no longer carry requests (the peer closed it, it errored).
    ///
    /// The pool never hands out a connection for which this returns `false`, and frees its slot.
    fn is_open(&self) -> bool;

    /// For multiplexed connections (HTTP/2, HTTP/3): a new handle to the same connection, so several
    /// requests share it.
    ///
    /// `None` (the default) means the connection is exclusive (HTTP/1.1): one request at a time.
    /// A multiplexed connection may start returning `None` when it stops accepting new requests
    /// (for example after an HTTP/2 GOAWAY); the pool then retires it.
    fn share(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }
}
