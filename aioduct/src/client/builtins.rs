//! The built-in middleware of a client (aioduct-middleware), kept in their one documented order.

use std::{collections::BTreeMap, marker::PhantomData, sync::Arc, time::Duration};

use aioduct_core::{BoxFuture, Middleware};
use aioduct_middleware::Timer;

use crate::transport::RuntimeGlue;

/// Where a built-in middleware sits in the chain, outermost first. The order is the one
/// DESIGN.md §3 documents: every redirect hop passes through all the stages after `Redirect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
// Every stage is named whatever features are compiled in; some are set only with theirs.
#[allow(dead_code)]
pub(crate) enum Stage {
    Redirect,
    Hsts,
    Cookies,
    Decompression,
    Retry,
    Netrc,
    Auth,
    RateLimit,
    Bandwidth,
}

/// The built-in middleware a builder has switched on, one per stage.
#[derive(Default)]
pub(crate) struct Builtins {
    stages: BTreeMap<Stage, Arc<dyn Middleware>>,
}

impl Builtins {
    pub(crate) fn set(&mut self, stage: Stage, middleware: impl Middleware) {
        self.stages.insert(stage, Arc::new(middleware));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    pub(crate) fn clear(&mut self, stage: Stage) {
        self.stages.remove(&stage);
    }

    /// The middleware in chain order, outermost first.
    pub(crate) fn into_chain(self) -> impl Iterator<Item = Arc<dyn Middleware>> {
        self.stages.into_values()
    }
}

/// A runtime's timer and clock, for the middleware that waits (retries, limiters).
pub(crate) struct RuntimeTimer<R>(PhantomData<fn() -> R>);

impl<R> RuntimeTimer<R> {
    pub(crate) fn shared() -> Arc<dyn Timer>
    where
        R: RuntimeGlue + 'static,
    {
        Arc::new(RuntimeTimer::<R>(PhantomData))
    }
}

impl<R: RuntimeGlue + 'static> Timer for RuntimeTimer<R> {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        R::sync_sleep(duration)
    }

    fn now(&self) -> std::time::Instant {
        R::now()
    }
}

#[cfg(test)]
mod tests {
    use aioduct_core::{Body, Endpoint, Next, Request, Response, Result};
    use http::HeaderValue;

    use super::*;

    /// Appends its name to the request's `x-order` header and passes the request on.
    struct Named(&'static str);

    impl Middleware for Named {
        fn handle<'a>(
            &'a self,
            mut req: Request,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<Response>> {
            req.headers_mut()
                .append("x-order", HeaderValue::from_static(self.0));
            next.run(req)
        }
    }

    /// Answers with the names the request collected, in the order it met them.
    struct Order;

    impl Endpoint for Order {
        fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>> {
            let names: Vec<&str> = req
                .headers()
                .get_all("x-order")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let response = http::Response::new(Body::from(names.join(",")));
            Box::pin(async move { Ok(response) })
        }
    }

    fn chain_order(builtins: Builtins) -> String {
        let chain: Vec<_> = builtins.into_chain().collect();
        let response = futures_lite::future::block_on(
            Next::new(&chain, &Order).run(Request::new(Body::empty())),
        )
        .expect("the endpoint answers");
        let body =
            futures_lite::future::block_on(http_body_util::BodyExt::collect(response.into_body()))
                .expect("an in-memory body");
        String::from_utf8(body.to_bytes().to_vec()).expect("ASCII names")
    }

    #[test]
    fn stages_run_in_stage_order_whatever_order_they_are_set_in() {
        let mut builtins = Builtins::default();
        assert!(builtins.is_empty());
        builtins.set(Stage::Retry, Named("retry"));
        builtins.set(Stage::Redirect, Named("redirect"));
        builtins.set(Stage::Bandwidth, Named("bandwidth"));
        builtins.set(Stage::Cookies, Named("cookies"));
        assert_eq!(chain_order(builtins), "redirect,cookies,retry,bandwidth");
    }

    #[test]
    fn setting_a_stage_again_replaces_it_and_clearing_removes_it() {
        let mut builtins = Builtins::default();
        builtins.set(Stage::Decompression, Named("gzip"));
        builtins.set(Stage::Redirect, Named("redirect"));
        builtins.set(Stage::Decompression, Named("zstd"));
        builtins.set(Stage::Auth, Named("auth"));
        builtins.clear(Stage::Redirect);
        builtins.clear(Stage::Hsts);
        assert!(!builtins.is_empty());
        assert_eq!(chain_order(builtins), "zstd,auth");
    }
}
