//! Request-rate and bandwidth limiters, both token buckets that wait on a [`Timer`].
//!
//! - [`RateLimiter`] with the [`RateLimit`] middleware: at most `requests` per `period` on
//!   average, with bursts of up to `burst` requests.
//! - [`BandwidthLimiter`] with the [`BandwidthLimit`] middleware: response bodies are read at
//!   most `bytes_per_sec` on average, with bursts of up to `burst` bytes.
//!
//! A limiter is shared by its clones: hand clones to several clients (or middleware) and they
//! draw from one bucket. Waiting is one [`Timer::sleep`] per request or body frame, never a
//! busy loop.
//!
//! Both buckets are kept as the time at which they will next be full (the generic cell rate
//! algorithm): each request or frame moves that time forward by its cost and learns at once how
//! long it must wait, so waiters are served in the order they arrived. A request whose future
//! is dropped while it waits keeps its place, and the bucket stays charged for it.

mod bandwidth;

use std::{
    fmt,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use aioduct_core::{BoxFuture, Middleware, Next, Request, Response, Result};

use crate::Timer;

pub use bandwidth::{BandwidthLimit, BandwidthLimiter};

/// A token bucket, kept as the time it will next be full (its "theoretical arrival time").
#[derive(Debug, Default)]
struct Bucket {
    full_at: Option<Instant>,
}

impl Bucket {
    /// Charges `cost` at `now` to a bucket that holds `capacity` (both as time at the fill rate)
    /// and returns how long the charge must wait for its tokens. A cost above the capacity waits
    /// for a full bucket and leaves it in debt.
    fn reserve(&mut self, now: Instant, cost: Duration, capacity: Duration) -> Duration {
        let start = self.full_at.filter(|at| *at > now).unwrap_or(now);
        let end = start + cost;
        self.full_at = Some(end);
        let ready_at = end.checked_sub(capacity).map_or(now, |at| at.min(start));
        ready_at.saturating_duration_since(now)
    }
}

/// Locks `mutex`, ignoring poisoning: the state is a plain timestamp, valid whatever panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A request-rate limit: `requests` per `period` on average, bursts of `burst` (by default
/// `requests`). Clones share one bucket.
///
/// A full bucket lets `burst` requests through at once; after that one request goes through
/// every `period / requests`. So with the default burst, a window of one `period` can see up to
/// `2 * requests - 1` requests; set `burst(1)` for an even pace with no burst.
///
/// ```
/// use std::time::Duration;
/// use aioduct_middleware::limit::RateLimiter;
///
/// // 10 requests a second, no more than 3 at once.
/// let limiter = RateLimiter::new(10, Duration::from_secs(1)).burst(3);
/// let shared = limiter.clone(); // draws from the same bucket
/// # drop(shared);
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    state: Arc<Mutex<RateState>>,
}

struct RateState {
    /// Time to earn one request.
    interval: Duration,
    burst: u32,
    bucket: Bucket,
}

impl RateLimiter {
    /// `requests` per `period` (a `requests` of 0 counts as 1), with bursts of `requests`.
    pub fn new(requests: u32, period: Duration) -> Self {
        let requests = requests.max(1);
        RateLimiter {
            state: Arc::new(Mutex::new(RateState {
                interval: period / requests,
                burst: requests,
                bucket: Bucket::default(),
            })),
        }
    }

    /// The most requests let through at once when the bucket is full (at least 1).
    pub fn burst(self, burst: u32) -> Self {
        lock(&self.state).burst = burst.max(1);
        self
    }

    /// Takes a request's token at `now`; returns how long to wait for it.
    fn reserve(&self, now: Instant) -> Duration {
        let state = &mut *lock(&self.state);
        let capacity = state
            .interval
            .checked_mul(state.burst)
            .unwrap_or(Duration::MAX);
        state.bucket.reserve(now, state.interval, capacity)
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("RateLimiter")
            .field("interval", &state.interval)
            .field("burst", &state.burst)
            .finish()
    }
}

/// The middleware that holds each request until its [`RateLimiter`] has a token for it.
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use aioduct_core::BoxFuture;
/// use aioduct_middleware::{Timer, limit::{RateLimit, RateLimiter}};
///
/// struct Tokio;
/// impl Timer for Tokio {
///     fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
///         Box::pin(tokio::time::sleep(duration))
///     }
/// }
///
/// let limiter = RateLimiter::new(5, Duration::from_secs(1));
/// let middleware = RateLimit::new(limiter, Arc::new(Tokio));
/// # drop(middleware);
/// ```
#[derive(Clone)]
pub struct RateLimit {
    limiter: RateLimiter,
    timer: Arc<dyn Timer>,
}

impl RateLimit {
    /// Limits requests with `limiter`, waiting on `timer`.
    pub fn new(limiter: RateLimiter, timer: Arc<dyn Timer>) -> Self {
        RateLimit { limiter, timer }
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl Middleware for RateLimit {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        let wait = self.limiter.reserve(self.timer.now());
        if wait.is_zero() {
            return next.run(req);
        }
        let sleep = self.timer.sleep(wait);
        Box::pin(async move {
            sleep.await;
            next.run(req).await
        })
    }
}

#[cfg(test)]
mod tests;
