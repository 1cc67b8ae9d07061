//! The benchmark's aioduct client on tokio, built with only the features a tokio program
//! enables (tokio, rustls with ring, gzip): the main table's aioduct column.
//!
//! `client-aioduct-runtimes` runs the same client on smol and compio.

use aioduct::runtime::TokioRuntime;
use aioduct_bench::{Args, pin_to_cpu, run};
use client_aioduct::Aioduct;

fn main() {
    let args = Args::from_env();
    if let Some(cpu) = args.cpu() {
        pin_to_cpu(cpu);
    }
    if let Some(other) = args.value("runtime").filter(|r| r != "tokio") {
        eprintln!("client-aioduct: runtime `{other}` is in client-aioduct-runtimes");
        std::process::exit(2);
    }
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(run::<Aioduct<TokioRuntime>>("aioduct", "tokio", &args)));
    match result {
        Ok(report) => println!("{}", report.to_json()),
        Err(err) => {
            eprintln!("client-aioduct: {err}");
            std::process::exit(1);
        }
    }
}
