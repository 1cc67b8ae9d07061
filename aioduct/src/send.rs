//! Boxed, `Send` request futures, for APIs that must name their future type (tower's `Service`).

use std::{future::Future, pin::Pin};

use aioduct_core::Body;

use crate::{Client, Error, HttpRuntime, Response};

/// A boxed request future that can move between threads.
pub type SendFuture = Pin<Box<dyn Future<Output = Result<Response, Error>> + Send + 'static>>;

/// A runtime whose request futures are `Send`: tokio and smol.
///
/// `Client<R>::send()` is `Send` on such runtimes without this trait; it exists for APIs that
/// need the future boxed under a name, such as tower's `Service`. Thread-per-core runtimes, whose
/// connections cannot move between threads, do not implement it.
pub trait SendRuntime: HttpRuntime {
    #[doc(hidden)]
    fn execute_boxed(client: Client<Self>, request: http::Request<Body>) -> SendFuture;
}

/// Implements [`SendRuntime`] for a concrete runtime. The boxing happens where the runtime is
/// known, so the compiler can see that every part of the request future is `Send`.
macro_rules! send_runtime {
    ($runtime:ty) => {
        impl SendRuntime for $runtime {
            fn execute_boxed(client: Client<Self>, request: http::Request<Body>) -> SendFuture {
                Box::pin(async move { client.execute(request).await })
            }
        }
    };
}

#[cfg(feature = "tokio")]
send_runtime!(aioduct_rt_tokio::TokioRuntime);
#[cfg(feature = "smol")]
send_runtime!(aioduct_rt_smol::SmolRuntime);
