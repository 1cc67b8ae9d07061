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
pub(crate) async fn timeout<R: Runtime, F: Future>(
    limit: Option<Duration>,
    future: F,
) -> Result<F::Output, Elapsed> {
    match limit {
        None => Ok(future.await),
        Some(limit) => {
            Race {
                future,
                timer: R::sleep(limit),
            }
            .await
        }
    }
}

/// Runs `future` until `timer` fires.
pub(crate) async fn race<F: Future, S: Future<Output = ()>>(
    future: F,
    timer: S,
) -> Result<F::Output, Elapsed> {
    Race { future, timer }.await
}

pin_project_lite::pin_project! {
    struct Race<F, S> {
        #[pin]
        future: F,
        #[pin]
        timer: S,
    }
}

impl<F: Future, S: Future<Output = ()>> Future for Race<F, S> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.future.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        this.timer.poll(cx).map(|()| Err(Elapsed))
    }
}
