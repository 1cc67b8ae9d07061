//! A cookie jar on [cookie_store](https://docs.rs/cookie_store), with public suffixes from
//! [psl](https://docs.rs/psl): the [`Cookies`] middleware and its [`CookieJar`].
//!
//! On each request the middleware adds a Cookie header from the jar; on each response it stores
//! the Set-Cookie headers. Placed inside the redirect middleware (as the `aioduct` facade does),
//! it sees every hop of a redirect chain, so a cookie set by a redirect response goes with the
//! next hop.
//!
//! # Storing (RFC 6265bis §5.7)
//!
//! A Set-Cookie is ignored when:
//! - it holds a control character (0x00-0x1F but HTAB, or 0x7F), or its name and value exceed
//!   4096 bytes;
//! - it is Secure but came over plain http, or SameSite=None without Secure;
//! - its name starts with `__Secure-` (any case) and it is not Secure; or with `__Host-` and it is
//!   not Secure, has a Domain attribute, or its Path is not `/`;
//! - its Domain attribute is a public suffix (`com`, `co.uk`, `github.io`, or any single label
//!   such as `localhost`) other than the host itself; naming the host itself makes the cookie
//!   host-only;
//! - the host is an IP address and the Domain attribute names anything but that address (IP
//!   hosts only ever get host-only cookies);
//! - the Domain attribute does not cover the host;
//! - it comes over http and would shadow a Secure cookie of the same name.
//!
//! A cookie without a Domain attribute is host-only: it goes back to that exact host. Max-Age
//! wins over Expires; a cookie already expired on arrival deletes the one it names; lifetimes are
//! capped at 400 days. HttpOnly cookies are kept and sent (a client is not a script). At most
//! 50 Set-Cookie headers of one response are honoured; the rest are ignored.
//!
//! # Sending (RFC 6265bis §5.8.3)
//!
//! A cookie goes with a request when its domain and path match and it is unexpired; a Secure
//! cookie only over https (plain http to a loopback address is not secure here, unlike in
//! browsers). SameSite is applied per request: a request the caller made is same-site; a
//! redirect hop (it carries a [`RedirectContext`](crate::RedirectContext)) is cross-site when its
//! registrable domain differs from the first URL's. Strict cookies are not sent cross-site; Lax
//! ones only with GET or HEAD; None and unset ones always.
//!
//! Cookies go in cookie order: longer paths first, then older first. A Cookie header the caller
//! set comes first and is kept whole; jar cookies whose names it already carries are skipped. At
//! most 150 cookies and 8 KiB of Cookie header go with one request (the caller's included); the
//! cookies after the cap are dropped.
//!
//! ```
//! use aioduct_core::{Body, BoxFuture, Endpoint, Next, Request, Response, http};
//! use aioduct_middleware::cookies::{CookieJar, Cookies};
//! use std::sync::Arc;
//!
//! /// Sets a cookie, and echoes the Cookie header it received.
//! struct Server;
//! impl Endpoint for Server {
//!     fn call(&self, req: Request) -> BoxFuture<'_, aioduct_core::Result<Response>> {
//!         let got = req.headers().get("cookie").cloned();
//!         Box::pin(async move {
//!             let mut resp = http::Response::new(Body::empty());
//!             resp.headers_mut().insert("set-cookie", "id=42; Path=/".parse().unwrap());
//!             if let Some(got) = got {
//!                 resp.headers_mut().insert("x-got", got);
//!             }
//!             Ok(resp)
//!         })
//!     }
//! }
//!
//! let jar = CookieJar::new();
//! let chain: Vec<Arc<dyn aioduct_core::Middleware>> = vec![Arc::new(Cookies::new(jar.clone()))];
//! let get = || http::Request::get("http://example.com/").body(Body::empty()).unwrap();
//! futures_lite::future::block_on(async {
//!     Next::new(&chain, &Server).run(get()).await.unwrap();
//!     let resp = Next::new(&chain, &Server).run(get()).await.unwrap();
//!     assert_eq!(resp.headers()["x-got"], "id=42");
//! });
//! assert_eq!(jar.len(), 1);
//! ```

mod jar;
mod rules;

use aioduct_core::{BoxFuture, Middleware, Next, Request, Response, Result};

pub use jar::{CookieJar, SameSite, StoredCookie};

/// The cookie middleware: sends the jar's cookies and stores the ones responses set.
///
/// Several clients can use one jar: give each a `Cookies` built from a clone of it.
#[derive(Debug, Clone)]
pub struct Cookies {
    jar: CookieJar,
}

impl Cookies {
    /// Sends and stores cookies with `jar`.
    pub fn new(jar: CookieJar) -> Self {
        Cookies { jar }
    }

    /// The jar this middleware uses.
    pub fn jar(&self) -> &CookieJar {
        &self.jar
    }
}

impl Middleware for Cookies {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        let url = rules::url_of(req.uri());
        if let Some(url) = &url {
            self.jar.add_to_request(&mut req, url);
        }
        Box::pin(async move {
            let resp = next.run(req).await?;
            if let Some(url) = &url {
                self.jar.store_response(resp.headers(), url);
            }
            Ok(resp)
        })
    }
}

#[cfg(test)]
mod tests;
