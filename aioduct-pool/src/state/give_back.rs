//! The paths by which connections, handles, permits and grants come back to the pool.

use std::time::Instant;

use super::{Idle, Shared, State, expired};
use crate::Connection;
use crate::inner::{Deferred, Lease};
use crate::waiters::Grant;

impl<K: Eq + std::hash::Hash + Clone, C: Connection> State<K, C> {
    /// A waiting checkout was dropped: leave the queue, and pass on anything it had been granted.
    pub(crate) fn cancel_waiter(&mut self, idx: usize, slot: usize, deferred: &mut Deferred<C>) {
        match self.waiters.remove(slot) {
            None => {
                self.host(idx).queue.retain(|&queued| queued != slot);
                self.remove_if_empty(idx);
            }
            Some(grant) => self.return_grant(idx, grant, deferred),
        }
    }

    /// Gives back a grant that its checkout will not use.
    pub(crate) fn return_grant(&mut self, idx: usize, grant: Grant<C>, deferred: &mut Deferred<C>) {
        match grant {
            Grant::Idle(conn) => {
                let open = conn.is_open();
                self.checkin(idx, conn, open, deferred);
            }
            Grant::Shared(handle, id) => {
                self.release_handle(idx, id);
                deferred.drop_conn(handle);
            }
            Grant::Connect => self.abandon(idx, deferred),
        }
    }

    /// An exclusive connection came back: to the oldest waiter, the idle list, or closed.
    pub(crate) fn checkin(&mut self, idx: usize, conn: C, open: bool, deferred: &mut Deferred<C>) {
        if !open {
            return self.release(idx, conn, deferred);
        }
        let timeout = self.config.idle_timeout;
        let max_idle = self.config.max_idle_per_key;
        let host = self.host(idx);
        if let Some(slot) = host.queue.pop_front() {
            return self.waiters.grant(slot, Grant::Idle(conn), deferred);
        }
        let now = Instant::now();
        while host
            .idle
            .front()
            .is_some_and(|idle| expired(idle.since, timeout, now))
        {
            if let Some(idle) = host.idle.pop_front() {
                host.connections -= 1;
                deferred.drop_conn(idle.conn);
            }
        }
        if host.idle.len() < max_idle {
            host.idle.push_back(Idle { conn, since: now });
        } else {
            host.connections -= 1;
            deferred.drop_conn(conn);
            self.remove_if_empty(idx);
        }
    }

    /// Frees the slot of a connection that ends (closed, discarded, detached).
    pub(crate) fn release(&mut self, idx: usize, conn: C, deferred: &mut Deferred<C>) {
        self.host(idx).connections -= 1;
        deferred.drop_conn(conn);
        self.serve_waiters(idx, deferred);
        self.remove_if_empty(idx);
    }

    /// An idle connection granted to a waiter closed before the waiter took it: the waiter keeps
    /// the connection's slot, as a permit to open a new one.
    pub(crate) fn convert_to_permit(&mut self, idx: usize) {
        self.host(idx).connecting += 1;
    }

    /// A reserved slot was given up without a connection (the connect failed or was cancelled).
    pub(crate) fn abandon(&mut self, idx: usize, deferred: &mut Deferred<C>) {
        let host = self.host(idx);
        host.connections -= 1;
        host.connecting -= 1;
        self.serve_waiters(idx, deferred);
        self.remove_if_empty(idx);
    }

    /// A reserved slot now has a connection. Returns what the caller gets to keep and how.
    pub(crate) fn connected(
        &mut self,
        idx: usize,
        conn: C,
        handle: Option<C>,
        deferred: &mut Deferred<C>,
    ) -> (C, Lease) {
        let next_id = self.next_shared_id;
        let host = self.host(idx);
        host.connecting -= 1;
        host.learned = true;
        let Some(handle) = handle else {
            // The peer did not multiplex after all: waiters held back for it may connect now.
            host.multiplexed = false;
            self.serve_waiters(idx, deferred);
            return (conn, Lease::Exclusive);
        };
        host.multiplexed = true;
        if host
            .shared
            .as_ref()
            .is_some_and(|shared| shared.conn.is_open())
        {
            // Several connects raced; the pool keeps the one it has.
            deferred.drop_conn(handle);
            return (conn, Lease::Detached);
        }
        if let Some(retired) = host.shared.take() {
            host.connections -= 1;
            deferred.drop_conn(retired.conn);
        }
        host.shared = Some(Shared {
            conn,
            id: next_id,
            handles: 1,
            since: Instant::now(),
        });
        self.next_shared_id += 1;
        self.serve_waiters(idx, deferred);
        (handle, Lease::Shared(next_id))
    }

    /// A handle to a shared connection was dropped.
    pub(crate) fn release_handle(&mut self, idx: usize, id: u64) {
        // The host may be gone (or reused for another key) if the shared connection was retired;
        // ids are never reused, so matching the id is enough.
        if let Some(Some(host)) = self.hosts.get_mut(idx)
            && let Some(shared) = &mut host.shared
            && shared.id == id
        {
            shared.handles -= 1;
            if shared.handles == 0 {
                shared.since = Instant::now();
            }
        }
    }

    /// Stops handing out the shared connection with this id, if the pool still has it.
    pub(crate) fn retire_shared(&mut self, idx: usize, id: u64, deferred: &mut Deferred<C>) {
        let Some(Some(host)) = self.hosts.get_mut(idx) else {
            return;
        };
        if host.shared.as_ref().is_some_and(|shared| shared.id == id)
            && let Some(retired) = host.shared.take()
        {
            self.release(idx, retired.conn, deferred);
        }
    }
}
