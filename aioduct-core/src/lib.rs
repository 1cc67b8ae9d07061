//! The traits and vocabulary types every aioduct crate speaks.
//!
//! This crate holds no runtime, no TLS and no I/O. It defines:
//!
//! - [`Runtime`] and [`Spawn`]: TCP connect, timers, task spawning and the system resolver of an
//!   async runtime (tokio, smol, compio, wasm).
//! - [`Connector`]: a layer that turns a destination URI into a connected byte stream
//!   ([`Connected`]), carrying what the connection negotiated ([`ConnectionInfo`]).
//! - [`Resolve`]: a host-name resolver, object-safe so it can be stored as `Arc<dyn Resolve>`.
//! - [`CacheStore`]: storage for the HTTP cache.
//! - [`Middleware`]: an around-middleware over [`Request`] and [`Response`].
//!
//! and the types they exchange: [`Body`], [`Error`], [`Name`], [`Addrs`], [`Timings`].
//!
//! Byte streams are [`futures_io::AsyncRead`] + [`futures_io::AsyncWrite`]: the one pair of
//! poll-based I/O traits that tokio (through a thin adapter), smol, compio and TLS layers all reach.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod cache;
mod connect;
mod error;
mod middleware;
mod resolve;
mod runtime;
#[cfg(feature = "socket2")]
pub mod socket;
mod timings;

pub use body::Body;
pub use cache::{CacheKey, CacheStore, CachedResponse, StoreFuture};
pub use connect::{Alpn, Connected, ConnectionInfo, Connector};
pub use error::{BoxError, Error, ErrorKind, Result};
pub use middleware::{BoxFuture, Endpoint, Middleware, Next};
pub use resolve::{Addrs, Name, Resolve, Resolving};
pub use runtime::{Runtime, Spawn, TcpOptions};
pub use timings::Timings;

pub mod io;

/// A request as middleware and transports see it.
pub type Request = http::Request<Body>;

/// A response as middleware and transports see it.
pub type Response = http::Response<Body>;

/// A copy of `req` to send again, or `None` when its body cannot be replayed (it is a stream).
///
/// Method, URI, version, headers, extensions and the in-memory body are all copied: retries,
/// authentication challenges and a transport's resend all send the same request twice this way.
///
/// ```
/// use aioduct_core::{Body, Request, try_clone_request};
///
/// let req: Request = http::Request::post("http://example.test/")
///     .header("x-id", "7")
///     .body(Body::from("payload"))
///     .unwrap();
/// let copy = try_clone_request(&req).unwrap();
/// assert_eq!(copy.method(), "POST");
/// assert_eq!(copy.uri(), req.uri());
/// assert_eq!(copy.headers()["x-id"], "7");
/// assert_eq!(copy.body().as_bytes(), Some(&b"payload"[..]));
///
/// let chunks = futures_lite::stream::iter([Ok::<_, std::io::Error>("streamed")]);
/// let streamed: Request = http::Request::new(Body::wrap_stream(chunks));
/// assert!(try_clone_request(&streamed).is_none());
/// ```
pub fn try_clone_request(req: &Request) -> Option<Request> {
    let body = req.body().try_clone()?;
    Some(http::Request::from_parts(clone_head(req), body))
}

/// A copy of the head of `req`: method, URI, version, headers and extensions, without the body
/// (which may be a stream). For a caller that keeps a request while a copy is sent, or the
/// reverse.
///
/// ```
/// use aioduct_core::{Body, Request, clone_head};
///
/// let req: Request = http::Request::put("http://example.test/a")
///     .header("x-id", "7")
///     .body(Body::from("payload"))
///     .unwrap();
/// let head = clone_head(&req);
/// assert_eq!(head.method, "PUT");
/// assert_eq!(head.uri, "http://example.test/a");
/// assert_eq!(head.headers["x-id"], "7");
/// ```
pub fn clone_head<B>(req: &http::Request<B>) -> http::request::Parts {
    clone_head_adding(req, &http::HeaderMap::new())
}

