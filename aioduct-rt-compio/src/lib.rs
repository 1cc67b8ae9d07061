//! `CompioRuntime`: aioduct's runtime glue for compio, whose io_uring driver does the I/O.
//!
//! Not built yet: this crate is a placeholder until the runtime-portability issue lands. It
//! exports nothing. ARCHITECTURE.md sketches how it will implement `aioduct_core::Runtime`.
