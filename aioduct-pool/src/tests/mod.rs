//! Unit tests on a fake connection; futures are polled by hand so every wake-up is observable.

mod exclusive;
mod shared;
mod waiters;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use crate::{Checkout, Config, Connecting, Connection, Pool, Pooled};

type TestPool = Pool<&'static str, Fake>;

const KEY: &str = "a.example:443";

/// A connection whose openness the test controls through a shared flag.
#[derive(Debug)]
struct Fake {
    id: usize,
    open: Arc<AtomicBool>,
    multiplexed: bool,
}

impl Connection for Fake {
    fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    fn share(&self) -> Option<Self> {
        self.multiplexed.then(|| Fake {
            id: self.id,
            open: Arc::clone(&self.open),
            multiplexed: true,
        })
    }
}

/// The test's side of a fake connection.
struct Remote(Arc<AtomicBool>);

impl Remote {
    fn close(&self) {
        self.0.store(false, Ordering::SeqCst);
    }

    /// How many handles to the connection (pooled, lent or not yet dropped) are alive.
    fn handles(&self) -> usize {
        Arc::strong_count(&self.0) - 1
    }
}

fn fake(id: usize, multiplexed: bool) -> (Fake, Remote) {
    let open = Arc::new(AtomicBool::new(true));
    let conn = Fake {
        id,
        open: Arc::clone(&open),
        multiplexed,
    };
    (conn, Remote(open))
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Wakes {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A future under test with its own counting waker.
struct Task<F> {
    future: F,
    wakes: Arc<Wakes>,
}

impl<F: Future + Unpin> Task<F> {
    fn new(future: F) -> Self {
        Self {
            future,
            wakes: Arc::default(),
        }
    }

    fn poll(&mut self) -> Poll<F::Output> {
        let waker = Waker::from(Arc::clone(&self.wakes));
        Pin::new(&mut self.future).poll(&mut Context::from_waker(&waker))
    }

    fn wakes(&self) -> usize {
        self.wakes.count()
    }
}

fn pool(config: Config) -> TestPool {
    Pool::new(config)
}

/// Checks out `key` without waiting; panics if the checkout would wait.
fn checkout_now(pool: &TestPool, key: &'static str) -> Checkout<&'static str, Fake> {
    match Task::new(pool.checkout(key)).poll() {
        Poll::Ready(checkout) => checkout,
        Poll::Pending => panic!("checkout for {key} would wait"),
    }
}

fn expect_connect(checkout: Checkout<&'static str, Fake>) -> Connecting<&'static str, Fake> {
    match checkout {
        Checkout::Connect(permit) => permit,
        Checkout::Reused(conn) => panic!("expected a permit, got reused connection {}", conn.id),
    }
}

fn expect_reused(checkout: Checkout<&'static str, Fake>) -> Pooled<&'static str, Fake> {
    match checkout {
        Checkout::Reused(conn) => conn,
        Checkout::Connect(_) => panic!("expected a reused connection, got a permit"),
    }
}

/// Opens a new connection for `key` through a permit.
fn connect(
    pool: &TestPool,
    key: &'static str,
    id: usize,
    multiplexed: bool,
) -> (Pooled<&'static str, Fake>, Remote) {
    let permit = expect_connect(checkout_now(pool, key));
    assert_eq!(*permit.key(), key);
    let (conn, remote) = fake(id, multiplexed);
    let pooled = permit.insert(conn);
    assert!(!pooled.is_reused());
    (pooled, remote)
}

#[test]
fn pool_handles_are_clones_of_one_pool() {
    let pool = pool(Config::default());
    let other = pool.clone();
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    drop(conn);
    assert_eq!(other.idle_count(&KEY), 1);
    assert_eq!(expect_reused(checkout_now(&other, KEY)).id, 1);
}

#[test]
fn futures_lite_executor_drives_a_checkout() {
    let pool = pool(Config::default());
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    drop(conn);
    let checkout = futures_lite::future::block_on(pool.checkout(KEY));
    assert_eq!(expect_reused(checkout).id, 1);
}
