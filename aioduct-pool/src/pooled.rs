//! What a checkout hands out: a lent connection, or a permit to open one.

use std::fmt;
use std::hash::Hash;
use std::mem;
use std::ops::{Deref, DerefMut};
use std::sync::Weak;

use crate::Connection;
use crate::inner::{Inner, Lease};
use crate::waiters::Grant;

/// A connection lent to the caller. Dereferences to `C`.
///
/// Dropping it gives the connection back: an open exclusive connection goes to the oldest waiter
/// for its key or to the idle list (unless `max_idle_per_key` connections are idle already, then
/// it is closed); a closed one is dropped and its slot freed for a waiter. A handle to a multiplexed
/// connection is just dropped; the pool keeps its own handle for as long as the connection is open.
pub struct Pooled<K, C>
where
    K: Eq + Hash + Clone,
    C: Connection,
{
    /// `None` only once drop or `discard` took it.
    conn: Option<C>,
    lease: Lease,
    reused: bool,
    host: usize,
    pool: Weak<Inner<K, C>>,
}

impl<K: Eq + Hash + Clone, C: Connection> Pooled<K, C> {
    pub(crate) fn new(
        conn: C,
        lease: Lease,
        reused: bool,
        host: usize,
        pool: Weak<Inner<K, C>>,
    ) -> Self {
        Self {
            conn: Some(conn),
            lease,
            reused,
            host,
            pool,
        }
    }

    /// Wraps a reuse grant; a reused connection always had a request before.
    pub(crate) fn from_grant(grant: Grant<C>, host: usize, pool: Weak<Inner<K, C>>) -> Self {
        match grant {
            Grant::Idle(conn) => Self::new(conn, Lease::Exclusive, true, host, pool),
            Grant::Shared(conn, id) => Self::new(conn, Lease::Shared(id), true, host, pool),
            Grant::Connect => unreachable!("a permit is not a connection"),
        }
    }

    /// Returns `true` if the connection served a request before this checkout: an idle connection
    /// reused, or a handle to a multiplexed connection that was already in the pool.
    ///
    /// A request that fails on a reused connection because the peer had just closed it is usually
    /// safe to retry on a new one.
    pub fn is_reused(&self) -> bool {
        self.reused
    }

    /// Returns `true` if this is a handle to a multiplexed connection that other checkouts may be
    /// using at the same time.
    pub fn is_shared(&self) -> bool {
        self.lease != Lease::Exclusive
    }

    /// Drops the connection without returning it to the pool (for example after a protocol error),
    /// freeing its slot.
    ///
    /// For a handle to a multiplexed connection, the pool also stops handing out that connection;
    /// requests already running on it carry on through their own handles.
    pub fn discard(mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let Some(inner) = self.pool.upgrade() else {
            return;
        };
        let host = self.host;
        match self.lease {
            Lease::Exclusive | Lease::Detached => {
                inner.with_state(|state, deferred| state.release(host, conn, deferred));
            }
            Lease::Shared(id) => {
                inner.with_state(|state, deferred| {
                    state.release_handle(host, id);
                    state.retire_shared(host, id, deferred);
                });
                drop(conn);
            }
        }
    }

    fn conn(&self) -> &C {
        match &self.conn {
            Some(conn) => conn,
            None => unreachable!("the connection is only taken by drop and discard"),
        }
    }
}

impl<K: Eq + Hash + Clone, C: Connection> Deref for Pooled<K, C> {
    type Target = C;

    fn deref(&self) -> &C {
        self.conn()
    }
}

impl<K: Eq + Hash + Clone, C: Connection> DerefMut for Pooled<K, C> {
    fn deref_mut(&mut self) -> &mut C {
        match &mut self.conn {
            Some(conn) => conn,
            None => unreachable!("the connection is only taken by drop and discard"),
        }
    }
}

impl<K: Eq + Hash + Clone, C: Connection> Drop for Pooled<K, C> {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let Some(inner) = self.pool.upgrade() else {
            return;
        };
        let host = self.host;
        let open = conn.is_open();
        match self.lease {
            Lease::Exclusive => {
                inner.with_state(|state, deferred| state.checkin(host, conn, open, deferred));
            }
            Lease::Detached => {
                inner.with_state(|state, deferred| state.release(host, conn, deferred));
            }
            Lease::Shared(id) => {
                inner.with_state(|state, deferred| {
                    state.release_handle(host, id);
                    if !open {
                        state.retire_shared(host, id, deferred);
                    }
                });
                drop(conn);
            }
        }
    }
}

impl<K: Eq + Hash + Clone, C: Connection + fmt::Debug> fmt::Debug for Pooled<K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pooled")
            .field("conn", self.conn())
            .field("reused", &self.reused)
            .field("shared", &self.is_shared())
            .finish()
    }
}

/// A permit to open one connection for a key; it holds one of the key's `max_per_key` slots.
///
/// Open the connection, then [`insert`](Connecting::insert) it. Dropping the permit without
/// inserting (the connect failed or was cancelled) frees the slot and wakes one waiter, which
/// then gets a permit of its own.
pub struct Connecting<K, C>
where
    K: Eq + Hash + Clone,
    C: Connection,
{
    key: K,
    host: usize,
    /// Emptied by `insert`, so that drop knows the slot has a connection now.
    pool: Weak<Inner<K, C>>,
}

impl<K: Eq + Hash + Clone, C: Connection> Connecting<K, C> {
    pub(crate) fn new(key: K, host: usize, pool: Weak<Inner<K, C>>) -> Self {
        Self { key, host, pool }
    }

    /// The key to open a connection for.
    pub fn key(&self) -> &K {
        &self.key
    }

    /// Puts the new connection in the pool and lends it to the caller.
    ///
    /// If `conn` is multiplexed ([`Connection::share`] returns a handle), the pool keeps it, so
    /// that checkouts for the key, the waiting ones included, get handles to it; the caller gets a
    /// handle too. If the pool has an open multiplexed connection for the key already (several
    /// connects raced), it keeps that one and `conn` serves only the caller.
    pub fn insert(mut self, conn: C) -> Pooled<K, C> {
        let pool = mem::take(&mut self.pool);
        let host = self.host;
        let Some(inner) = pool.upgrade() else {
            // The pool is gone: the connection is the caller's alone.
            return Pooled::new(conn, Lease::Exclusive, false, host, Weak::new());
        };
        let handle = conn.share();
        let (conn, lease) =
            inner.with_state(|state, deferred| state.connected(host, conn, handle, deferred));
        Pooled::new(conn, lease, false, host, pool)
    }
}

impl<K: Eq + Hash + Clone, C: Connection> Drop for Connecting<K, C> {
    fn drop(&mut self) {
        if let Some(inner) = self.pool.upgrade() {
            let host = self.host;
            inner.with_state(|state, deferred| state.abandon(host, deferred));
        }
    }
}

impl<K: Eq + Hash + Clone + fmt::Debug, C: Connection> fmt::Debug for Connecting<K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connecting")
            .field("key", &self.key)
            .finish()
    }
}