/// A copy of the head of `req`, as [`clone_head`] makes, with the headers of `additions` that
/// `req` does not set itself appended: a client's default headers, added to the copy it sends
/// rather than to the request it keeps. Additions that would not fit in a `HeaderMap` are
/// left out.
///
/// ```
/// use aioduct_core::{Body, Request, clone_head_adding};
/// use http::{HeaderMap, HeaderValue, header};
///
/// let mut defaults = HeaderMap::new();
/// defaults.insert(header::USER_AGENT, HeaderValue::from_static("default/1"));
/// defaults.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
/// let req: Request = http::Request::get("http://example.test/")
///     .header(header::ACCEPT, "text/html")
///     .body(Body::empty())
///     .unwrap();
/// let head = clone_head_adding(&req, &defaults);
/// assert_eq!(head.headers[header::USER_AGENT], "default/1");
/// assert_eq!(head.headers[header::ACCEPT], "text/html");
/// assert_eq!(head.headers.len(), 2);
/// assert_eq!(req.headers().len(), 1);
/// ```
pub fn clone_head_adding<B>(
    req: &http::Request<B>,
    additions: &http::HeaderMap,
) -> http::request::Parts {
    let mut head = http::Request::new(()).into_parts().0;
    head.method = req.method().clone();
    head.uri = req.uri().clone();
    head.version = req.version();
    // Not `HeaderMap::clone`, which sizes the copy to fit exactly: a copy is about to be sent,
    // and the `Host` (or `Cookie`, `Referer`) added to it would then cost a reallocation.
    let headers = req.headers();
    // A map near `HeaderMap`'s limit has no room to spare; it is copied as it is.
    let _ = head
        .headers
        .try_reserve(headers.len() + additions.len() + SPARE_HEADERS);
    for (name, value) in headers {
        head.headers.append(name, value.clone());
    }
    for (name, value) in additions {
        // On a request without headers of its own (the usual one) the lookup hashes nothing.
        if !headers.contains_key(name) && head.headers.try_append(name, value.clone()).is_err() {
            break;
        }
    }
    head.extensions = req.extensions().clone();
    head
}

/// Room a copied head keeps for headers added before it is sent.
const SPARE_HEADERS: usize = 2;

// Re-exported so dependants name the same versions.
pub use bytes;
pub use http;
pub use http_body;

#[cfg(test)]
mod tests {
    use http::header::ACCEPT;

    use super::*;

    #[test]
    fn a_copied_head_keeps_every_value_in_order_and_its_extensions() {
        let mut req: Request = http::Request::get("http://example.test/")
            .header("x-id", "1")
            .header(ACCEPT, "text/html")
            .header("x-id", "2")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(7_u32);
        let head = clone_head(&req);
        let ids: Vec<_> = head.headers.get_all("x-id").iter().collect();
        assert_eq!(ids, ["1", "2"]);
        assert_eq!(head.headers[ACCEPT], "text/html");
        assert_eq!(head.headers.len(), 3);
        assert_eq!(head.extensions.get::<u32>(), Some(&7));
    }

    #[test]
    fn additions_fill_in_what_the_request_does_not_set() {
        let mut additions = http::HeaderMap::new();
        additions.insert(ACCEPT, http::HeaderValue::from_static("*/*"));
        additions.append("x-multi", http::HeaderValue::from_static("a"));
        additions.append("x-multi", http::HeaderValue::from_static("b"));
        let bare: Request = http::Request::new(Body::empty());
        let head = clone_head_adding(&bare, &additions);
        assert_eq!(
            head.headers, additions,
            "a bare request takes every addition"
        );
        assert!(
            bare.headers().is_empty(),
            "the request itself is left as it was"
        );

        let own: Request = http::Request::get("http://example.test/")
            .header(ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        let head = clone_head_adding(&own, &additions);
        let accept: Vec<_> = head.headers.get_all(ACCEPT).iter().collect();
        assert_eq!(accept, ["text/html"], "the request's own value wins, alone");
        let multi: Vec<_> = head.headers.get_all("x-multi").iter().collect();
        assert_eq!(multi, ["a", "b"]);
    }

    #[test]
    fn a_head_with_as_many_headers_as_a_map_holds_is_copied_whole() {
        let mut req: Request = http::Request::new(Body::empty());
        let mut n = 0;
        while req
            .headers_mut()
            .try_append(
                http::HeaderName::from_bytes(format!("x-{n}").as_bytes()).unwrap(),
                http::HeaderValue::from_static("v"),
            )
            .is_ok()
        {
            n += 1;
        }
        let head = clone_head(&req);
        assert_eq!(head.headers.len(), n);
        assert_eq!(head.headers[format!("x-{}", n - 1).as_str()], "v");
        // Additions that no longer fit are left out, not a panic.
        let mut additions = http::HeaderMap::new();
        additions.insert(ACCEPT, http::HeaderValue::from_static("*/*"));
        let head = clone_head_adding(&req, &additions);
        assert_eq!(head.headers.len(), n);
    }
}
