use std::{
    collections::HashMap,
    fmt,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, Weak,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use aioduct_core::{Addrs, Name, Resolve, Resolving};
use futures_util::future::{BoxFuture, FutureExt, Shared};

use crate::Error;

/// A small cache in front of any [`Resolve`]: answers are kept for a fixed time, failures for a
/// shorter one, and concurrent lookups of one name share a single call to the inner resolver.
///
/// # What it is for
///
/// Resolvers that do not see DNS TTLs, such as the runtimes' system resolvers (`getaddrinfo`
/// on a thread pool), ask the operating system again for every connection. This wraps one of
/// them. [`HickoryResolver`](crate::HickoryResolver) does not need it: its own cache honours
/// the TTL of each record.
///
/// It needs no runtime: time is read from [`Instant`], and expired entries are dropped when
/// met, without a timer task.
///
/// # Example
///
/// ```
/// use std::{
///     net::SocketAddr,
///     sync::{Arc, atomic::{AtomicUsize, Ordering}},
///     time::Duration,
/// };
/// use aioduct_core::{Addrs, BoxError, Name, Resolve};
/// use aioduct_dns::CachingResolver;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let calls = Arc::new(AtomicUsize::new(0));
/// let counted = calls.clone();
/// let system = move |_name: Name| {
///     counted.fetch_add(1, Ordering::SeqCst);
///     async { Ok::<_, BoxError>(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 1], 0))])) }
/// };
/// let resolver = CachingResolver::new(system).ttl(Duration::from_secs(30));
///
/// resolver.resolve(Name::new("example.test")).await.unwrap();
/// resolver.resolve(Name::new("example.test")).await.unwrap();
/// assert_eq!(calls.load(Ordering::SeqCst), 1);
/// # });
/// ```
pub struct CachingResolver<R> {
    inner: R,
    table: Arc<Table>,
    ttl: Duration,
    negative_ttl: Duration,
    max_entries: usize,
}

/// The entries, shared with the lookups in flight so that they can store their result.
struct Table {
    entries: Mutex<HashMap<Name, Slot>>,
    next_id: AtomicU64,
}

enum Slot {
    Ready {
        result: Result<Addrs, Error>,
        expires: Instant,
    },
    /// A lookup in flight; `id` tells it apart from a later lookup of the same name.
    Pending { id: u64, lookup: Lookup },
}

type Lookup = Shared<BoxFuture<'static, Result<Addrs, Error>>>;

impl<R: Resolve> CachingResolver<R> {
    /// Wraps `inner` with the defaults: answers kept for 60 s, failures for 1 s, at most 1024
    /// names.
    pub fn new(inner: R) -> Self {
        CachingResolver {
            inner,
            table: Arc::new(Table {
                entries: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(0),
            }),
            ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(1),
            max_entries: 1024,
        }
    }

    /// How long a successful answer is reused. Zero keeps nothing (lookups in flight are still
    /// shared).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long a failure (unknown name, timeout, any error) is returned again without asking
    /// the inner resolver, so a burst of requests to a dead name costs one lookup. Zero keeps
    /// no failures.
    pub fn negative_ttl(mut self, ttl: Duration) -> Self {
        self.negative_ttl = ttl;
        self
    }

    /// The most names remembered. When full, expired entries go first, then the entry closest
    /// to expiry; lookups in flight are never dropped.
    pub fn max_entries(mut self, max: usize) -> Self {
        self.max_entries = max.max(1);
        self
    }

    /// Forgets every stored answer and failure. Lookups in flight still complete for their
    /// waiters.
    pub fn clear(&self) {
        self.table.lock().clear();
    }

    /// The stored answer or the lookup in flight for `name`, if any.
    fn cached(&self, name: &Name) -> Option<Cached> {
        match self.table.lock().get(name)? {
            Slot::Ready { result, expires } if *expires > Instant::now() => {
                Some(Cached::Ready(result.clone()))
            }
            Slot::Ready { .. } => None,
            Slot::Pending { lookup, .. } => Some(Cached::Pending(lookup.clone())),
        }
    }

    /// Starts a lookup of `name` on the inner resolver, shared by every caller until it
    /// completes, and stores its result. A lookup another caller started meanwhile wins.
    fn start(&self, name: Name) -> Lookup {
        let id = self.table.next_id.fetch_add(1, Ordering::Relaxed);
        // Called without the lock held: the inner resolver runs user code.
        let inner = self.inner.resolve(name.clone());
        // A weak handle: a lookup nobody awaits any more must not keep the table alive.
        let table = Arc::downgrade(&self.table);
        let (ttl, negative_ttl) = (self.ttl, self.negative_ttl);
        let lookup = {
            let name = name.clone();
            async move {
                let result = inner
                    .await
                    .map_err(|err| Error::from_boxed(name.clone(), err));
                let keep_for = if result.is_ok() { ttl } else { negative_ttl };
                store(&table, name, id, &result, keep_for);
                result
            }
            .boxed()
            .shared()
        };

        let mut entries = self.table.lock();
        if let Some(Slot::Pending { lookup, .. }) = entries.get(&name) {
            return lookup.clone();
        }
        self.make_room(&mut entries);
        let pending = Slot::Pending {
            id,
            lookup: lookup.clone(),
        };
        entries.insert(name, pending);
        lookup
    }

    /// Evicts until one more entry fits, if anything can be evicted.
    fn make_room(&self, entries: &mut HashMap<Name, Slot>) {
        if entries.len() < self.max_entries {
            return;
        }
        let now = Instant::now();
        entries.retain(|_, slot| match slot {
            Slot::Ready { expires, .. } => *expires > now,
            Slot::Pending { .. } => true,
        });
        if entries.len() < self.max_entries {
            return;
        }
        let soonest = entries
            .iter()
            .filter_map(|(name, slot)| match slot {
                Slot::Ready { expires, .. } => Some((*expires, name)),
                Slot::Pending { .. } => None,
            })
            .min_by_key(|(expires, _)| *expires)
            .map(|(_, name)| name.clone());
        if let Some(name) = soonest {
            entries.remove(&name);
        }
    }
}

/// Stores a finished lookup, unless the slot now belongs to a newer lookup of the name.
fn store(table: &Weak<Table>, name: Name, id: u64, result: &Result<Addrs, Error>, keep: Duration) {
    let Some(table) = table.upgrade() else {
        return;
    };
    let mut entries = table.lock();
    let ours = match entries.get(&name) {
        Some(Slot::Pending { id: pending, .. }) => *pending == id,
        Some(Slot::Ready { .. }) => false,
        // Cleared or evicted while in flight: the answer is still fresh.
        None => true,
    };
    if !ours {
        return;
    }
    if keep.is_zero() {
        entries.remove(&name);
    } else {
        let expires = Instant::now() + keep;
        let result = result.clone();
        entries.insert(name, Slot::Ready { result, expires });
    }
}

impl Table {
    fn lock(&self) -> MutexGuard<'_, HashMap<Name, Slot>> {
        // A panic while holding the lock leaves the map consistent: every update is one call.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

enum Cached {
    Ready(Result<Addrs, Error>),
    Pending(Lookup),
}

impl<R: Resolve> Resolve for CachingResolver<R> {
    fn resolve(&self, name: Name) -> Resolving {
        let lookup = match self.cached(&name) {
            Some(Cached::Ready(result)) => {
                let result = result.map_err(Into::into);
                return Box::pin(async move { result });
            }
            Some(Cached::Pending(lookup)) => lookup,
            None => self.start(name),
        };
        Box::pin(async move { lookup.await.map_err(Into::into) })
    }
}

impl<R: Clone> Clone for CachingResolver<R> {
    /// The clone shares the cache.
    fn clone(&self) -> Self {
        CachingResolver {
            inner: self.inner.clone(),
            table: self.table.clone(),
            ttl: self.ttl,
            negative_ttl: self.negative_ttl,
            max_entries: self.max_entries,
        }
    }
}

impl<R: fmt::Debug> fmt::Debug for CachingResolver<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingResolver")
            .field("inner", &self.inner)
            .field("ttl", &self.ttl)
            .field("negative_ttl", &self.negative_ttl)
            .field("max_entries", &self.max_entries)
            .field("entries", &self.table.lock().len())
            .finish()
    }
}
