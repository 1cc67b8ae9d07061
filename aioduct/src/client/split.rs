//! The future of [`Client::exchange_into`](super::Client): one exchange whose response goes on
//! through middleware as core types.

use std::{
    future::Future,
    pin::Pin,
    sync::PoisonError,
    task::{Context, Poll, ready},
};

use aioduct_core::{Body, Error};

use super::MetaSlot;
use crate::Response;

pin_project_lite::pin_project! {
    /// Runs `exchange`, then splits its response: the `http::Response` for the middleware, the
    /// URL, peer and timings into `last`.
    ///
    /// A future of its own rather than an `async fn`, which would keep a second copy of the
    /// request beside the exchange's and move the response once more.
    pub(crate) struct SplitMeta<'a, F> {
        #[pin]
        pub(crate) exchange: F,
        pub(crate) last: &'a MetaSlot,
    }
}

impl<F: Future<Output = Result<Response, Error>>> Future for SplitMeta<'_, F> {
    type Output = Result<http::Response<Body>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let (response, meta) = ready!(this.exchange.poll(cx))?.split_meta();
        *this.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(meta);
        Poll::Ready(Ok(response))
    }
}
