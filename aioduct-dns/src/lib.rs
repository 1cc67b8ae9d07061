//! `aioduct_core::Resolve` implementations on hickory-resolver: system configuration, DNS-over-HTTPS,
//! DNS-over-TLS and static overrides.
//!
//! Not built yet: this crate is a placeholder until the connect-layer issue lands. It exports
//! nothing.
