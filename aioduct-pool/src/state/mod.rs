//! The state behind the pool's lock and the bookkeeping behind every public operation.
//!
//! Accounting: `Host::connections` counts every slot taken for a key: connections being opened,
//! exclusive connections lent or idle, detached multiplexed connections, and the pool's shared
//! connection (once, however many handles are out). A slot is freed exactly once, by whoever
//! ends it, and every freed slot or returned connection goes to the oldest waiter first.

mod give_back;

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::inner::Deferred;
use crate::waiters::{Grant, Waiters};
use crate::{Config, Connection};

pub(crate) struct State<K, C> {
    config: Config,
    index: HashMap<K, usize>,
    hosts: Vec<Option<Host<K, C>>>,
    free_hosts: Vec<usize>,
    waiters: Waiters<C>,
    next_shared_id: u64,
}

/// Everything the pool tracks for one key.
struct Host<K, C> {
    key: K,
    /// Exclusive connections, oldest first: reuse pops the back (most recently used), expiry the front.
    idle: VecDeque<Idle<C>>,
    shared: Option<Shared<C>>,
    connections: usize,
    connecting: usize,
    /// Set once the key has had a multiplexed connection: while one is being opened, further
    /// checkouts wait for it instead of opening their own.
    multiplexed: bool,
    /// Set once a connection has been opened for the key, so whether it multiplexes is known.
    learned: bool,
    /// Waiter slots, oldest first.
    queue: VecDeque<usize>,
}

struct Idle<C> {
    conn: C,
    since: Instant,
}

struct Shared<C> {
    conn: C,
    id: u64,
    /// Handles lent out; the connection is idle (and may expire) only when this is zero.
    handles: usize,
    since: Instant,
}

fn expired(since: Instant, timeout: Option<Duration>, now: Instant) -> bool {
    timeout.is_some_and(|timeout| now.saturating_duration_since(since) > timeout)
}

impl<K, C> State<K, C> {
    pub(crate) fn new(config: Config) -> Self {
        Self {
            config,
            index: HashMap::new(),
            hosts: Vec::new(),
            free_hosts: Vec::new(),
            waiters: Waiters::new(),
            next_shared_id: 0,
        }
    }
}

impl<K: Eq + Hash + Clone, C: Connection> State<K, C> {
    fn host(&mut self, idx: usize) -> &mut Host<K, C> {
        match self.hosts.get_mut(idx) {
            Some(Some(host)) => host,
            _ => unreachable!("a host is kept while it has slots or waiters"),
        }
    }

    fn existing(&self, key: &K) -> Option<&Host<K, C>> {
        let idx = *self.index.get(key)?;
        self.hosts[idx].as_ref()
    }

    /// Reuses a connection for `key` without waiting or reserving a slot. Never overtakes a
    /// waiting checkout.
    pub(crate) fn try_reuse(
        &mut self,
        key: &K,
        deferred: &mut Deferred<C>,
    ) -> Option<(usize, Grant<C>)> {
        let idx = *self.index.get(key)?;
        if self.has_waiters(idx) {
            return None;
        }
        match self.take_reusable(idx, deferred) {
            Some(grant) => Some((idx, grant)),
            None => {
                // Closed or expired connections may just have been dropped.
                self.remove_if_empty(idx);
                None
            }
        }
    }

    pub(crate) fn find_or_insert(&mut self, key: &K) -> usize {
        if let Some(&idx) = self.index.get(key) {
            return idx;
        }
        let host = Host {
            key: key.clone(),
            idle: VecDeque::new(),
            shared: None,
            connections: 0,
            connecting: 0,
            multiplexed: false,
            learned: false,
            queue: VecDeque::new(),
        };
        let idx = match self.free_hosts.pop() {
            Some(idx) => {
                self.hosts[idx] = Some(host);
                idx
            }
            None => {
                self.hosts.push(Some(host));
                self.hosts.len() - 1
            }
        };
        self.index.insert(key.clone(), idx);
        idx
    }

    pub(crate) fn idle_count(&self, key: &K) -> usize {
        self.existing(key).map_or(0, |host| host.idle.len())
    }

    pub(crate) fn connection_count(&self, key: &K) -> usize {
        self.existing(key).map_or(0, |host| host.connections)
    }

    pub(crate) fn waiting_count(&self, key: &K) -> usize {
        self.existing(key).map_or(0, |host| host.queue.len())
    }

    pub(crate) fn has_waiters(&mut self, idx: usize) -> bool {
        !self.host(idx).queue.is_empty()
    }

