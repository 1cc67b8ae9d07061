//! `cargo xtask demo`: the newcomer's first run.

use std::{path::Path, process::ExitCode};

use crate::cmd::Cmd;

/// The facade features the demo needs: the tokio runtime, JSON, and rustls with ring.
pub const FEATURES: &str = "tokio,json,rustls-ring";

/// Builds and runs `aioduct/examples/demo.rs`, and returns its exit code.
pub fn run(root: &Path) -> Result<ExitCode, String> {
    let cmd = Cmd::cargo([
        "run",
        "-p",
        "aioduct",
        "--example",
        "demo",
        "--features",
        FEATURES,
    ]);
    let status = cmd.status(root)?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => {
            eprintln!("error: `{cmd}` was killed ({status})");
            ExitCode::FAILURE
        }
    })
}
