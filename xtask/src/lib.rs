//! aioduct's workspace automation, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`).
//!
//! xtask is the CI contract: if `cargo xtask ci` passes locally, CI is green. It shells out to
//! the cargo that runs it and depends only on serde_json (to read `cargo metadata`), so it
//! builds in seconds.
//!
//! - [`ci`]: fmt, tidy, clippy and the tests over the feature matrix, and the docs.
//! - [`tidy`]: manifests, DESIGN.md's architecture invariants, and source hygiene.
//! - [`demo`]: runs `aioduct/examples/demo.rs`.

pub mod ci;
pub mod cmd;
pub mod demo;
pub mod tidy;
pub mod workspace;

use std::path::PathBuf;

/// The root of the workspace: the folder above xtask's own.
pub fn project_root() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = xtask
        .parent()
        .expect("xtask lives in a folder of the workspace root")
        .to_owned();
    // cargo metadata reports canonical paths; compare like with like.
    root.canonicalize().unwrap_or(root)
}
