//! `cargo xtask bench --counts`: instructions and system calls per request, counted rather than
//! timed.
//!
//! On this kind of VM a client's wall-clock speed drifts by tens of percent within minutes, but
//! the instructions it executes (valgrind's callgrind) and the system calls it makes (strace) for
//! the same work do not. Each client runs every scenario twice, with `n` and `2n` requests and no
//! warm-up; the difference divided by `n` is the cost of one request, start-up and connection
//! set-up (where the scenario reuses one) cancelled out. Every answer is still checked by the
//! client: a wrong one fails the run.
//!
//! hyper-util's program sends no header of its own, aioduct's default client three (the
//! `User-Agent` the seed asks for, `Accept: */*` and the `Accept-Encoding` of its decoders), and
//! on HTTP/2 each costs an HPACK table lookup and a pass of hyper's and h2's header checks. So
//! hyper-util is counted twice: as it is, and sending aioduct's headers (the same request).

use std::{fmt::Write as _, path::Path, process::Command};

use super::{CLIENTS, Options, SCENARIOS, Server, finish};

/// Requests per counted run: enough to dwarf the noise of start-up, few enough to keep the whole
/// pass to a few minutes under valgrind. Redirects count per chain. `None` for the download: how
/// many bytes one read returns depends on how fast the client drains its socket, which valgrind
/// and strace change, so its counts would describe a client slowed fifty-fold.
fn requests(scenario: &str) -> Option<u64> {
    Some(match scenario {
        "download_1g" => return None,
        "gzip_1m" => 20,
        "redirect_5" => 200,
        "new_conn" => 500,
        "post_16k" | "tls_seq" => 1000,
        _ => 2000,
    })
}

/// What one request of a scenario cost a client.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cost {
    instructions: f64,
    syscalls: f64,
}

