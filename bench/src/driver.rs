//! Runs one scenario against one client: warm-up, the measured run, the checks, the report.

use std::{
    cell::{Cell, RefCell},
    fmt::Write as _,
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::{
    Args, BenchClient, DOWNLOAD_LEN, Flavor, GZIP_PLAIN_LEN, POST_LEN, Reply, SMALL_BODY, Scenario,
    rusage, server_conns,
};

/// The hops of the redirect scenario.
const HOPS: u32 = 5;

/// One line of results, printed as flat JSON.
#[derive(Debug, Default)]
pub struct Report {
    fields: Vec<(&'static str, String)>,
}

impl Report {
    fn text(mut self, key: &'static str, value: &str) -> Self {
        self.fields.push((key, format!("\"{value}\"")));
        self
    }

    fn number(mut self, key: &'static str, value: impl std::fmt::Display) -> Self {
        self.fields.push((key, value.to_string()));
        self
    }

    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        let mut line = String::from("{");
        for (i, (key, value)) in self.fields.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(line, "{sep}\"{key}\":{value}");
        }
        line.push('}');
        line
    }
}

/// Runs the scenario named by `--scenario` with client `C` and reports it.
///
/// Arguments: `--scenario NAME --plain HOST:PORT --tls HOST:PORT --ca PEM-FILE`, and optionally
/// `--duration SECS` (2; at least one request), `--requests N` (instead of a duration),
/// `--warmup SECS` (0.3).
pub async fn run<C: BenchClient>(
    client: &str,
    runtime: &str,
    args: &Args,
) -> Result<Report, String> {
    let name = args.value("scenario").unwrap_or_default();
    let scenario =
        Scenario::from_name(&name).ok_or_else(|| format!("unknown scenario `{name}`"))?;
    let plain = args.value("plain").ok_or("--plain HOST:PORT is required")?;
    let tls = args.value("tls").ok_or("--tls HOST:PORT is required")?;
    let ca_path = args.value("ca").ok_or("--ca FILE is required")?;
    let ca = std::fs::read(&ca_path).map_err(|e| format!("{ca_path}: {e}"))?;
    let duration = Duration::from_secs_f64(args.parsed("duration").unwrap_or(2.0));
    let warmup = Duration::from_secs_f64(args.parsed("warmup").unwrap_or(0.3));
    let requests: Option<u64> = args.parsed("requests");

    let report = Report::default()
        .text("client", client)
        .text("runtime", runtime)
        .text("scenario", scenario.name());
    let lib = C::build(scenario.flavor(), &ca)?;
    if scenario == Scenario::Gzip && !lib.decodes_gzip() {
        return Ok(report.text("skipped", "no gzip decoding"));
    }
    let base = match scenario.flavor() {
        Flavor::Tls => format!("https://{tls}"),
        _ => format!("http://{plain}"),
    };
    let job = Job {
        scenario,
        url: format!("{base}{}", path(scenario)),
        base,
        payload: Bytes::from((0..POST_LEN).map(|i| (i % 253) as u8).collect::<Vec<u8>>()),
    };

    let conns_before = server_conns(&plain)?;
    if scenario == Scenario::Download {
        // Open the connection; the first gigabyte is measured like the others.
        let reply = lib.get(&format!("{}/small", job.base), false).await?;
        check(&reply, scenario, SMALL_BODY.len() as u64)?;
    } else {
        drive(&lib, &job, Stop::Until(Instant::now() + warmup)).await?;
    }
    let stop = match requests {
        Some(n) => Stop::Count(n),
        _ => Stop::Until(Instant::now() + duration),
    };
    let (cpu_before, _) = rusage();
    let started = Instant::now();
    let mut done = drive(&lib, &job, stop).await?;
    let secs = started.elapsed().as_secs_f64();
    let (cpu_after, rss_kb) = rusage();
    let conns_after = server_conns(&plain)?;

    done.latencies.sort_unstable();
    let percentile = |p: usize| {
        let lat = &done.latencies;
        lat.get((lat.len() * p / 100).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |ns| *ns as f64 / 1000.0)
    };
    let count = done.latencies.len() as u64;
    let cpu_us = (cpu_after - cpu_before).as_secs_f64() * 1e6 / count.max(1) as f64;
    Ok(report
        .number("requests", count)
        .number("secs", format!("{secs:.3}"))
        .number("rps", format!("{:.1}", count as f64 / secs))
        .number("p50_us", format!("{:.1}", percentile(50)))
        .number("p99_us", format!("{:.1}", percentile(99)))
        .number("mbps", format!("{:.1}", done.bytes as f64 / secs / 1e6))
        .number("cpu_us", format!("{cpu_us:.2}"))
        .number("rss_kb", rss_kb)
        // Our two /conns connections are counted too: one before, one after.
        .number("conns", conns_after.saturating_sub(conns_before + 1))
        .text("version", &format!("{:?}", scenario.version()))
        .number(
            "manual",
            scenario == Scenario::Redirect && !lib.follows_redirects(),
        ))
}

