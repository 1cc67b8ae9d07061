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