    /// Takes the shared connection's handle or the freshest idle connection, dropping closed and
    /// expired ones on the way.
    pub(crate) fn take_reusable(
        &mut self,
        idx: usize,
        deferred: &mut Deferred<C>,
    ) -> Option<Grant<C>> {
        let timeout = self.config.idle_timeout;
        let now = Instant::now();
        let host = self.host(idx);
        if let Some(shared) = &mut host.shared {
            let fresh = shared.handles > 0 || !expired(shared.since, timeout, now);
            if fresh
                && shared.conn.is_open()
                && let Some(handle) = shared.conn.share()
            {
                shared.handles += 1;
                return Some(Grant::Shared(handle, shared.id));
            }
            // Closed, expired or no longer accepting requests (an HTTP/2 GOAWAY): retire it.
            if let Some(retired) = host.shared.take() {
                host.connections -= 1;
                deferred.drop_conn(retired.conn);
            }
        }
        while let Some(idle) = host.idle.pop_back() {
            if expired(idle.since, timeout, now) {
                // Everything below is older, so it has expired too.
                host.connections -= 1 + host.idle.len();
                deferred.drop_conn(idle.conn);
                host.idle
                    .drain(..)
                    .for_each(|idle| deferred.drop_conn(idle.conn));
                break;
            }
            if idle.conn.is_open() {
                return Some(Grant::Idle(idle.conn));
            }
            host.connections -= 1;
            deferred.drop_conn(idle.conn);
        }
        None
    }

    /// A checkout expects a multiplexed connection: until the key has had a connection, treat it
    /// as multiplexed so concurrent checkouts wait for the first one.
    pub(crate) fn expect_multiplexed(&mut self, idx: usize) {
        let host = self.host(idx);
        if !host.learned {
            host.multiplexed = true;
        }
    }

    /// Reserves a slot for a new connection if the key's limits allow one.
    pub(crate) fn try_reserve(&mut self, idx: usize) -> bool {
        let limit = self.config.limit();
        let host = self.host(idx);
        let below_limit = limit.is_none_or(|limit| host.connections < limit);
        let multiplex_pending = host.multiplexed && host.connecting > 0;
        if below_limit && !multiplex_pending {
            host.connections += 1;
            host.connecting += 1;
            true
        } else {
            false
        }
    }

    pub(crate) fn enqueue(&mut self, idx: usize, waker: Waker) -> usize {
        let slot = self.waiters.insert(waker);
        self.host(idx).queue.push_back(slot);
        slot
    }

    pub(crate) fn poll_waiter(&mut self, slot: usize, waker: &Waker) -> Option<Grant<C>> {
        self.waiters.poll(slot, waker)
    }

    /// Drops every idle connection past the idle timeout and every closed one the pool holds, and
    /// forgets the keys left with no connections.
    pub(crate) fn evict_expired(&mut self, deferred: &mut Deferred<C>) {
        let timeout = self.config.idle_timeout;
        let now = Instant::now();
        for idx in 0..self.hosts.len() {
            let Some(host) = &mut self.hosts[idx] else {
                continue;
            };
            let before = host.connections;
            let retire = host.shared.as_ref().is_some_and(|shared| {
                let idle_expired = shared.handles == 0 && expired(shared.since, timeout, now);
                idle_expired || !shared.conn.is_open()
            });
            if retire && let Some(retired) = host.shared.take() {
                host.connections -= 1;
                deferred.drop_conn(retired.conn);
            }
            // Rotate through the list once, keeping the order of the connections that stay.
            for _ in 0..host.idle.len() {
                let Some(idle) = host.idle.pop_front() else {
                    break;
                };
                if expired(idle.since, timeout, now) || !idle.conn.is_open() {
                    host.connections -= 1;
                    deferred.drop_conn(idle.conn);
                } else {
                    host.idle.push_back(idle);
                }
            }
            if host.connections != before {
                self.serve_waiters(idx, deferred);
            }
            if self.host(idx).is_empty() {
                self.remove_host(idx);
            }
        }
    }

    /// Hands reusable connections and free slots to waiters, oldest first, while there are some.
    fn serve_waiters(&mut self, idx: usize, deferred: &mut Deferred<C>) {
        while let Some(&slot) = self.host(idx).queue.front() {
            let grant = match self.take_reusable(idx, deferred) {
                Some(grant) => grant,
                None if self.try_reserve(idx) => Grant::Connect,
                None => break,
            };
            self.host(idx).queue.pop_front();
            self.waiters.grant(slot, grant, deferred);
        }
    }

    /// Forgets a key with no connections and no waiters, unless it remembers that the key
    /// multiplexes (then `evict_expired` forgets it).
    fn remove_if_empty(&mut self, idx: usize) {
        let host = self.host(idx);
        if host.is_empty() && !host.multiplexed {
            self.remove_host(idx);
        }
    }

    fn remove_host(&mut self, idx: usize) {
        if let Some(host) = self.hosts[idx].take() {
            debug_assert!(host.idle.is_empty() && host.shared.is_none() && host.connecting == 0);
            self.index.remove(&host.key);
            self.free_hosts.push(idx);
        }
    }
}

impl<K, C> Host<K, C> {
    fn is_empty(&self) -> bool {
        self.connections == 0 && self.queue.is_empty()
    }
}
