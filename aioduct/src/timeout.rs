//! Racing a future against a runtime timer.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use aioduct_core::Runtime;

/// The timer won the race.
#[derive(Debug)]
pub(crate) struct Elapsed;

/// Runs `future`, giving up after `limit` (never, for `None`).
pub(crate) fn timeout<R: Runtime, F: Future>(
    limit: Option<Duration>,
    future: F,
) -> Race<F, R::Sleep> {
    race(future, limit.map(R::sleep))
}

/// Runs `future` until `timer` fires (never, for `None`).
///
/// A plain function returning one future whatever the timer: an `async fn`, or a `match` that
/// awaits the future alone in one arm and raced in another, would hold `future` twice in its
/// state, and request futures are large.
pub(crate) fn race<F: Future, S: Future<Output = ()>>(future: F, timer: Option<S>) -> Race<F, S> {
    Race { future, timer }
}

pin_project_lite::pin_project! {
    /// The future of [`race`]. Built as a literal around the call that makes `future`, it can be
    /// constructed in place: a large future passed through `race` is copied once more.
    pub(crate) struct Race<F, S> {
        #[pin]
        pub(crate) future: F,
        #[pin]
        pub(crate) timer: Option<S>,
    }
}

impl<F: Future, S: Future<Output = ()>> Future for Race<F, S> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        match this.timer.as_pin_mut() {
            Some(timer) => timer.poll(cx).map(|()| Err(Elapsed)),
            None => Poll::Pending,
        }
    }
}
