//! The result of a checkout and the future that waits for it.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::inner::Deferred;
use crate::state::State;
use crate::waiters::Grant;
use crate::{Connecting, Connection, Pool, Pooled};

/// What [`Pool::checkout`] found for a key.
pub enum Checkout<K, C>
where
    K: Eq + Hash + Clone,
    C: Connection,
{
    /// A connection from the pool: an idle one or a handle to a multiplexed one.
    Reused(Pooled<K, C>),
    /// No connection to reuse: open one and [`insert`](Connecting::insert) it.
    Connect(Connecting<K, C>),
}

impl<K: Eq + Hash + Clone + fmt::Debug, C: Connection + fmt::Debug> fmt::Debug for Checkout<K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Reused(pooled) => f.debug_tuple("Reused").field(pooled).finish(),
            Self::Connect(connecting) => f.debug_tuple("Connect").field(connecting).finish(),
        }
    }
}

/// The future returned by [`Pool::checkout`].
///
/// It does its work when first polled. Dropping it while it waits is always safe: see
/// [`Pool::checkout`].
#[must_use = "futures do nothing unless polled"]
pub struct CheckoutFuture<'a, K, C>
where
    K: Eq + Hash + Clone,
    C: Connection,
{
    pool: &'a Pool<K, C>,
    /// Moved into the permit when the checkout ends in one.
    key: Option<K>,
    waiting: Option<Waiting>,
    /// The caller expects the connection to be multiplexed (see [`Pool::checkout_multiplexed`]).
    expect_multiplexed: bool,
}

/// Where a waiting checkout stands in line: its key's host and its waiter slot.
#[derive(Clone, Copy)]
struct Waiting {
    host: usize,
    slot: usize,
}

/// How one poll under the lock ended.
enum Step<C> {
    Done(usize, Grant<C>),
    Pending,
}

impl<'a, K: Eq + Hash + Clone, C: Connection> CheckoutFuture<'a, K, C> {
    pub(crate) fn new(pool: &'a Pool<K, C>, key: K, expect_multiplexed: bool) -> Self {
        Self {
            pool,
            key: Some(key),
            waiting: None,
            expect_multiplexed,
        }
    }

    /// The first attempt: reuse, else reserve a slot, else join the queue. A checkout never
    /// overtakes one that is already waiting for the key.
    fn attempt(
        &mut self,
        state: &mut State<K, C>,
        cx: &Context<'_>,
        deferred: &mut Deferred<C>,
    ) -> Step<C> {
        let key = self.key.as_ref().expect("checked by `poll`");
        let host = state.find_or_insert(key);
        if self.expect_multiplexed {
            state.expect_multiplexed(host);
        }
        if !state.has_waiters(host) {
            if let Some(grant) = state.take_reusable(host, deferred) {
                return Step::Done(host, grant);
            }
            if state.try_reserve(host) {
                return Step::Done(host, Grant::Connect);
            }
        }
        let slot = state.enqueue(host, cx.waker().clone());
        self.waiting = Some(Waiting { host, slot });
        Step::Pending
    }

    /// Collects what the pool granted while this checkout waited.
    fn collect(
        &mut self,
        waiting: Waiting,
        state: &mut State<K, C>,
        cx: &Context<'_>,
        deferred: &mut Deferred<C>,
    ) -> Step<C> {
        let Some(grant) = state.poll_waiter(waiting.slot, cx.waker()) else {
            return Step::Pending;
        };
        self.waiting = None;
        match grant {
            // The connection closed between the grant and now: its slot becomes this checkout's
            // permit, so it keeps its place instead of queueing again.
            Grant::Idle(conn) if !conn.is_open() => {
                deferred.drop_conn(conn);
                state.convert_to_permit(waiting.host);
                Step::Done(waiting.host, Grant::Connect)
            }
            Grant::Shared(handle, id) if !handle.is_open() => {
                state.release_handle(waiting.host, id);
                state.retire_shared(waiting.host, id, deferred);
                deferred.drop_conn(handle);
                self.attempt(state, cx, deferred)
            }
            grant => Step::Done(waiting.host, grant),
        }
    }
}

impl<K: Eq + Hash + Clone, C: Connection> Future for CheckoutFuture<'_, K, C> {
    type Output = Checkout<K, C>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        // Checked before locking, so that misuse cannot poison the pool's lock.
        assert!(
            this.key.is_some(),
            "`CheckoutFuture` polled after completion"
        );
        let pool: &Pool<K, C> = this.pool;
        let inner = &pool.inner;
        let step = inner.with_state(|state, deferred| match this.waiting {
            None => this.attempt(state, cx, deferred),
            Some(waiting) => this.collect(waiting, state, cx, deferred),
        });
        let Step::Done(host, grant) = step else {
            return Poll::Pending;
        };
        let pool = Arc::downgrade(inner);
        Poll::Ready(match grant {
            Grant::Connect => {
                let key = this.key.take().expect("the key is kept until completion");
                Checkout::Connect(Connecting::new(key, host, pool))
            }
            grant => {
                this.key = None;
                Checkout::Reused(Pooled::from_grant(grant, host, pool))
            }
        })
    }
}

// The future never pins its fields: the key is only moved out by value.
impl<K: Eq + Hash + Clone, C: Connection> Unpin for CheckoutFuture<'_, K, C> {}

impl<K: Eq + Hash + Clone, C: Connection> Drop for CheckoutFuture<'_, K, C> {
    fn drop(&mut self) {
        if let Some(Waiting { host, slot }) = self.waiting.take() {
            self.pool
                .inner
                .with_state(|state, deferred| state.cancel_waiter(host, slot, deferred));
        }
    }
}

impl<K: Eq + Hash + Clone, C: Connection> fmt::Debug for CheckoutFuture<'_, K, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutFuture")
            .field("waiting", &self.waiting.is_some())
            .finish_non_exhaustive()
    }
}
