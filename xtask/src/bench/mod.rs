//! `cargo xtask bench`: aioduct, reqwest and hyper-util's legacy client side by side.
//!
//! Builds the `bench/` crate (a workspace of its own, so the peers never enter ours), starts its
//! server once, then runs one client process per (round, scenario, client), interleaving the
//! clients (A B C, C B A, A B C ...). Each client prints one JSON line; a client that saw a wrong answer
//! exits non-zero and the whole run fails. The medians go to `target/bench/results.md` (also
//! printed) and `target/bench/chart.svg`; every raw line to `target/bench/raw.jsonl`.

use std::{
    collections::BTreeMap,
    ffi::OsString,
    fmt::Write as _,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Instant,
};

mod counts;
mod report;

use report::{chart, report};

/// The scenarios, in report order, with the unit of their throughput.
const SCENARIOS: [(&str, &str); 9] = [
    ("h1_seq", "req/s"),
    ("h1_c64", "req/s"),
    ("h2c_c64", "req/s"),
    ("download_1g", "MB/s"),
    ("post_16k", "req/s"),
    ("tls_seq", "req/s"),
    ("new_conn", "req/s"),
    ("redirect_5", "chains/s"),
    ("gzip_1m", "req/s"),
];

/// The clients of the main table: (key, program, runtime).
const CLIENTS: [(&str, &str, &str); 3] = [
    ("aioduct", "client-aioduct", "tokio"),
    ("reqwest", "client-reqwest", "tokio"),
    ("hyper-util", "client-hyper-util", "tokio"),
];

/// The extra aioduct runtimes, measured on the scenarios of the runtime table.
const RUNTIMES: [(&str, &str, &str); 2] = [
    ("aioduct-smol", "client-aioduct-runtimes", "smol"),
    ("aioduct-compio", "client-aioduct-runtimes", "compio"),
];
const RUNTIME_SCENARIOS: [&str; 2] = ["h1_seq", "h2c_c64"];

/// Options of `cargo xtask bench`.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pin: bool,
    duration: f64,
    requests: Option<u64>,
    rounds: usize,
    only: Vec<String>,
    build: bool,
    counts: bool,
}

impl Options {
    pub(crate) fn parse(args: &[String]) -> Result<Options, String> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut options = Options {
            pin: cores >= 2,
            duration: 1.0,
            requests: None,
            rounds: 5,
            only: Vec::new(),
            build: true,
            counts: false,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--pin" => options.pin = true,
                "--no-pin" => options.pin = false,
                "--no-build" => options.build = false,
                "--counts" => options.counts = true,
                "--duration" => options.duration = number(value()?)?,
                "--requests" => options.requests = Some(number(value()?)?),
                "--rounds" => options.rounds = number::<usize>(value()?)?.max(1),
                "--only" => {
                    for name in value()?.split(',') {
                        if !SCENARIOS.iter().any(|(s, _)| *s == name) {
                            return Err(format!("unknown scenario `{name}`"));
                        }
                        options.only.push(name.to_owned());
                    }
                }
                other => return Err(format!("unknown option `{other}` for `bench`")),
            }
        }
        Ok(options)
    }
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

/// One client's results, by field name.
type Line = BTreeMap<String, String>;

/// Runs the benchmark and writes its report.
pub(crate) fn run(root: &Path, options: &Options) -> Result<(), String> {
    let bench = root.join("bench");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| bench.join("target"));
    if options.build {
        let started = Instant::now();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        // One cargo run per program: features unify within a run, and each client must link
        // what a user of its library links (bench/Cargo.toml says more).
        let builds: [&[&str]; 5] = [
            &["-p", "bench-server"],
            &["-p", "client-aioduct", "--bin", "client-aioduct"],
            &["-p", "client-reqwest"],
            &["-p", "client-hyper-util"],
            &[
                "-p",
                "client-aioduct",
                "--bin",
                "client-aioduct-runtimes",
                "--features",
                "runtimes",
            ],
        ];
        for args in builds {
            let status = Command::new(&cargo)
                .args(["build", "--release"])
                .args(args)
                .current_dir(&bench)
                .env("CARGO_TARGET_DIR", &target)
                .status()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !status.success() {
                return Err(format!("building the bench programs failed ({status})"));
            }
        }
        eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
    }
    let bin = target.join("release");
    let out = root.join("target").join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;

    let started = Instant::now();
    let mut server = Server::start(&bin, &out.join("ca.pem"), options.pin)?;
    if options.counts {
        let result = counts::measure(&bin, &server, options);
        server.stop();
        let report = result?;
        eprintln!("counted in {:.0} s", started.elapsed().as_secs_f64());
        print!("{report}");
        write(&out.join("counts.md"), &report)?;
        eprintln!("wrote {}/counts.md", out.display());
        return Ok(());
    }
    let result = measure(&bin, &server, options, &out);
    server.stop();
    let lines = result?;
    eprintln!("measured in {:.0} s", started.elapsed().as_secs_f64());

    let report = report(&lines, options);
    print!("{report}");
    write(&out.join("results.md"), &report)?;
    write(&out.join("chart.svg"), &chart(&lines))?;
    eprintln!("wrote {0}/results.md and {0}/chart.svg", out.display());
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The benchmark server, stopped when its stdin closes.
struct Server {
    child: Child,
    plain: String,
    tls: String,
    ca: PathBuf,
}

