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

/// The I/O traits byte streams implement, re-exported from `futures-io`.
pub mod io {
    pub use futures_io::{AsyncRead, AsyncWrite};
}

/// A request as middleware and transports see it.
pub type Request = http::Request<Body>;

/// A response as middleware and transports see it.
pub type Response = http::Response<Body>;

// Re-exported so dependants name the same versions.
pub use bytes;
pub use http;
pub use http_body;
