//! HTTP/3 over quinn and h3-quinn: Alt-Svc discovery and cache, 0-RTT with 425 fallback.
//!
//! Not built yet: this crate is a placeholder until the HTTP/3 issue lands. It exports nothing.
