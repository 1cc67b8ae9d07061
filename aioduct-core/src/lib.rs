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
    let mut copy = http::Request::new(req.body().try_clone()?);
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    *copy.extensions_mut() = req.extensions().clone();
    Some(copy)
}

// Re-exported so dependants name the same versions.
pub use bytes;
pub use http;
pub use http_body;
