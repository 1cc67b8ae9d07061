use std::{future::Future, pin::Pin, sync::Arc};

use crate::{Request, Response, Result};

/// A boxed `Send` future, as returned by [`Middleware::handle`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An around-middleware: sees each request on its way out and its response on the way back.
///
/// # What it is for
///
/// Redirects, cookies, caching, retries, auth and rate limits are middleware; so is anything a
/// user adds. A middleware receives the request and [`Next`], the rest of the chain. It may change
/// the request, answer without calling `next` (a cache hit), or call `next` several times (a
/// retry, a redirect, a digest-auth challenge).
///
/// # How to implement it
///
/// Implement `handle` and return a boxed future, or pass a closure with the same signature. Keep
/// the middleware `Send + Sync`: one instance serves every request of a client.
///
/// # Example
///
/// A middleware that stamps a header on every request, as a closure:
///
/// ```
/// use aioduct_core::{BoxFuture, Middleware, Next, Request, Response, Result};
/// use aioduct_core::http::HeaderValue;
///
/// fn stamp<'a>(mut req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
///     req.headers_mut().insert("x-stamp", HeaderValue::from_static("1"));
///     next.run(req)
/// }
///
/// fn takes_middleware(_: impl Middleware) {}
/// takes_middleware(stamp);
/// ```
pub trait Middleware: Send + Sync + 'static {
    /// Handles `req`, usually by passing it on with `next.run(req)`.
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>>;
}

impl<F> Middleware for F
where
    F: for<'a> Fn(Request, Next<'a>) -> BoxFuture<'a, Result<Response>> + Send + Sync + 'static,
{
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        self(req, next)
    }
}

/// What ends a middleware chain: the transport that sends a request.
pub trait Endpoint: Send + Sync {
    /// Sends `req` and returns the response head; the body streams.
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>>;
}

/// The rest of a middleware chain, handed to [`Middleware::handle`].
///
/// `Next` is `Copy`: run it as often as the middleware needs.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    rest: &'a [Arc<dyn Middleware>],
    endpoint: &'a dyn Endpoint,
}

impl<'a> Next<'a> {
    /// A chain of `middleware` (outermost first) that ends at `endpoint`.
    pub fn new(middleware: &'a [Arc<dyn Middleware>], endpoint: &'a dyn Endpoint) -> Self {
        Next {
            rest: middleware,
            endpoint,
        }
    }

    /// Passes `req` to the next middleware, or to the transport after the last one.
    pub fn run(self, req: Request) -> BoxFuture<'a, Result<Response>> {
        match self.rest.split_first() {
            Some((first, rest)) => first.handle(
                req,
                Next {
                    rest,
                    endpoint: self.endpoint,
                },
            ),
            None => self.endpoint.call(req),
        }
    }
}

impl std::fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Next")
            .field("remaining", &self.rest.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::Body;

    struct Echo;

    impl Endpoint for Echo {
        fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>> {
            let stamps = req.headers().get_all("x-stamp").iter().count();
            Box::pin(async move { Ok(http::Response::new(Body::from(stamps.to_string()))) })
        }
    }

    fn stamp<'a>(mut req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        req.headers_mut()
            .append("x-stamp", http::HeaderValue::from_static("1"));
        next.run(req)
    }

    struct RunTwice(AtomicUsize);

    impl Middleware for RunTwice {
        fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
            Box::pin(async move {
                let again = http::Request::builder()
                    .uri(req.uri().clone())
                    .body(Body::empty())
                    .unwrap();
                next.run(req).await?;
                self.0.fetch_add(1, Ordering::Relaxed);
                next.run(again).await
            })
        }
    }

    #[test]
    fn chain_runs_outermost_first_and_next_is_rerunnable() {
        let counter = Arc::new(RunTwice(AtomicUsize::new(0)));
        let chain: Vec<Arc<dyn Middleware>> =
            vec![counter.clone(), Arc::new(stamp), Arc::new(stamp)];
        let req = http::Request::new(Body::empty());
        let resp = futures_lite::future::block_on(Next::new(&chain, &Echo).run(req)).unwrap();
        assert_eq!(resp.body().as_bytes(), Some(&b"2"[..]));
        assert_eq!(counter.0.load(Ordering::Relaxed), 1);
    }
}
