//! The response body: hyper's incoming stream, the connection lease, and the timers that bound
//! reading it.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

use aioduct_core::{BoxError, Error, ErrorKind};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;

use crate::transport::Lease;

/// A boxed timer future.
pub(crate) type BoxSleep = Pin<Box<dyn Future<Output = ()> + Send + Sync>>;

/// Makes a timer: `R::sleep`, boxed, stored as a plain function pointer so the body type does not
/// depend on the runtime.
pub(crate) type MakeSleep = fn(Duration) -> BoxSleep;

/// The clock of the runtime.
pub(crate) type Now = fn() -> Instant;

/// Limits on reading a body.
pub(crate) struct ReadLimits {
    /// The end of the whole exchange (client or request `timeout`).
    pub(crate) deadline: Option<BoxSleep>,
    /// The longest wait for the next bytes.
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) make_sleep: MakeSleep,
    pub(crate) now: Now,
    pub(crate) started: Instant,
}

/// The body of a [`crate::Response`].
pub(crate) struct ResponseBody {
    incoming: Incoming,
    lease: Option<Lease>,
    limits: ReadLimits,
    read_timer: Option<BoxSleep>,
    /// Request start to end of body, once the end was reached.
    total: Option<Duration>,
    /// The same, for a response that went through middleware (which sees only a `Body`).
    shared_total: Option<SharedTotal>,
}

/// Where a body that middleware wrapped reports its total time.
pub(crate) type SharedTotal = std::sync::Arc<std::sync::OnceLock<Duration>>;

impl ResponseBody {
    pub(crate) fn new(incoming: Incoming, lease: Option<Lease>, limits: ReadLimits) -> Self {
        let mut body = ResponseBody {
            incoming,
            lease,
            limits,
            read_timer: None,
            total: None,
            shared_total: None,
        };
        if http_body::Body::is_end_stream(&body.incoming) {
            body.finish();
        }
        body
    }

    /// Request start to end of body, once the end was reached.
    pub(crate) fn total(&self) -> Option<Duration> {
        self.total
    }

    /// A cell that receives the total time when the body ends (at once if it has).
    pub(crate) fn share_total(&mut self) -> SharedTotal {
        let cell = self.shared_total.get_or_insert_with(SharedTotal::default);
        if let Some(total) = self.total {
            let _ = cell.set(total);
        }
        cell.clone()
    }

    /// The body ended: the connection can serve the next request.
    fn finish(&mut self) {
        self.lease = None;
        self.limits.deadline = None;
        self.read_timer = None;
        let total = (self.limits.now)().duration_since(self.limits.started);
        self.total = Some(total);
        if let Some(cell) = &self.shared_total {
            let _ = cell.set(total);
        }
    }

    fn fail(&mut self, err: Error) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        // A connection whose body broke off is in an unknown state; never reuse it.
        if let Some(lease) = self.lease.take() {
            lease.discard();
        }
        self.limits.deadline = None;
        self.read_timer = None;
        Poll::Ready(Some(Err(err.into())))
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.read_timer = None;
                if this.incoming.is_end_stream() {
                    this.finish();
                }
                return Poll::Ready(Some(Ok(frame)));
            }
            Poll::Ready(Some(Err(err))) => {
                let kind = if err.is_timeout() {
                    ErrorKind::Timeout
                } else {
                    ErrorKind::Body
                };
                return this.fail(Error::new(kind, Some(err)));
            }
            Poll::Ready(None) => {
                this.finish();
                return Poll::Ready(None);
            }
            Poll::Pending => {}
        }
        if let Some(deadline) = &mut this.limits.deadline
            && deadline.as_mut().poll(cx).is_ready()
        {
            return this.fail(Error::msg(
                ErrorKind::Timeout,
                "request timed out while reading the body",
            ));
        }
        if let Some(limit) = this.limits.read_timeout {
            let timer = this
                .read_timer
                .get_or_insert_with(|| (this.limits.make_sleep)(limit));
            if timer.as_mut().poll(cx).is_ready() {
                return this.fail(Error::msg(
                    ErrorKind::Timeout,
                    "read timed out waiting for body bytes",
                ));
            }
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
