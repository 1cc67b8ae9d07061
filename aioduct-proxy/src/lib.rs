//! `aioduct_core::Connector` layers for proxies: HTTP CONNECT, SOCKS4, SOCKS4a, SOCKS5, and proxy
//! selection from HTTP_PROXY/HTTPS_PROXY/ALL_PROXY/NO_PROXY.
//!
//! Not built yet: this crate is a placeholder until the connect-layer issue lands. It exports
//! nothing.
