//! The built-in [`Middleware`](aioduct_core::Middleware)s of aioduct: the HTTP semantics a client
//! adds on top of one exchange.
//!
//! Each module is one middleware behind its own feature, usable on its own in a custom chain:
//!
//! | module | feature | what it does |
//! |---|---|---|
//! | [`redirect`] | `redirect` | follows 301/302/303/307/308, strips credentials across origins |
//! | `hsts` | `hsts` | records Strict-Transport-Security, upgrades `http://` to known hosts |
//! | `cookies` | `cookies` | a cookie jar on cookie_store |
//! | `decompress` | `gzip`, `deflate`, `brotli`, `zstd` | decodes response bodies |
//! | `retry` | `retry` | retries with backoff, a budget and Retry-After |
//! | `auth` | `auth` | basic, bearer and Digest (RFC 7616) authentication |
//! | `netrc` | `netrc` | `.netrc` credentials for the exact host |
//! | `limit` | `limit` | request-rate and bandwidth limiters |
//!
//! The `aioduct` facade wires them in one order, outermost first: redirect -> HSTS -> cookies ->
//! decompression -> retry -> netrc -> auth -> rate/bandwidth limit -> user middleware ->
//! transport. Every hop of a redirect chain passes through everything inside the redirect
//! middleware, so each hop is upgraded, gets its cookies, is retried and authenticated on its own.
//!
//! Middleware that waits (retries, limiters) takes a [`Timer`], so the crate stays free of any
//! runtime.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod context;
mod origin;
mod timer;

pub use context::RedirectContext;
pub use origin::{Origin, same_origin};
pub use timer::Timer;

#[cfg(feature = "cookies")]
pub mod cookies;

#[cfg(feature = "redirect")]
pub mod redirect;

#[cfg(feature = "retry")]
pub mod retry;

#[cfg(feature = "decompress")]
pub mod decompress;

#[cfg(feature = "limit")]
pub mod limit;

#[cfg(feature = "auth")]
pub mod auth;

#[cfg(feature = "netrc")]
pub mod netrc;

#[cfg(feature = "hsts")]
pub mod hsts;
