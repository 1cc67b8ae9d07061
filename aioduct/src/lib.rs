//! An async HTTP client built directly on hyper 1.x.
//!
//! aioduct drives hyper's `client::conn` itself: its own connection pool ([`aioduct_pool`]), TLS
//! (rustls), DNS and runtime glue; no hyper-util. HTTP/1.1 and HTTP/2 (chosen by ALPN, or HTTP/2
//! with prior knowledge), pooled keep-alive connections, HTTP/2 multiplexing, streaming bodies
//! both ways, timeouts, and per-request timings.
//!
//! ```no_run
//! use aioduct::{Client, StatusCode};
//! use aioduct::runtime::TokioRuntime;
//!
//! # async fn run() -> Result<(), aioduct::Error> {
//! let client = Client::<TokioRuntime>::new();
//! let resp = client.get("http://127.0.0.1:8080/hello")?.send().await?;
//! assert_eq!(resp.status(), StatusCode::OK);
//! println!("{}", resp.text().await?);
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! | feature | what it adds |
//! |---|---|
//! | `tokio` (default) | [`runtime::TokioRuntime`] |
//! | `smol` | `runtime::SmolRuntime` (async-io) |
//! | `compio` | `runtime::CompioRuntime` (io_uring, thread-per-core; Rust 1.95) |
//! | `rustls` | HTTPS with rustls and the webpki roots; needs exactly one provider below |
//! | `rustls-ring` / `rustls-aws-lc-rs` | the rustls crypto provider |
//! | `rustls-native-roots` | also trust the operating system's roots |
//! | `json` | [`RequestBuilder::json`] and [`Response::json`] |
//! | `blocking` | [`blocking::Client`], a synchronous client (needs `tokio`) |
//! | `tower` | `Client` implements `tower_service::Service` |
//! | `hickory-dns`, `doh`, `dot` | `dns`: hickory resolvers, DNS-over-HTTPS, DNS-over-TLS |
//!
//! At least one runtime feature must be enabled.

#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(feature = "tokio", feature = "smol", feature = "compio")))]
compile_error!("aioduct needs a runtime: enable the `tokio`, `smol` or `compio` feature");

mod body;
mod client;
mod http2;
mod request;
mod response;
mod send;
mod timeout;
#[cfg(feature = "tower")]
mod tower;
mod transport;
mod url;

pub use aioduct_core::{Body, Error, ErrorKind, Middleware, Next, Resolve, Result, Timings};
#[cfg(feature = "proxy")]
pub use aioduct_proxy::{NoProxy, ProxyConfig, ProxySettings};
pub use client::{Client, ClientBuilder};
pub use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version, header};
pub use http2::Http2Config;
pub use request::RequestBuilder;
pub use response::Response;
pub use send::{SendFuture, SendRuntime};
pub use transport::HttpRuntime;
pub use url::IntoUrl;

/// The traits and types aioduct's crates share.
pub use aioduct_core as core;
/// The built-in middleware (aioduct-middleware), to configure or to use in a custom chain.
pub use aioduct_middleware as middleware;
/// The cookie jar of [`ClientBuilder::cookie_jar`].
#[cfg(feature = "cookies")]
pub use aioduct_middleware::cookies::CookieJar;
/// Redirect policies: [`ClientBuilder::redirect`].
pub use aioduct_middleware::redirect;
/// The connection pool, usable on its own.
pub use aioduct_pool as pool;
/// Proxy connectors and proxy selection.
#[cfg(feature = "proxy")]
pub use aioduct_proxy as proxy;

/// The runtimes aioduct runs on.
pub mod runtime {
    pub use crate::transport::RuntimeGlue;
    pub use aioduct_core::{Runtime, Spawn, TcpOptions};
    #[cfg(feature = "compio")]
    pub use aioduct_rt_compio::CompioRuntime;
    #[cfg(feature = "smol")]
    pub use aioduct_rt_smol::SmolRuntime;
    #[cfg(feature = "tokio")]
    pub use aioduct_rt_tokio::TokioRuntime;
}

#[cfg(feature = "blocking")]
pub mod blocking;

/// DNS resolvers on hickory-resolver.
#[cfg(feature = "hickory-dns")]
pub use aioduct_dns as dns;

/// TLS with rustls.
#[cfg(feature = "rustls")]
pub use aioduct_tls as tls;

/// The README's examples, compiled as doc-tests so they cannot drift from the API.
#[cfg(all(
    doctest,
    feature = "json",
    feature = "rustls",
    feature = "smol",
    feature = "blocking",
    feature = "cookies",
    feature = "gzip",
    feature = "hsts",
    feature = "digest-auth"
))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

#[cfg(all(test, feature = "tokio"))]
mod promises {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn public_types_keep_their_auto_traits() {
        assert_send_sync_clone::<Client<runtime::TokioRuntime>>();
        assert_send::<Response>();
        assert_send::<RequestBuilder<runtime::TokioRuntime>>();
        assert_send::<Error>();
    }

    #[test]
    fn request_futures_are_send_on_tokio() {
        fn send_future<F: std::future::Future + Send>(_: F) {}
        let client = Client::<runtime::TokioRuntime>::new();
        if let Ok(builder) = client.get("http://127.0.0.1:9/") {
            send_future(builder.send());
        }
        send_future(client.execute(http::Request::new(Body::empty())));
    }
}
