//! The pool handle.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use crate::checkout::CheckoutFuture;
use crate::inner::Inner;
use crate::{Config, Connection, Pooled};

/// A keyed pool of connections.
///
/// `K` names where a connection goes (for an HTTP client: scheme, authority and whatever else makes
/// two connections interchangeable, such as the proxy or TLS identity). `C` is the connection.
///
/// The pool is a cheap handle: clones share the same connections. It spawns nothing and needs no
/// runtime: idle timeouts are checked when connections are checked out or returned, and by
/// [`evict_expired`](Pool::evict_expired), which a caller may run periodically to close idle
/// connections sooner. Dropping the last handle drops the idle connections; lent ones are simply
/// dropped when their [`Pooled`] is.
///
/// A [`Connection`]'s methods are called while the pool holds its lock, so they must not call
/// back into the pool. Connections are always dropped with the lock released.
pub struct Pool<K, C> {
    pub(crate) inner: Arc<Inner<K, C>>,
}

impl<K: Eq + Hash + Clone, C: Connection> Pool<K, C> {
    /// Creates an empty pool.
    pub fn new(config: Config) -> Self {
        Self {
            inner: Arc::new(Inner::new(config)),
        }
    }

    /// The configuration the pool was created with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Finds a connection for `key`.
    ///
    /// In order: a handle to the key's open multiplexed connection; else the most recently used
    /// idle exclusive connection (expired and closed ones are dropped on the way); else a
    /// [`Connecting`](crate::Connecting) permit to open a new one. When `max_per_key`
    /// connections exist already, the future waits, first come first served, until a connection
    /// is returned or a slot frees. While a connection is being opened for a key that has
    /// multiplexed before, further checkouts also wait for it rather than open their own.
    ///
    /// Cancel-safe: dropping the future leaves the queue, and a connection or permit handed to it
    /// in the meantime goes to the next waiter or back to the pool.
    pub fn checkout(&self, key: K) -> CheckoutFuture<'_, K, C> {
        CheckoutFuture::new(self, key, false)
    }

    /// Like [`checkout`](Pool::checkout), for a connection the caller expects to be multiplexed
    /// (HTTP/2 by prior knowledge, or TLS offering h2) before the key has had any connection.
    ///
    /// While the first connection for the key is being opened, further such checkouts wait for
    /// it instead of opening their own, so a burst of requests to a new origin shares one
    /// connection. Once the key has had a connection, the pool knows whether it multiplexes and
    /// this behaves exactly like `checkout`: if that first connection turned out exclusive, the
    /// waiters were given permits to connect.
    pub fn checkout_multiplexed(&self, key: K) -> CheckoutFuture<'_, K, C> {
        CheckoutFuture::new(self, key, true)
    }

    /// Like [`checkout`](Pool::checkout) but never waits and never reserves a slot: returns a
    /// connection only if one is idle or shared for `key`.
    pub fn try_checkout(&self, key: &K) -> Option<Pooled<K, C>> {
        let (host, grant) = self
            .inner
            .with_state(|state, deferred| state.try_reuse(key, deferred))?;
        Some(Pooled::from_grant(grant, host, Arc::downgrade(&self.inner)))
    }

    /// Drops every idle connection that has been unused for longer than the idle timeout, and
    /// every connection the pool holds that is no longer open, freeing their slots; then forgets
    /// the keys left with no connections.
    ///
    /// Checkouts skip such connections anyway; calling this periodically closes them sooner and
    /// bounds the memory kept for keys no longer in use.
    pub fn evict_expired(&self) {
        self.inner
            .with_state(|state, deferred| state.evict_expired(deferred));
    }

    /// The number of idle exclusive connections kept for `key`.
    pub fn idle_count(&self, key: &K) -> usize {
        self.inner.with_state(|state, _| state.idle_count(key))
    }

    /// The number of connections for `key`: being opened, lent out, idle, or shared (a multiplexed
    /// connection counts once however many handles are out). This is what `max_per_key` limits.
    pub fn connection_count(&self, key: &K) -> usize {
        self.inner
            .with_state(|state, _| state.connection_count(key))
    }

    /// The number of checkouts for `key` waiting for a connection or a free slot.
    pub fn waiting_count(&self, key: &K) -> usize {
        self.inner.with_state(|state, _| state.waiting_count(key))
    }
}

impl<K: Eq + Hash + Clone, C: Connection> Default for Pool<K, C> {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl<K, C> Clone for Pool<K, C> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<K, C> fmt::Debug for Pool<K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}
