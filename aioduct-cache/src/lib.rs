//! The RFC 9111 cache middleware and an in-memory `aioduct_core::CacheStore`.
//!
//! Not built yet: this crate is a placeholder. It exports nothing.
