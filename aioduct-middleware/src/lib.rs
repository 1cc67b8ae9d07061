//! The built-in `aioduct_core::Middleware`s: redirects, cookies, decompression, retries, rate and
//! bandwidth limits, HSTS, basic/bearer/digest auth, netrc, tracing and OpenTelemetry.
//!
//! Not built yet: this crate is a placeholder until the HTTP-semantics issue lands. It exports
//! nothing.
