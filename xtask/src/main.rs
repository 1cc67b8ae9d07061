//! `cargo xtask <command>`: see `cargo xtask help`.

use std::process::ExitCode;

use xtask::{ci, demo, tidy};

mod bench;
mod interop;
mod size;

const USAGE: &str = "\
Usage: cargo xtask <command>

Commands:
  demo           run the demo: local HTTP/1.1, h2c and HTTPS servers, and the aioduct
                 client against them (no internet needed)
  ci [options]   everything CI runs, in order, stopping at the first failure:
                 fmt, tidy, clippy and tests over the feature matrix, docs, interop
      --quick        only fmt, tidy, and the tests with one feature set
      --skip-<step>  leave out a step: fmt, tidy, clippy, tests, docs or interop
      --dry-run      print the commands instead of running them
  bench [options] aioduct, reqwest and hyper-util side by side on a local server (bench/);
                 writes target/bench/results.md and chart.svg
      --duration SECS  each run's length (1.0)      --requests N  a count instead (not the download)
      --rounds N       rounds, medians reported (5) --only a,b    only these scenarios
      --pin / --no-pin server on CPU 0, clients on CPU 1 (default with 2+ CPUs)
      --no-build       use the binaries already built
      --counts         count instead of timing: instructions (callgrind) and system calls
                       (strace) per request; writes target/bench/counts.md
  interop [--no-install] [-- test args]
                 install the real peers (squid, tinyproxy, dante, sshd, pproxy, dnsmasq,
                 unbound) if missing, then run the tests that start them on 127.0.0.1
  size           cold-build a one-GET HTTPS program per client: stripped size, crates, build CPU
  tidy           check the manifests, DESIGN.md's architecture invariants, README.md,
                 ARCHITECTURE.md, file lengths and ignored tests
  help           show this text

Commands run cargo in the workspace root and keep your CARGO_TARGET_DIR.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask::project_root();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => ("help", &[][..]),
    };
    let result = match command {
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "ci" => ci::Options::parse(rest)
            .and_then(|options| ci::run(&root, &options))
            .map(|()| ExitCode::SUCCESS),
        "tidy" | "demo" if !rest.is_empty() => {
            Err(format!("`{command}` takes no arguments\n\n{USAGE}"))
        }
        "bench" => bench::Options::parse(rest)
            .and_then(|options| bench::run(&root, &options))
            .map(|()| ExitCode::SUCCESS),
        "size" if !rest.is_empty() => Err(format!("`size` takes no arguments\n\n{USAGE}")),
        "size" => size::run(&root).map(|()| ExitCode::SUCCESS),
        "interop" => interop::run(&root, rest).map(|()| ExitCode::SUCCESS),
        "tidy" => tidy::run(&root).map(|()| ExitCode::SUCCESS),
        "demo" => demo::run(&root),
        other => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
