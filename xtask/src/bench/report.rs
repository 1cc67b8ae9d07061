//! The report of `cargo xtask bench`: medians, ratios, targets, the runtime table, the chart.

use std::{collections::BTreeMap, fmt::Write as _};

use super::{CLIENTS, Line, Options, RUNTIME_SCENARIOS, SCENARIOS};

/// The median of `values` (the mean of the middle two of an even count); `None` for none.
fn median_of(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 0 => Some((values[mid - 1] + values[mid]) / 2.0),
        _ => Some(values[mid]),
    }
}

/// The runs of `key` on `scenario`.
fn runs<'a>(lines: &'a [Line], key: &'a str, scenario: &'a str) -> impl Iterator<Item = &'a Line> {
    lines
        .iter()
        .filter(move |l| l.get("key").is_some_and(|k| k == key))
        .filter(move |l| l.get("scenario").is_some_and(|s| s == scenario))
}

/// The median of `field` over the rounds of `key` on `scenario`; `None` if it was not run.
fn median(lines: &[Line], key: &str, scenario: &str, field: &str) -> Option<f64> {
    median_of(
        runs(lines, key, scenario)
            .filter_map(|l| l.get(field)?.parse().ok())
            .collect(),
    )
}

/// The throughput field of a scenario: MB/s for the download, requests (chains) per second else.
fn throughput_field(scenario: &str) -> &'static str {
    if scenario == "download_1g" {
        "mbps"
    } else {
        "rps"
    }
}

/// `key`'s `field` on `scenario` in each round it ran.
fn per_round(lines: &[Line], key: &str, scenario: &str, field: &str) -> BTreeMap<String, f64> {
    runs(lines, key, scenario)
        .filter_map(|l| Some((l.get("round")?.clone(), l.get(field)?.parse().ok()?)))
        .collect()
}

