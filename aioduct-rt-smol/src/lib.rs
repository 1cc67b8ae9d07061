//! `SmolRuntime`: aioduct's runtime glue for smol, on async-io and futures-lite.
//!
//! Not built yet: this crate is a placeholder until the runtime-portability issue lands. It
//! exports nothing, so nothing can be mistaken for a working runtime.
