//! What each runtime of the build adds: boxed `Send` request futures (for APIs that must name
//! their future type, such as tower's `Service`) and `Send + Sync` timers.

use std::{future::Future, pin::Pin};

use aioduct_core::{Body, BoxFuture};

use crate::{
    Client, Error, HttpRuntime, Response, body::BoxSleep, client::MetaSlot,
    request::RequestOptions, transport::RuntimeGlue,
};

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

    #[doc(hidden)]
    #[allow(private_interfaces)]
    fn transport_boxed<'a>(
        client: &'a Client<Self>,
        request: http::Request<Body>,
        options: RequestOptions,
        last: &'a MetaSlot,
    ) -> BoxFuture<'a, Result<http::Response<Body>, Error>>;
}

/// Implements [`SendRuntime`] for a concrete runtime. The boxing happens where the runtime is
/// known, so the compiler can see that every part of the request future is `Send`.
///
/// The methods are `#[inline]`: compiled only in the crate that uses them, with the request path
/// that crate compiles anyway. Without it this crate would compile its own copy of the whole
/// transport (hyper, rustls, proxies) for each runtime, and a program would link both copies
/// (~0.7 MB of a 4.4 MB HTTPS GET binary).
macro_rules! send_runtime {
    ($runtime:ty) => {
        impl SendRuntime for $runtime {
            #[inline]
            fn execute_boxed(client: Client<Self>, request: http::Request<Body>) -> SendFuture {
                Box::pin(async move { client.execute(request).await })
            }

            #[inline]
            #[allow(private_interfaces)]
            fn transport_boxed<'a>(
                client: &'a Client<Self>,
                request: http::Request<Body>,
                options: RequestOptions,
                last: &'a MetaSlot,
            ) -> BoxFuture<'a, Result<http::Response<Body>, Error>> {
                Box::pin(client.exchange_into(request, options, last))
            }
        }
    };
}

/// Implements [`RuntimeGlue`] with the runtime's own timer and resolver, which are `Send`
/// already.
macro_rules! native_glue {
    ($runtime:ty) => {
        impl RuntimeGlue for $runtime {
            #[inline]
            fn sync_sleep(duration: std::time::Duration) -> BoxSleep {
                Box::pin(<$runtime as aioduct_core::Runtime>::sleep(duration))
            }

            #[inline]
            fn shared_resolver() -> Option<std::sync::Arc<dyn aioduct_core::Resolve>> {
                let resolve = |name: aioduct_core::Name| async move {
                    <$runtime as aioduct_core::Runtime>::resolve(name, 0)
                        .await
                        .map_err(aioduct_core::BoxError::from)
                };
                Some(std::sync::Arc::new(resolve))
            }
        }
    };
}

#[cfg(feature = "tokio")]
send_runtime!(aioduct_rt_tokio::TokioRuntime);
#[cfg(feature = "tokio")]
native_glue!(aioduct_rt_tokio::TokioRuntime);

#[cfg(feature = "smol")]
send_runtime!(aioduct_rt_smol::SmolRuntime);
#[cfg(feature = "smol")]
native_glue!(aioduct_rt_smol::SmolRuntime);

/// compio's timers are `!Send`; a response body may move between threads, so its timeouts run
/// on futures-timer's timer thread. I/O stays on compio's io_uring driver.
#[cfg(feature = "compio")]
impl RuntimeGlue for aioduct_rt_compio::CompioRuntime {
    fn sync_sleep(duration: std::time::Duration) -> BoxSleep {
        Box::pin(futures_timer::Delay::new(duration))
    }
}