impl Server {
    fn start(bin: &Path, ca: &Path, pin: bool) -> Result<Server, String> {
        let mut command = Command::new(bin.join("bench-server"));
        command.arg("--ca-out").arg(ca);
        if pin {
            command.args(["--cpu", "0"]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start bench-server: {e}"))?;
        let mut ready = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut ready);
        }
        let port = |key: &str| {
            ready
                .split_whitespace()
                .find_map(|part| part.strip_prefix(key))
                .map(|port| format!("127.0.0.1:{port}"))
        };
        match (port("plain="), port("tls=")) {
            (Some(plain), Some(tls)) => Ok(Server {
                child,
                plain,
                tls,
                ca: ca.to_owned(),
            }),
            _ => {
                let _ = child.kill();
                Err(format!("bench-server did not start: {ready:?}"))
            }
        }
    }

    /// The arguments that point a client at this server, for `scenario` on `runtime`.
    fn client_args(&self, scenario: &str, runtime: &str) -> Vec<OsString> {
        let mut args: Vec<OsString> = [
            "--scenario",
            scenario,
            "--runtime",
            runtime,
            "--plain",
            &self.plain,
            "--tls",
            &self.tls,
            "--ca",
        ]
        .map(OsString::from)
        .into();
        args.push(self.ca.clone().into());
        args
    }

    fn stop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every run, interleaved: for each round, each scenario, each client.
fn measure(
    bin: &Path,
    server: &Server,
    options: &Options,
    out: &Path,
) -> Result<Vec<Line>, String> {
    let mut lines = Vec::new();
    let mut raw = String::new();
    for round in 1..=options.rounds {
        for (scenario, _) in SCENARIOS {
            if !options.only.is_empty() && !options.only.iter().any(|s| s == scenario) {
                continue;
            }
            let runtimes = RUNTIME_SCENARIOS.contains(&scenario).then_some(RUNTIMES);
            let mut order: Vec<_> = CLIENTS
                .into_iter()
                .chain(runtimes.into_iter().flatten())
                .collect();
            // A B C, then C B A: whoever runs first (or last) in a round does not always.
            if round % 2 == 0 {
                order.reverse();
            }
            for (key, program, runtime) in order {
                let mut command = Command::new(bin.join(program));
                command
                    .args(server.client_args(scenario, runtime))
                    .args(["--duration", &options.duration.to_string()]);
                // A count of gigabytes would be a long wait: the download runs by duration.
                if let Some(n) = options.requests.filter(|_| scenario != "download_1g") {
                    command.args(["--requests", &n.to_string()]);
                }
                if options.pin {
                    command.args(["--cpu", "1"]);
                }
                let output = finish(
                    &mut command,
                    &format!("{key} on {scenario} (round {round})"),
                )?;
                let text = String::from_utf8_lossy(&output.stdout);
                let json = text.lines().last().unwrap_or_default();
                let _ = writeln!(raw, "{json}");
                let mut line = parse_line(json)
                    .ok_or_else(|| format!("{key} {scenario}: unreadable output {json:?}"))?;
                eprintln!(
                    "round {round}/{} {scenario:<12} {key:<15} {}",
                    options.rounds,
                    line.get("rps").map_or("skipped", String::as_str)
                );
                line.insert("key".to_owned(), key.to_owned());
                line.insert("round".to_owned(), round.to_string());
                lines.push(line);
            }
        }
    }
    write(&out.join("raw.jsonl"), &raw)?;
    Ok(lines)
}

/// Runs a client (or a tool around one) to its end. A client that saw a wrong answer exits
/// non-zero: that, like any failure, is an error naming `what`.
fn finish(command: &mut Command, what: &str) -> Result<Output, String> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output)
}

/// A flat JSON object of numbers, strings and booleans, as the clients print it.
fn parse_line(json: &str) -> Option<Line> {
    let body = json.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut line = Line::new();
    for pair in body.split(',') {
        let (key, value) = pair.split_once(':')?;
        line.insert(
            key.trim().trim_matches('"').to_owned(),
            value.trim().trim_matches('"').to_owned(),
        );
    }
    Some(line)
}
