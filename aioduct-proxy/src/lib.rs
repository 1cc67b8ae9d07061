//! Proxies for aioduct: [`Connector`](aioduct_core::Connector) layers for HTTP forwarding, HTTP
//! CONNECT tunnels, SOCKS4, SOCKS4a and SOCKS5 (with username/password and remote DNS), and proxy
//! selection from `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`.
//!
//! - [`ProxyConfig`]: one proxy, from its URL (`http://`, `https://`, `socks4://`, `socks4a://`,
//!   `socks5://`, `socks5h://`), with credentials and its own NO_PROXY list. It is `Eq + Hash`
//!   over everything that identifies its connections, for connection pool keys.
//! - [`ProxySettings`]: which proxy serves which request (per scheme, or all), from code or from
//!   the environment ([`ProxySettings::from_env`]).
//! - [`NoProxy`]: the hosts reached directly, in the `NO_PROXY` syntax (domains, `*`,
//!   `host:port`, IPv4/IPv6 addresses, CIDR ranges).
//! - [`ProxyLayer`]: the connector. It wraps a connector that reaches the proxy (plain TCP, or
//!   TCP under TLS for an `https://` proxy) and returns the same stream type, tunnelled to the
//!   origin; plain `http` requests through an HTTP proxy are forwarded instead ([`Route`]).
//!
//! The crate has no runtime and no TLS of its own: handshakes run on any
//! [`futures_io`](aioduct_core::io) stream.
//!
//! ```
//! use aioduct_proxy::{NoProxy, ProxyConfig, ProxySettings, Route};
//!
//! let settings = ProxySettings::new()
//!     .all(ProxyConfig::socks5("socks5://proxy.example.com:1080")?.basic_auth("user", "pass"))
//!     .no_proxy(NoProxy::parse("localhost, 10.0.0.0/8"));
//!
//! let route = settings.route(&"https://example.com/".parse().unwrap());
//! assert!(matches!(route, Route::Tunnel(proxy) if proxy.port() == 1080));
//! assert_eq!(settings.route(&"http://10.1.2.3/".parse().unwrap()), Route::Direct);
//! # Ok::<(), aioduct_core::Error>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod http_connect;
mod io;
mod layer;
mod no_proxy;
mod settings;
mod socks4;
mod socks5;
mod target;

pub use config::{ProxyConfig, ProxyKind};
pub use layer::ProxyLayer;
pub use no_proxy::NoProxy;
pub use settings::{ProxySettings, Route};
