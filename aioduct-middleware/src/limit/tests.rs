use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::{Duration, Instant},
};

use aioduct_core::{Body, Endpoint, http};
use bytes::Bytes;
use futures_lite::future::block_on;
use http_body_util::BodyExt;

use super::*;

const MS: Duration = Duration::from_millis(1);

/// A virtual clock: `sleep` records the wait and moves the clock forward at once.
struct VirtualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl VirtualClock {
    fn new() -> Arc<Self> {
        Arc::new(VirtualClock {
            start: Instant::now(),
            elapsed: Mutex::new(Duration::ZERO),
            sleeps: Mutex::new(Vec::new()),
        })
    }

    fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap() += by;
    }

    fn sleeps(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.sleeps.lock().unwrap())
    }
}

impl Timer for VirtualClock {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.sleeps.lock().unwrap().push(duration);
        self.advance(duration);
        Box::pin(std::future::ready(()))
    }

    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }
}

/// Answers every request with `body` in one frame, counting calls.
struct Serve {
    body: Bytes,
    calls: AtomicUsize,
}

impl Serve {
    fn new(body: impl Into<Bytes>) -> Self {
        Serve {
            body: body.into(),
            calls: AtomicUsize::new(0),
        }
    }
}

impl Endpoint for Serve {
    fn call(&self, _req: Request) -> BoxFuture<'_, Result<Response>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let body = Body::from(self.body.clone());
        Box::pin(async move { Ok(http::Response::new(body)) })
    }
}

fn get(middleware: &Arc<dyn Middleware>, serve: &Serve) -> Response {
    let chain = [middleware.clone()];
    block_on(Next::new(&chain, serve).run(http::Request::new(Body::empty()))).unwrap()
}

/// Reads a body whole, returning its frame lengths and its bytes.
fn frames(resp: Response) -> (Vec<usize>, Vec<u8>) {
    let mut body = resp.into_body();
    let mut lens = Vec::new();
    let mut bytes = Vec::new();
    while let Some(frame) = block_on(body.frame()) {
        let data = frame.unwrap().into_data().unwrap();
        lens.push(data.len());
        bytes.extend_from_slice(&data);
    }
    (lens, bytes)
}

#[test]
fn bucket_charges_in_arrival_order() {
    let now = Instant::now();
    let mut bucket = Bucket::default();
    // Capacity two costs: two go at once, then one per cost.
    let waits: Vec<_> = (0..5)
        .map(|_| bucket.reserve(now, 100 * MS, 200 * MS))
        .collect();
    assert_eq!(
        waits,
        [Duration::ZERO, Duration::ZERO, 100 * MS, 200 * MS, 300 * MS]
    );
    // Once the debt is paid and the bucket refilled, a burst goes through again.
    let later = now + Duration::from_secs(2);
    assert_eq!(bucket.reserve(later, 100 * MS, 200 * MS), Duration::ZERO);
    assert_eq!(bucket.reserve(later, 100 * MS, 200 * MS), Duration::ZERO);
    assert_eq!(bucket.reserve(later, 100 * MS, 200 * MS), 100 * MS);
    // A cost above the capacity waits for a full bucket only, and leaves it in debt.
    let mut bucket = Bucket::default();
    assert_eq!(bucket.reserve(now, 500 * MS, 200 * MS), Duration::ZERO);
    assert_eq!(bucket.reserve(now, 100 * MS, 200 * MS), 400 * MS);
}

