//! The benchmark's aioduct client on every runtime: `--runtime tokio|smol|compio` (tokio by
//! default), for the runtime table. Built with feature `runtimes`, in a cargo run of its own so
//! that `client-aioduct` links none of this.

use aioduct::runtime::{CompioRuntime, SmolRuntime, TokioRuntime};
use aioduct_bench::{Args, pin_to_cpu, run};
use client_aioduct::Aioduct;

fn main() {
    let args = Args::from_env();
    if let Some(cpu) = args.cpu() {
        pin_to_cpu(cpu);
    }
    let runtime = args.value("runtime").unwrap_or_else(|| "tokio".to_owned());
    let result = match runtime.as_str() {
        "tokio" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(run::<Aioduct<TokioRuntime>>("aioduct", "tokio", &args))),
        "smol" => async_io::block_on(run::<Aioduct<SmolRuntime>>("aioduct", "smol", &args)),
        "compio" => {
            CompioRuntime::block_on(run::<Aioduct<CompioRuntime>>("aioduct", "compio", &args))
                .map_err(|e| e.to_string())
                .and_then(|result| result)
        }
        other => Err(format!("unknown runtime `{other}`")),
    };
    match result {
        Ok(report) => println!("{}", report.to_json()),
        Err(err) => {
            eprintln!("client-aioduct-runtimes ({runtime}): {err}");
            std::process::exit(1);
        }
    }
}