/// How `key` compares with the best of `peers` on `scenario`: with the peer of the highest
/// median throughput, by [`paired`]. (Not with the best peer of each round: the larger of two
/// noisy runs is biased upwards, which on this VM's downloads alone made a tie look like 0.7x.)
fn paired_best(lines: &[Line], key: &str, peers: &[&str], scenario: &str) -> Option<f64> {
    let best = peers
        .iter()
        .filter_map(|peer| Some((*peer, throughput(lines, peer, scenario)?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    paired(lines, key, best.0, scenario)
}

/// How `key`'s `field` compares with `peer`'s on `scenario`: the median over rounds of each
/// round's ratio. The runs of a round follow each other, so the ratio of one round is not moved
/// by this VM's speed drifting between rounds, as a ratio of medians is.
fn paired_field(lines: &[Line], key: &str, peer: &str, scenario: &str, field: &str) -> Option<f64> {
    median_of(round_ratios(lines, key, peer, scenario, field))
}

/// Each round's ratio of `key`'s `field` to `peer`'s on `scenario`.
fn round_ratios(lines: &[Line], key: &str, peer: &str, scenario: &str, field: &str) -> Vec<f64> {
    let theirs = per_round(lines, peer, scenario, field);
    per_round(lines, key, scenario, field)
        .iter()
        .filter_map(|(round, a)| {
            let b = *theirs.get(round)?;
            (b > 0.0).then(|| a / b)
        })
        .collect()
}

/// The lowest and highest of the rounds' ratios, as `rounds 0.81-1.03x`: how far one run of
/// this VM moves a figure, beside the median a target is judged by.
fn spread(lines: &[Line], key: &str, peer: &str, scenario: &str, field: &str) -> String {
    let ratios = round_ratios(lines, key, peer, scenario, field);
    let low = ratios.iter().copied().reduce(f64::min);
    let high = ratios.iter().copied().reduce(f64::max);
    match (low, high) {
        (Some(low), Some(high)) => format!("rounds {low:.2}-{high:.2}x"),
        _ => "no rounds".to_owned(),
    }
}

/// [`paired_field`] of the scenario's throughput.
fn paired(lines: &[Line], key: &str, peer: &str, scenario: &str) -> Option<f64> {
    paired_field(lines, key, peer, scenario, throughput_field(scenario))
}

/// The scenario's throughput figure: the median over rounds.
fn throughput(lines: &[Line], key: &str, scenario: &str) -> Option<f64> {
    median(lines, key, scenario, throughput_field(scenario))
}

fn manual(lines: &[Line], key: &str, scenario: &str) -> bool {
    lines.iter().any(|l| {
        l.get("key").is_some_and(|k| k == key)
            && l.get("scenario").is_some_and(|s| s == scenario)
            && l.get("manual").is_some_and(|m| m == "true")
    })
}

fn show(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}"))
}

fn show_ratio(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}x"))
}

/// Three clients' medians of `field`, as `a / r / h`.
fn triple(lines: &[Line], scenario: &str, field: &str, scale: f64, decimals: usize) -> String {
    CLIENTS
        .iter()
        .map(|(key, _, _)| {
            show(
                median(lines, key, scenario, field).map(|v| v / scale),
                decimals,
            )
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

/// The scenarios that were run, in report order.
fn scenarios_run(lines: &[Line]) -> Vec<(&'static str, &'static str)> {
    SCENARIOS
        .into_iter()
        .filter(|(s, _)| {
            lines
                .iter()
                .any(|l| l.get("scenario").is_some_and(|x| x == s))
        })
        .collect()
}

/// The Markdown report: the main table, the targets, the runtime table.
pub(super) fn report(lines: &[Line], options: &Options) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# aioduct benchmark\n\nMedians of {} rounds, {} s per run{}, clients interleaved \
         (one run of each per round, in reverse order every other round); {}. A ratio is the \
         median over rounds of that round's ratio, which this VM's speed drifting between rounds \
         does not move. Client: one process per run, current-thread tokio, each program built on its own with \
         what a user of its library enables (gzip: aioduct on zlib-rs, reqwest on flate2's \
         default miniz_oxide). Server: hyper, one thread.\n",
        options.rounds,
        options.duration,
        options
            .requests
            .map_or(String::new(), |n| format!(" (or {n} requests)")),
        if options.pin {
            "server pinned to CPU 0, clients to CPU 1"
        } else {
            "not pinned"
        },
    );
    let _ = writeln!(
        md,
        "| scenario | unit | aioduct | reqwest | hyper-util | vs reqwest | vs hyper-util | \
         p50 µs a / r / h | p99 µs a / r / h | CPU µs/req a / r / h | peak RSS MiB a / r / h | \
         server conns a / r / h |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    );
    for (scenario, unit) in scenarios_run(lines) {
        let [a, r, h] = CLIENTS.map(|(key, _, _)| throughput(lines, key, scenario));
        let mark = |key: &str| {
            if manual(lines, key, scenario) {
                " †"
            } else {
                ""
            }
        };
        let decimals = if scenario == "download_1g" || scenario == "gzip_1m" {
            1
        } else {
            0
        };
        let _ = writeln!(
            md,
            "| {scenario} | {unit} | {}{} | {}{} | {}{} | {} | {} | {} | {} | {} | {} | {} |",
            show(a, decimals),
            mark("aioduct"),
            show(r, decimals),
            mark("reqwest"),
            show(h, decimals),
            mark("hyper-util"),
            show_ratio(paired(lines, "aioduct", "reqwest", scenario)),
            show_ratio(paired(lines, "aioduct", "hyper-util", scenario)),
            triple(lines, scenario, "p50_us", 1.0, 0),
            triple(lines, scenario, "p99_us", 1.0, 0),
            triple(lines, scenario, "cpu_us", 1.0, 1),
            triple(lines, scenario, "rss_kb", 1024.0, 1),
            triple(lines, scenario, "conns", 1.0, 0),
        );
    }
    md.push_str(
        "\n† redirects followed by hand in the benchmark program (the client library does not \
         follow them). n/a: not run (the library does not decode gzip).\n",
    );
    md.push_str(&targets(lines));
    md.push_str(&runtimes(lines));
    md
}

/// Issue 6's targets, each marked met or not met.
fn targets(lines: &[Line]) -> String {
    let mut md = String::from("\n## Targets\n\n| target | result | detail |\n|---|---|---|\n");
    let mut row = |target: &str, met: Option<bool>, detail: String| {
        let result = match met {
            Some(true) => "met",
            Some(false) => "**not met**",
            None => "not measured",
        };
        let _ = writeln!(md, "| {target} | {result} | {detail} |");
    };
    let run = scenarios_run(lines);
    // Scenarios where both clients ran the library's own code path.
    let comparable = |peer: &'static str| -> Vec<(&str, &str, f64)> {
        run.iter()
            .filter(|(s, _)| !manual(lines, "aioduct", s) && !manual(lines, peer, s))
            .filter_map(|(s, _)| paired(lines, "aioduct", peer, s).map(|r| (*s, peer, r)))
            .collect()
    };
    let below = |ratios: &[(&str, &str, f64)], floor: f64| -> (Option<bool>, String) {
        let misses: Vec<String> = ratios
            .iter()
            .filter(|(_, _, r)| *r < floor)
            .map(|(s, peer, r)| {
                let spread = spread(lines, "aioduct", peer, s, throughput_field(s));
                format!("{s} {r:.2}x ({spread})")
            })
            .collect();
        let met = (!ratios.is_empty()).then_some(misses.is_empty());
        (
            met,
            if misses.is_empty() {
                "all scenarios".to_owned()
            } else {
                format!("below: {}", misses.join(", "))
            },
        )
    };
    let (met, detail) = below(&comparable("hyper-util"), 1.0);
    row(">= 1.0x hyper-util on every scenario both run", met, detail);
    let (met, detail) = below(&comparable("reqwest"), 1.3);
    row(">= 1.3x reqwest on every scenario both run", met, detail);
    for scenario in ["redirect_5", "gzip_1m"] {
        let r = paired(lines, "aioduct", "reqwest", scenario);
        let (met, detail) = match r {
            _ if !run.iter().any(|(s, _)| *s == scenario) => (None, String::new()),
            None => (
                Some(false),
                "aioduct cannot run it (no decompression yet)".to_owned(),
            ),
            Some(r) if manual(lines, "aioduct", scenario) => (
                Some(false),
                format!("aioduct does not follow redirects yet; by hand it does {r:.2}x"),
            ),
            Some(r) => (Some(r >= 1.2), format!("{r:.2}x")),
        };
        row(&format!(">= 1.2x reqwest on {scenario}"), met, detail);
    }
    // CPU time drifts with the machine as throughput does: compared round by round. Peak RSS
    // does not: compared as medians.
    let per_scenario = |field: &str, peer: &str, paired: bool| -> (Option<bool>, String) {
        let worse: Vec<String> = run
            .iter()
            .filter_map(|(s, _)| {
                let ours = median(lines, "aioduct", s, field)?;
                let theirs = median(lines, peer, s, field)?;
                if paired {
                    let r = paired_field(lines, "aioduct", peer, s, field)?;
                    let spread = spread(lines, "aioduct", peer, s, field);
                    (r > 1.0).then(|| format!("{s} {r:.2}x ({ours:.0} vs {theirs:.0}; {spread})"))
                } else {
                    (ours > theirs).then(|| format!("{s} {ours:.0} vs {theirs:.0}"))
                }
            })
            .collect();
        (
            Some(worse.is_empty()),
            if worse.is_empty() {
                "all scenarios".to_owned()
            } else {
                format!("above on: {}", worse.join(", "))
            },
        )
    };
    let (met, detail) = per_scenario("cpu_us", "hyper-util", true);
    row("client CPU per request <= hyper-util's (µs)", met, detail);
    let (met, detail) = per_scenario("rss_kb", "reqwest", false);
    row("peak RSS <= reqwest's (KiB)", met, detail);
    if run.iter().any(|(s, _)| *s == "download_1g") {
        let peers: Vec<&str> = CLIENTS[1..].iter().map(|(key, _, _)| *key).collect();
        let r = paired_best(lines, "aioduct", &peers, "download_1g");
        let rss = median(lines, "aioduct", "download_1g", "rss_kb").unwrap_or(0.0) / 1024.0;
        // Flat: the peak RSS is a tiny fraction of the 1 GiB body.
        let met = r.map(|r| r >= 0.95 && rss < 64.0);
        row(
            "1 GiB download >= 0.95x the best peer, RSS flat",
            met,
            format!("{} of the best peer; peak RSS {rss:.1} MiB", show_ratio(r)),
        );
    }
    md.push_str("\nBinary size and build CPU: see `cargo xtask size`.\n");
    md
}

/// Issue 3's runtime ratios: aioduct on tokio, smol and compio.
fn runtimes(lines: &[Line]) -> String {
    let mut md = String::from(
        "\n## aioduct on each runtime\n\n| scenario | tokio req/s | smol req/s | compio req/s | \
         smol / tokio | compio / tokio | CPU µs/req tokio / smol / compio |\n|---|--:|--:|--:|--:|--:|--:|\n",
    );
    let keys = ["aioduct", "aioduct-smol", "aioduct-compio"];
    for scenario in RUNTIME_SCENARIOS {
        let [t, s, c] = keys.map(|key| throughput(lines, key, scenario));
        if t.is_none() {
            continue;
        }
        let cpu = keys
            .map(|key| show(median(lines, key, scenario, "cpu_us"), 1))
            .join(" / ");
        let _ = writeln!(
            md,
            "| {scenario} | {} | {} | {} | {} | {} | {cpu} |",
            show(t, 0),
            show(s, 0),
            show(c, 0),
            show_ratio(paired(lines, "aioduct-smol", "aioduct", scenario)),
            show_ratio(paired(lines, "aioduct-compio", "aioduct", scenario)),
        );
    }
    md
}

/// A bar chart of each client's throughput relative to reqwest, one group per scenario.
pub(super) fn chart(lines: &[Line]) -> String {
    let colors = ["#2b7bba", "#999999", "#e08a1e"];
    let scenarios = scenarios_run(lines);
    let (left, bar, gap, width) = (110.0, 14.0, 12.0, 420.0);
    let group = bar * 3.0 + gap;
    let height = 60.0 + group * scenarios.len() as f64 + 30.0;
    let max = scenarios
        .iter()
        .flat_map(|(s, _)| {
            CLIENTS
                .iter()
                .filter_map(|(k, _, _)| paired(lines, k, "reqwest", s))
        })
        .fold(1.5_f64, f64::max);
    let x = |r: f64| left + width * r / max;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-size=\"14\">Throughput relative to reqwest (median of each round's ratio; higher is better)</text>\n",
        left + width + 70.0
    );
    for (i, (key, _, _)) in CLIENTS.iter().enumerate() {
        let lx = 10.0 + 120.0 * i as f64;
        let _ = writeln!(
            svg,
            "<rect x=\"{lx}\" y=\"28\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"37\">{key}</text>",
            colors[i],
            lx + 14.0
        );
    }
    let top = 50.0;
    let bottom = top + group * scenarios.len() as f64;
    let _ = writeln!(
        svg,
        "<line x1=\"{0}\" y1=\"{top}\" x2=\"{0}\" y2=\"{bottom}\" stroke=\"#444\" stroke-dasharray=\"3,3\"/>\
         <text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">1.0x</text>",
        x(1.0),
        bottom + 14.0
    );
    for (n, (scenario, _)) in scenarios.iter().enumerate() {
        let y0 = top + group * n as f64;
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{scenario}</text>",
            left - 6.0,
            y0 + bar * 1.5 + 4.0
        );
        for (i, (key, _, _)) in CLIENTS.iter().enumerate() {
            let y = y0 + bar * i as f64;
            let label = match paired(lines, key, "reqwest", scenario) {
                Some(r) => {
                    let _ = writeln!(
                        svg,
                        "<rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"/>",
                        x(r) - left,
                        bar - 2.0,
                        colors[i]
                    );
                    let dagger = if manual(lines, key, scenario) {
                        " †"
                    } else {
                        ""
                    };
                    (x(r) + 4.0, format!("{r:.2}x{dagger}"))
                }
                None => (left + 4.0, "n/a".to_owned()),
            };
            let _ = writeln!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\">{}</text>",
                label.0,
                y + bar - 4.0,
                label.1
            );
        }
    }
    let _ = writeln!(
        svg,
        "<text x=\"10\" y=\"{}\">† redirects followed by hand in the benchmark program</text>",
        bottom + 28.0
    );
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The h1_seq lines of three rounds: each client's req/s in rounds 1, 2 and 3.
    fn rounds(table: &[(&str, [f64; 3])]) -> Vec<Line> {
        let line = |key: &str, round: usize, rps: f64| -> Line {
            [
                ("key", key.to_owned()),
                ("scenario", "h1_seq".to_owned()),
                ("round", round.to_string()),
                ("rps", rps.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect()
        };
        table
            .iter()
            .flat_map(|(key, rps)| (1..).zip(rps).map(move |(round, r)| line(key, round, *r)))
            .collect()
    }

    #[test]
    fn ratios_pair_the_runs_of_a_round() {
        // The machine halves its speed after round 1: each round, aioduct does 1.2x hyper-util.
        let lines = rounds(&[
            ("aioduct", [120.0, 60.0, 60.0]),
            ("hyper-util", [100.0, 50.0, 50.0]),
            ("reqwest", [50.0, 80.0, 25.0]),
        ]);
        let r = paired(&lines, "aioduct", "hyper-util", "h1_seq").unwrap();
        assert!((r - 1.2).abs() < 1e-9, "{r}");
        // The best peer is the one of the highest median. Two peers as fast as aioduct, each
        // ahead in a different round: hyper-util (median 95) is the best, and aioduct does
        // 100/95 against it. The best run of each round (120, 130, 95) would give 0.83x.
        let noisy = rounds(&[
            ("aioduct", [100.0, 100.0, 100.0]),
            ("hyper-util", [90.0, 130.0, 95.0]),
            ("reqwest", [120.0, 85.0, 92.0]),
        ]);
        let best = paired_best(&noisy, "aioduct", &["hyper-util", "reqwest"], "h1_seq").unwrap();
        assert!((best - 100.0 / 95.0).abs() < 1e-9, "{best}");
        assert_eq!(paired(&lines, "aioduct", "nobody", "h1_seq"), None);
        assert_eq!(
            spread(&noisy, "aioduct", "hyper-util", "h1_seq", "rps"),
            "rounds 0.77-1.11x"
        );
        assert_eq!(
            spread(&lines, "aioduct", "nobody", "h1_seq", "rps"),
            "no rounds"
        );
        assert_eq!(median_of(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median_of(Vec::new()), None);
    }
}
