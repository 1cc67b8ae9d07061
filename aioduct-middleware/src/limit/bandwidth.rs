//! The download-speed limit: a token bucket on response body bytes.

use std::{
    fmt,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};

use aioduct_core::{Body, BoxError, BoxFuture, Middleware, Next, Request, Response, Result};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};

use super::{Bucket, lock};
use crate::Timer;

/// The smallest burst, so that a slow limit does not cut bodies into tiny frames.
const MIN_BURST: u64 = 1024;

/// A download-speed limit: response bodies are read at `bytes_per_sec` on average, with bursts
/// of `burst` bytes (by default a tenth of a second's worth, at least 1 KiB). Clones share one
/// bucket, so every response of a client counts against the same limit.
///
/// A body frame larger than the burst is split (without copying) into burst-sized pieces, and
/// each piece waits until the bucket holds its size; so a large frame does not slip through at
/// once, and the pace stays even.
///
/// ```
/// use aioduct_middleware::limit::BandwidthLimiter;
///
/// // 1 MiB/s, up to 256 KiB at once.
/// let limiter = BandwidthLimiter::new(1 << 20).burst(256 << 10);
/// # drop(limiter);
/// ```
#[derive(Clone)]
pub struct BandwidthLimiter {
    state: Arc<Mutex<BandwidthState>>,
}

struct BandwidthState {
    bytes_per_sec: u64,
    burst: u64,
    bucket: Bucket,
}

impl BandwidthLimiter {
    /// `bytes_per_sec` on average (0 counts as 1).
    pub fn new(bytes_per_sec: u64) -> Self {
        let bytes_per_sec = bytes_per_sec.max(1);
        BandwidthLimiter {
            state: Arc::new(Mutex::new(BandwidthState {
                bytes_per_sec,
                burst: (bytes_per_sec / 10).max(MIN_BURST),
                bucket: Bucket::default(),
            })),
        }
    }

    /// The most bytes let through at once when the bucket is full (at least 1 KiB).
    pub fn burst(self, bytes: u64) -> Self {
        lock(&self.state).burst = bytes.max(MIN_BURST);
        self
    }

    /// Takes tokens at `now` for the next piece of a frame of `available` bytes: returns the
    /// piece's length and how long to wait before handing it out.
    fn take(&self, now: Instant, available: usize) -> (usize, Duration) {
        let state = &mut *lock(&self.state);
        let piece = available.min(usize::try_from(state.burst).unwrap_or(usize::MAX));
        let cost = transfer_time(piece as u64, state.bytes_per_sec);
        let capacity = transfer_time(state.burst, state.bytes_per_sec);
        (piece, state.bucket.reserve(now, cost, capacity))
    }
}

/// The time `bytes` take at `bytes_per_sec`.
fn transfer_time(bytes: u64, bytes_per_sec: u64) -> Duration {
    let nanos = u128::from(bytes) * 1_000_000_000 / u128::from(bytes_per_sec);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

impl fmt::Debug for BandwidthLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("BandwidthLimiter")
            .field("bytes_per_sec", &state.bytes_per_sec)
            .field("burst", &state.burst)
            .finish()
    }
}

/// The middleware that paces response bodies with a [`BandwidthLimiter`]. Request bodies are
/// not limited.
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use aioduct_core::BoxFuture;
/// use aioduct_middleware::{Timer, limit::{BandwidthLimit, BandwidthLimiter}};
///
/// struct Tokio;
/// impl Timer for Tokio {
///     fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
///         Box::pin(tokio::time::sleep(duration))
///     }
/// }
///
/// let middleware = BandwidthLimit::new(BandwidthLimiter::new(512 << 10), Arc::new(Tokio));
/// # drop(middleware);
/// ```
#[derive(Clone)]
pub struct BandwidthLimit {
    limiter: BandwidthLimiter,
    timer: Arc<dyn Timer>,
}

impl BandwidthLimit {
    /// Paces response bodies with `limiter`, waiting on `timer`.
    pub fn new(limiter: BandwidthLimiter, timer: Arc<dyn Timer>) -> Self {
        BandwidthLimit { limiter, timer }
    }
}

impl fmt::Debug for BandwidthLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BandwidthLimit")
            .field("limiter", &self.limiter)
            .finish_non_exhaustive()
    }
}

impl Middleware for BandwidthLimit {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        Box::pin(async move {
            let resp = next.run(req).await?;
            if resp.body().is_end_stream() {
                return Ok(resp);
            }
            Ok(resp.map(|body| {
                Body::wrap(LimitedBody {
                    inner: body,
                    limiter: self.limiter.clone(),
                    timer: self.timer.clone(),
                    rest: Bytes::new(),
                    held: None,
                })
            }))
        })
    }
}

/// A response body whose data frames wait for the bandwidth limiter's tokens.
struct LimitedBody {
    inner: Body,
    limiter: BandwidthLimiter,
    timer: Arc<dyn Timer>,
    /// What is left of a frame split into burst-sized pieces.
    rest: Bytes,
    /// A piece, and the sleep it waits out before it is handed on.
    held: Option<(Bytes, BoxFuture<'static, ()>)>,
}

impl HttpBody for LimitedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            if let Some((_, sleep)) = &mut this.held {
                ready!(sleep.as_mut().poll(cx));
                let (piece, _) = this.held.take().expect("held above");
                return Poll::Ready(Some(Ok(Frame::data(piece))));
            }
            let mut data = if this.rest.is_empty() {
                match ready!(Pin::new(&mut this.inner).poll_frame(cx)) {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) if data.is_empty() => continue,
                        Ok(data) => data,
                        Err(trailers) => return Poll::Ready(Some(Ok(trailers))),
                    },
                    other => return Poll::Ready(other),
                }
            } else {
                std::mem::take(&mut this.rest)
            };
            let (len, wait) = this.limiter.take(this.timer.now(), data.len());
            if len < data.len() {
                this.rest = data.split_off(len);
            }
            if wait.is_zero() {
                return Poll::Ready(Some(Ok(Frame::data(data))));
            }
            this.held = Some((data, this.timer.sleep(wait)));
        }
    }

    fn is_end_stream(&self) -> bool {
        self.held.is_none() && self.rest.is_empty() && self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        let pending = self.rest.len() + self.held.as_ref().map_or(0, |(piece, _)| piece.len());
        let inner = self.inner.size_hint();
        let mut hint = SizeHint::new();
        hint.set_lower(inner.lower() + pending as u64);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + pending as u64);
        }
        hint
    }
}
