//! A generic, runtime-agnostic connection pool.
//!
//! [`Pool`] keeps connections by key and lends them out: idle exclusive connections (HTTP/1.1)
//! one caller at a time, most recently used first; multiplexed connections (HTTP/2, HTTP/3) to
//! every caller at once, as handles. It limits connections per key, queues checkouts first come
//! first served when the limit is reached, and retires idle connections after a timeout.
//!
//! It depends on nothing but `std`: no runtime, no timer task, no other aioduct crate. Waiting uses
//! [`std::task::Waker`], and idle timeouts are checked lazily with [`std::time::Instant`] when
//! connections come and go, or when the caller runs [`Pool::evict_expired`].
//!
//! # Using it
//!
//! Implement [`Connection`] for your connection handle. Then for each request:
//! [`Pool::checkout`] the key; on [`Checkout::Connect`] open a connection and
//! [`insert`](Connecting::insert) it; send the request through the [`Pooled`] connection; drop it
//! to give the connection back. `examples/hyper_http1.rs` pools hyper's HTTP/1.1 `SendRequest`.
//!
//! ```
//! use std::sync::Arc;
//! use std::sync::atomic::{AtomicBool, Ordering};
//! use aioduct_pool::{Checkout, Config, Connection, Pool};
//!
//! struct Conn {
//!     open: Arc<AtomicBool>,
//! }
//!
//! impl Connection for Conn {
//!     fn is_open(&self) -> bool {
//!         self.open.load(Ordering::Acquire)
//!     }
//! }
//!
//! let pool: Pool<&str, Conn> = Pool::new(Config::default());
//! futures_lite::future::block_on(async {
//!     // Nothing to reuse yet: the pool hands out a permit to connect.
//!     let conn = match pool.checkout("example.com:443").await {
//!         Checkout::Reused(conn) => conn,
//!         Checkout::Connect(permit) => {
//!             let conn = Conn { open: Arc::new(AtomicBool::new(true)) };
//!             permit.insert(conn)
//!         }
//!     };
//!     assert!(!conn.is_reused());
//!     drop(conn); // back to the pool
//!
//!     // The next checkout reuses it.
//!     let Checkout::Reused(conn) = pool.checkout("example.com:443").await else {
//!         unreachable!("the connection is idle");
//!     };
//!     assert!(conn.is_reused());
//! });
//! ```
//!
//! # Locking
//!
//! The pool keeps its state behind one [`std::sync::Mutex`], held only for bookkeeping. While it is
//! held the pool calls [`Connection::is_open`] and [`Connection::share`], which must therefore be
//! cheap and must not call back into the pool. Connections are dropped, and waiting tasks woken,
//! after the lock is released.

mod checkout;
mod config;
mod connection;
mod inner;
mod pool;
mod pooled;
mod state;
mod waiters;

#[cfg(test)]
mod tests;

pub use checkout::{Checkout, CheckoutFuture};
pub use config::Config;
pub use connection::Connection;
pub use pool::Pool;
pub use pooled::{Connecting, Pooled};

// The promise of the crate's docs, checked at compile time: everything is `Send` (and the pool
// `Sync`) when the key and the connection are `Send`.
#[allow(dead_code)]
fn assert_thread_safety<'a, K, C>()
where
    K: 'a,
    K: Eq + std::hash::Hash + Clone + Send,
    C: Connection + Send,
{
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Pool<K, C>>();
    send::<Checkout<K, C>>();
    send::<CheckoutFuture<'a, K, C>>();
    send::<Pooled<K, C>>();
    send::<Connecting<K, C>>();
}