#[test]
fn rate_limit_waits_exactly_on_the_timer() {
    let clock = VirtualClock::new();
    let limiter = RateLimiter::new(2, 200 * MS);
    let mw: Arc<dyn Middleware> = Arc::new(RateLimit::new(limiter, clock.clone()));
    let serve = Serve::new("ok");
    for _ in 0..5 {
        get(&mw, &serve);
    }
    assert_eq!(serve.calls.load(Ordering::SeqCst), 5);
    // Two at once, then one every 100 ms.
    assert_eq!(clock.sleeps(), [100 * MS, 100 * MS, 100 * MS]);

    // Idle for a second: the bucket is full again.
    clock.advance(Duration::from_secs(1));
    get(&mw, &serve);
    get(&mw, &serve);
    assert!(clock.sleeps().is_empty());
    get(&mw, &serve);
    assert_eq!(clock.sleeps(), [100 * MS]);
}

#[test]
fn rate_limit_burst_of_one_paces_evenly() {
    let clock = VirtualClock::new();
    let limiter = RateLimiter::new(4, Duration::from_secs(1)).burst(1);
    let mw: Arc<dyn Middleware> = Arc::new(RateLimit::new(limiter, clock.clone()));
    let serve = Serve::new("ok");
    for _ in 0..4 {
        get(&mw, &serve);
    }
    assert_eq!(clock.sleeps(), [250 * MS, 250 * MS, 250 * MS]);
}

#[test]
fn rate_limiter_clones_share_one_bucket() {
    let clock = VirtualClock::new();
    let limiter = RateLimiter::new(1, 100 * MS);
    let a: Arc<dyn Middleware> = Arc::new(RateLimit::new(limiter.clone(), clock.clone()));
    let b: Arc<dyn Middleware> = Arc::new(RateLimit::new(limiter, clock.clone()));
    let serve = Serve::new("ok");
    get(&a, &serve);
    get(&b, &serve);
    get(&a, &serve);
    assert_eq!(clock.sleeps(), [100 * MS, 100 * MS]);
}

#[test]
fn bandwidth_limit_splits_large_frames_and_waits_exactly() {
    let clock = VirtualClock::new();
    // 10 KiB/s: the default burst is 1 KiB, 100 ms worth.
    let limiter = BandwidthLimiter::new(10 * 1024);
    let mw: Arc<dyn Middleware> = Arc::new(BandwidthLimit::new(limiter, clock.clone()));
    let content: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
    let serve = Serve::new(content.clone());
    let (lens, bytes) = frames(get(&mw, &serve));
    assert_eq!(lens, [1024; 4]);
    assert_eq!(bytes, content);
    assert_eq!(clock.sleeps(), [100 * MS, 100 * MS, 100 * MS]);

    // The next response draws from the same, now empty, bucket.
    let (lens, _) = frames(get(&mw, &Serve::new(vec![7u8; 512])));
    assert_eq!(lens, [512]);
    assert_eq!(clock.sleeps(), [50 * MS]);
}

#[test]
fn bandwidth_burst_is_configurable_and_shared_by_clones() {
    let clock = VirtualClock::new();
    let limiter = BandwidthLimiter::new(1000).burst(2000);
    let a: Arc<dyn Middleware> = Arc::new(BandwidthLimit::new(limiter.clone(), clock.clone()));
    let b: Arc<dyn Middleware> = Arc::new(BandwidthLimit::new(limiter, clock.clone()));
    assert_eq!(frames(get(&a, &Serve::new(vec![1u8; 2000]))).0, [2000]);
    assert!(clock.sleeps().is_empty());
    assert_eq!(frames(get(&b, &Serve::new(vec![1u8; 500]))).0, [500]);
    assert_eq!(clock.sleeps(), [500 * MS]);
}

#[test]
fn bandwidth_limit_leaves_empty_bodies_alone() {
    let clock = VirtualClock::new();
    let mw: Arc<dyn Middleware> =
        Arc::new(BandwidthLimit::new(BandwidthLimiter::new(1), clock.clone()));
    let resp = get(&mw, &Serve::new(Bytes::new()));
    assert_eq!(resp.body().as_bytes(), Some(&b""[..]), "not wrapped");
    assert_eq!(frames(resp).0, Vec::<usize>::new());
    assert!(clock.sleeps().is_empty());
}
