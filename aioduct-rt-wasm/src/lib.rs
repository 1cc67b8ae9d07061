//! `WasmRuntime`: timers and tasks in the browser, and the fetch-API transport used on wasm32.
//!
//! Not built yet: this crate is a placeholder. It exports nothing. ARCHITECTURE.md sketches how
//! it will implement `aioduct_core::Runtime`.
