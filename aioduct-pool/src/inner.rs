//! What the pool's handles, lent connections and waiting checkouts share.

use std::sync::{Mutex, PoisonError};
use std::task::Waker;

use crate::Config;
use crate::state::State;

/// What the pool shares between its handles, its lent connections and its waiting checkouts.
pub(crate) struct Inner<K, C> {
    pub(crate) config: Config,
    state: Mutex<State<K, C>>,
}

impl<K, C> Inner<K, C> {
    pub(crate) fn new(config: Config) -> Self {
        Self {
            state: Mutex::new(State::new(config.clone())),
            config,
        }
    }

    /// Runs `f` under the lock, then drops the connections and wakes the waiters that `f` deferred,
    /// so that neither a connection's destructor nor a waker ever runs while the lock is held.
    pub(crate) fn with_state<R>(
        &self,
        f: impl FnOnce(&mut State<K, C>, &mut Deferred<C>) -> R,
    ) -> R {
        let mut deferred = Deferred::new();
        let out = {
            // A panic under the lock can only come from the key's or the connection's own
            // methods, before the bookkeeping they feed changes; so a poisoned lock is not fatal.
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut state, &mut deferred)
        };
        deferred.run();
        out
    }
}

/// Work postponed until the lock is released. Allocates only when there is something to do.
pub(crate) struct Deferred<C> {
    conns: Vec<C>,
    wakers: Vec<Waker>,
}

impl<C> Deferred<C> {
    fn new() -> Self {
        Self {
            conns: Vec::new(),
            wakers: Vec::new(),
        }
    }

    pub(crate) fn drop_conn(&mut self, conn: C) {
        self.conns.push(conn);
    }

    pub(crate) fn wake(&mut self, waker: Waker) {
        self.wakers.push(waker);
    }

    fn run(self) {
        drop(self.conns);
        self.wakers.into_iter().for_each(Waker::wake);
    }
}

/// How a lent connection relates to the pool, which decides what its drop does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lease {
    /// An exclusive connection: returned to the pool on drop.
    Exclusive,
    /// A handle to the key's shared connection with this id.
    Shared(u64),
    /// A multiplexed connection the pool does not keep (it had one for the key already); its slot
    /// is freed on drop.
    Detached,
}