/// Counts every client on every scenario (or those of `--only`) and returns the Markdown report.
pub(super) fn measure(bin: &Path, server: &Server, options: &Options) -> Result<String, String> {
    for tool in ["valgrind", "strace"] {
        let found = Command::new(tool).arg("--version").output();
        if !found.is_ok_and(|o| o.status.success()) {
            return Err(format!(
                "`--counts` needs {tool} (Debian: `apt-get install {tool}`)"
            ));
        }
    }
    let headers = aioduct_headers();
    let same_request: Vec<String> = headers
        .iter()
        .flat_map(|h| ["--header".to_owned(), h.clone()])
        .collect();
    let mut md = format!(
        "# aioduct benchmark: counted costs\n\nInstructions (valgrind's callgrind) and system \
         calls (strace -f) per request, from a run of 2n requests minus one of n (no warm-up), \
         one client process at a time against the benchmark server. Instructions are user space \
         only; the kernel's work shows as the system calls. The redirect scenario counts per \
         chain of six requests; the download is left out (under valgrind the socket is always \
         full, so its reads are not those of a real run). h=: hyper-util sending the headers \
         aioduct's default client sends ({}).\n\n| scenario | n | instructions a / r / h / h= | \
         a vs h | a vs h= | a vs r | syscalls a / r / h |\n|---|--:|--:|--:|--:|--:|--:|\n",
        headers.join(", ")
    );
    let (_, hyper_util, hyper_util_rt) = CLIENTS[2];
    let runs = CLIENTS
        .map(|(key, program, runtime)| (key, program, runtime, &[][..]))
        .into_iter()
        .chain([("hyper-util=", hyper_util, hyper_util_rt, &same_request[..])]);
    let mut fewer = Vec::new();
    for (scenario, _) in SCENARIOS {
        if !options.only.is_empty() && !options.only.iter().any(|s| s == scenario) {
            continue;
        }
        let Some(n) = requests(scenario) else {
            continue;
        };
        let mut costs = Vec::new();
        for (key, program, runtime, extra) in runs.clone() {
            let cost = cost(bin, server, (program, runtime, extra), scenario, n)?;
            eprintln!(
                "{scenario:<12} {key:<11} {}",
                cost.map_or("skipped".to_owned(), |c| format!(
                    "{:.0} instructions, {:.2} syscalls",
                    c.instructions, c.syscalls
                ))
            );
            costs.push(cost);
        }
        let [a, r, h, same] = [costs[0], costs[1], costs[2], costs[3]];
        let ratio = |x: Option<Cost>, y: Option<Cost>| match (x, y) {
            (Some(x), Some(y)) if x.instructions > 0.0 => {
                format!("{:.2}x", y.instructions / x.instructions)
            }
            _ => "n/a".to_owned(),
        };
        if let (Some(a), Some(h), Some(same)) = (a, h, same) {
            fewer.push((
                scenario,
                a.instructions <= h.instructions,
                a.instructions <= same.instructions,
            ));
        }
        let each = |clients: &[Option<Cost>], field: fn(&Cost) -> String| {
            clients
                .iter()
                .map(|c| c.as_ref().map_or("n/a".to_owned(), field))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let _ = writeln!(
            md,
            "| {scenario} | {n} | {} | {} | {} | {} | {} |",
            each(&[a, r, h, same], |c| format!(
                "{:.1}k",
                c.instructions / 1000.0
            )),
            ratio(a, h),
            ratio(a, same),
            ratio(a, r),
            each(&[a, r, h], |c| format!("{:.1}", c.syscalls)),
        );
    }
    let more = |pick: fn(&(&str, bool, bool)) -> bool| -> String {
        let worse: Vec<&str> = fewer.iter().filter(|f| !pick(f)).map(|f| f.0).collect();
        let fewer_on = fewer.len() - worse.len();
        if worse.is_empty() {
            format!("{fewer_on} of {}", fewer.len())
        } else {
            format!(
                "{fewer_on} of {} (more on {})",
                fewer.len(),
                worse.join(", ")
            )
        }
    };
    let _ = writeln!(
        md,
        "\nA ratio above 1 means aioduct executes fewer instructions. aioduct executes no more \
         instructions per request than hyper-util's client on {}, and than hyper-util's client \
         sending the same request on {}.",
        more(|f| f.1),
        more(|f| f.2),
    );
    Ok(md)
}

/// The headers aioduct's default client adds to a request of the bench, as `name: value`:
/// its `User-Agent` (the workspace's version, which xtask shares), `Accept` and the
/// `Accept-Encoding` of the bench client's one decoder (gzip).
fn aioduct_headers() -> [String; 3] {
    [
        concat!("user-agent: aioduct/", env!("CARGO_PKG_VERSION")).to_owned(),
        "accept: */*".to_owned(),
        "accept-encoding: gzip".to_owned(),
    ]
}

/// One client's cost per request on `scenario`; `None` if the client does not run it.
fn cost(
    bin: &Path,
    server: &Server,
    (program, runtime, extra): (&str, &str, &[String]),
    scenario: &str,
    n: u64,
) -> Result<Option<Cost>, String> {
    let mut counts = Vec::new();
    for requests in [n, 2 * n] {
        let run = |tool: &[&str]| -> Result<Option<String>, String> {
            let (first, rest) = tool.split_first().ok_or("no tool")?;
            let mut command = Command::new(first);
            command
                .args(rest)
                .arg(bin.join(program))
                .args(server.client_args(scenario, runtime))
                .args(extra)
                .args(["--warmup", "0", "--requests", &requests.to_string()]);
            let output = finish(
                &mut command,
                &format!("{program} on {scenario} under {first}"),
            )?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            if stdout.contains("\"skipped\"") {
                return Ok(None);
            }
            Ok(Some(String::from_utf8_lossy(&output.stderr).into_owned()))
        };
        let Some(stderr) = run(&[
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
        ])?
        else {
            return Ok(None);
        };
        let instructions = collected(&stderr)
            .ok_or_else(|| format!("{program} {scenario}: no instruction count from callgrind"))?;
        let summary =
            std::env::temp_dir().join(format!("aioduct-bench-strace-{}", std::process::id()));
        let summary_arg = summary.to_string_lossy().into_owned();
        run(&["strace", "-f", "-c", "-o", &summary_arg])?;
        let text = std::fs::read_to_string(&summary).map_err(|e| format!("{summary_arg}: {e}"))?;
        let _ = std::fs::remove_file(&summary);
        let syscalls = strace_total(&text)
            .ok_or_else(|| format!("{program} {scenario}: no total in strace's summary"))?;
        counts.push((instructions, syscalls));
    }
    let per = |second: u64, first: u64| second.saturating_sub(first) as f64 / n as f64;
    Ok(Some(Cost {
        instructions: per(counts[1].0, counts[0].0),
        syscalls: per(counts[1].1, counts[0].1),
    }))
}

/// The instructions callgrind reports on stderr: `==PID== Collected : 107,476,014`.
fn collected(stderr: &str) -> Option<u64> {
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    let number = line.rsplit(':').next()?.trim().replace(',', "");
    number.parse().ok()
}

/// The calls of the `total` line of `strace -c`'s summary.
fn strace_total(summary: &str) -> Option<u64> {
    let line = summary.lines().find(|l| l.trim_end().ends_with("total"))?;
    // % time, seconds, usecs/call, calls, [errors,] total
    line.split_whitespace().nth(3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_callgrinds_count() {
        let stderr = "==12315== Events    : Ir\n==12315== Collected : 107,476,014\n==12315==\n";
        assert_eq!(collected(stderr), Some(107_476_014));
        assert_eq!(collected("no such line"), None);
    }

    #[test]
    fn reads_the_total_of_straces_summary() {
        let summary = "% time     seconds  usecs/call     calls    errors syscall\n\
             ------ ----------- ----------- --------- --------- ------------------\n \
             72.27    0.312503          19     16396           recvfrom\n\
             ------ ----------- ----------- --------- --------- ------------------\n\
             100.00    0.150525           9     16220        16 total\n";
        assert_eq!(strace_total(summary), Some(16220));
        let no_errors = "100.00    0.000100           5        20           total\n";
        assert_eq!(strace_total(no_errors), Some(20));
        assert_eq!(strace_total("garbage"), None);
    }
}