/// What every request of a scenario asks.
struct Job {
    scenario: Scenario,
    base: String,
    url: String,
    payload: Bytes,
}

fn path(scenario: Scenario) -> String {
    match scenario {
        Scenario::Download => format!("/bytes/{DOWNLOAD_LEN}"),
        Scenario::Post16k => "/echo".to_owned(),
        Scenario::Redirect => format!("/redirect/{HOPS}"),
        Scenario::Gzip => "/gzip".to_owned(),
        _ => "/small".to_owned(),
    }
}

/// When a run stops.
#[derive(Clone, Copy)]
enum Stop {
    Until(Instant),
    Count(u64),
}

/// What the workers of a run share (they all run on one thread).
#[derive(Default)]
struct Tally {
    started: Cell<u64>,
    bytes: Cell<u64>,
    latencies: RefCell<Vec<u64>>,
}

struct Done {
    bytes: u64,
    /// Nanoseconds per request.
    latencies: Vec<u64>,
}

/// Runs the scenario's requests, `concurrency` at a time, until `stop`.
async fn drive<C: BenchClient>(lib: &C, job: &Job, stop: Stop) -> Result<Done, String> {
    let tally = Tally::default();
    let concurrency = job.scenario.concurrency();
    if concurrency == 1 {
        worker(lib, job, stop, &tally).await?;
    } else {
        let mut workers: FuturesUnordered<_> = (0..concurrency)
            .map(|_| worker(lib, job, stop, &tally))
            .collect();
        while let Some(result) = workers.next().await {
            result?;
        }
    }
    Ok(Done {
        bytes: tally.bytes.get(),
        latencies: tally.latencies.into_inner(),
    })
}

async fn worker<C: BenchClient>(
    lib: &C,
    job: &Job,
    stop: Stop,
    tally: &Tally,
) -> Result<(), String> {
    loop {
        let started = Instant::now();
        let go = match stop {
            // At least one request, so that a long one (the download) is measured once.
            Stop::Until(deadline) => tally.started.get() == 0 || started < deadline,
            Stop::Count(n) => tally.started.get() < n,
        };
        if !go {
            return Ok(());
        }
        tally.started.set(tally.started.get() + 1);
        let bytes = once(lib, job).await?;
        let nanos = started.elapsed().as_nanos() as u64;
        tally.latencies.borrow_mut().push(nanos);
        tally.bytes.set(tally.bytes.get() + bytes);
    }
}

/// One request of the scenario (a whole chain, for redirects), checked. Returns the body bytes.
async fn once<C: BenchClient>(lib: &C, job: &Job) -> Result<u64, String> {
    let scenario = job.scenario;
    match scenario {
        Scenario::Post16k => {
            let reply = lib.post(&job.url, job.payload.clone()).await?;
            check(&reply, scenario, POST_LEN as u64)?;
            if reply.body.as_ref() != Some(&job.payload) {
                return Err("post_16k: the echoed body differs from the one sent".to_owned());
            }
            Ok(reply.len)
        }
        Scenario::Redirect if !lib.follows_redirects() => {
            // The client does not follow redirects: followed here, by hand, and reported so.
            let mut url = job.url.clone();
            for _ in 0..HOPS {
                let reply = lib.get(&url, false).await?;
                if reply.status != 302 || reply.version != scenario.version() {
                    return Err(format!(
                        "redirect_5: {url}: expected a 302 over {:?}, got {} over {:?}",
                        scenario.version(),
                        reply.status,
                        reply.version
                    ));
                }
                let location = reply.location.ok_or("redirect_5: a 302 without Location")?;
                url = format!("{}{location}", job.base);
            }
            let reply = lib.get(&url, false).await?;
            check(&reply, scenario, SMALL_BODY.len() as u64)?;
            Ok(reply.len)
        }
        _ => {
            let expected = match scenario {
                Scenario::Download => DOWNLOAD_LEN,
                Scenario::Gzip => GZIP_PLAIN_LEN as u64,
                _ => SMALL_BODY.len() as u64,
            };
            let reply = lib.get(&job.url, false).await?;
            check(&reply, scenario, expected)?;
            Ok(reply.len)
        }
    }
}

/// A right answer: 200, exactly `len` body bytes, the scenario's protocol version.
fn check(reply: &Reply, scenario: Scenario, len: u64) -> Result<(), String> {
    if reply.status != 200 || reply.len != len || reply.version != scenario.version() {
        return Err(format!(
            "{}: expected 200 with {len} bytes over {:?}, got {} with {} bytes over {:?}",
            scenario.name(),
            scenario.version(),
            reply.status,
            reply.len,
            reply.version
        ));
    }
    Ok(())
}
