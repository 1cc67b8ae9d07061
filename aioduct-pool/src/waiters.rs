//! Storage for checkouts that wait: a slab of slots, so a waiting future finds its slot in O(1).

use std::mem;
use std::task::Waker;

use crate::inner::Deferred;

/// What the pool gives a waiting (or fresh) checkout.
pub(crate) enum Grant<C> {
    /// An idle exclusive connection.
    Idle(C),
    /// A handle to the key's multiplexed connection, with that connection's id.
    Shared(C, u64),
    /// A reserved slot: the checkout may open a new connection.
    Connect,
}

/// One slot of the slab.
enum Slot<C> {
    Vacant,
    Waiting(Waker),
    Granted(Grant<C>),
}

/// The slab of waiter slots. A slot belongs to one checkout future from `insert` until that future
/// takes its grant or is dropped, so an index is never reused while someone still holds it.
pub(crate) struct Waiters<C> {
    slots: Vec<Slot<C>>,
    free: Vec<usize>,
}

impl<C> Waiters<C> {
    pub(crate) fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores a new waiting slot and returns its index.
    pub(crate) fn insert(&mut self, waker: Waker) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Slot::Waiting(waker);
                slot
            }
            None => {
                self.slots.push(Slot::Waiting(waker));
                self.slots.len() - 1
            }
        }
    }

    /// Hands `grant` to a waiting slot and schedules its wake-up for after the lock is released.
    pub(crate) fn grant(&mut self, slot: usize, grant: Grant<C>, deferred: &mut Deferred<C>) {
        match mem::replace(&mut self.slots[slot], Slot::Granted(grant)) {
            Slot::Waiting(waker) => deferred.wake(waker),
            Slot::Vacant | Slot::Granted(_) => unreachable!("only queued slots are granted"),
        }
    }

    /// Returns the slot's grant, freeing the slot, or refreshes its waker if nothing was granted yet.
    pub(crate) fn poll(&mut self, slot: usize, waker: &Waker) -> Option<Grant<C>> {
        match &mut self.slots[slot] {
            Slot::Waiting(stored) => {
                if !stored.will_wake(waker) {
                    stored.clone_from(waker);
                }
                None
            }
            Slot::Granted(_) => match self.remove(slot) {
                Some(grant) => Some(grant),
                None => unreachable!("the slot was granted"),
            },
            Slot::Vacant => unreachable!("a waiting future owns its slot"),
        }
    }

    /// Frees the slot and returns its grant, if it had one.
    pub(crate) fn remove(&mut self, slot: usize) -> Option<Grant<C>> {
        let old = mem::replace(&mut self.slots[slot], Slot::Vacant);
        self.free.push(slot);
        match old {
            Slot::Granted(grant) => Some(grant),
            Slot::Waiting(_) => None,
            Slot::Vacant => unreachable!("a slot is freed once"),
        }
    }
}
