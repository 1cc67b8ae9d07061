//! `cargo xtask ci`: everything CI runs, in order, stopping at the first failure.
//!
//! Clippy and the tests run package by package so that one crate's features never switch on
//! another's: a crate that forgot to enable a feature it uses fails here, not in a user's build.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use crate::{cmd::Cmd, tidy, workspace::Workspace};

/// A step of the CI run, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `cargo fmt --check`.
    Fmt,
    /// [`tidy::check`].
    Tidy,
    /// Clippy over the feature matrix, warnings denied.
    Clippy,
    /// The tests over the feature matrix.
    Tests,
    /// The API docs, broken intra-doc links denied.
    Docs,
    /// `cargo xtask interop`: the tests against real peers (installed when missing).
    Interop,
}

impl Step {
    /// Every step, in order.
    pub const ALL: [Step; 6] = [
        Step::Fmt,
        Step::Tidy,
        Step::Clippy,
        Step::Tests,
        Step::Docs,
        Step::Interop,
    ];

    /// The step's name, as `--skip-<name>` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Tidy => "tidy",
            Step::Clippy => "clippy",
            Step::Tests => "tests",
            Step::Docs => "docs",
            Step::Interop => "interop",
        }
    }
}

/// The options of `cargo xtask ci`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Only fmt, tidy, and the tests with one feature set (the workspace's defaults plus the
    /// facade's json and rustls-ring) in a single cargo invocation.
    pub quick: bool,
    /// Steps to leave out.
    pub skip: Vec<Step>,
    /// Print the commands instead of running them.
    pub dry_run: bool,
}

impl Options {
    /// Reads `--quick`, `--dry-run` and `--skip-<step>` flags.
    pub fn parse(args: &[String]) -> Result<Options, String> {
        let mut options = Options::default();
        for arg in args {
            match arg.as_str() {
                "--quick" => options.quick = true,
                "--dry-run" => options.dry_run = true,
                other => {
                    let step = other
                        .strip_prefix("--skip-")
                        .and_then(|name| Step::ALL.into_iter().find(|s| s.name() == name))
                        .ok_or_else(|| format!("unknown option `{other}` for `ci`"))?;
                    options.skip.push(step);
                }
            }
        }
        Ok(options)
    }

    fn runs(&self, step: Step) -> bool {
        let quick_skips = self.quick && matches!(step, Step::Clippy | Step::Docs | Step::Interop);
        !quick_skips && !self.skip.contains(&step)
    }
}

const DEFAULT: &[&str] = &[];
const TLS_AWS_LC: &[&str] = &[
    "--no-default-features",
    "--features",
    "aws-lc-rs,webpki-roots,native-roots",
];
/// smol alone: no tokio, no TLS.
const FACADE_SMOL_NO_TLS: &[&str] = &["--no-default-features", "--features", "smol"];
/// The same, for tests: unit and integration tests only, since the doc examples are written for
/// the default runtime (tokio) and run in the all-features set.
const FACADE_SMOL_NO_TLS_TESTS: &[&str] =
    &["--no-default-features", "--features", "smol", "--tests"];
/// Every feature with the ring provider: every runtime runs the end-to-end suite.
const FACADE_ALL_RING: &[&str] = &[
    "--features",
    "tokio,smol,compio,json,rustls-ring,blocking,tower,hickory-dns,doh,dot,hsts,digest-auth,cookies,gzip,deflate,brotli,zstd",
];
const FACADE_AWS_LC: &[&str] = &["--features", "tokio,json,rustls-aws-lc-rs"];
const FACADE_AWS_LC_NATIVE: &[&str] = &[
    "--features",
    "tokio,json,rustls-aws-lc-rs,rustls-native-roots",
];
const DNS_ENCRYPTED: &[&str] = &["--features", "doh,dot"];
/// Every middleware and coding.
const MIDDLEWARE_ALL: &[&str] = &["--all-features"];

/// The feature flags clippy checks `package` with, one cargo invocation each.
pub fn clippy_feature_sets(package: &str) -> &'static [&'static [&'static str]] {
    match package {
        "aioduct-tls" => &[DEFAULT, TLS_AWS_LC],
        "aioduct" => &[FACADE_SMOL_NO_TLS, FACADE_ALL_RING, FACADE_AWS_LC_NATIVE],
        "aioduct-dns" => &[DEFAULT, DNS_ENCRYPTED],
        "aioduct-middleware" => &[DEFAULT, MIDDLEWARE_ALL],
        _ => &[DEFAULT],
    }
}

/// The feature flags the tests of `package` run with, one cargo invocation each.
pub fn test_feature_sets(package: &str) -> &'static [&'static [&'static str]] {
    match package {
        "aioduct-tls" => &[DEFAULT, TLS_AWS_LC],
        "aioduct" => &[FACADE_ALL_RING, FACADE_AWS_LC, FACADE_SMOL_NO_TLS_TESTS],
        "aioduct-dns" => &[DNS_ENCRYPTED],
        "aioduct-middleware" => &[MIDDLEWARE_ALL],
        _ => &[DEFAULT],
    }
}

/// The facade features the quick tests and the docs use, for a whole-workspace invocation.
const WORKSPACE_FEATURES: &[&str] = &[
    "--features",
    "aioduct/json,aioduct/rustls-ring,aioduct/smol,aioduct/compio,aioduct/blocking,aioduct/tower,aioduct/hickory-dns,aioduct/hsts,aioduct/digest-auth,aioduct/cookies,aioduct/gzip,aioduct/deflate,aioduct/brotli,aioduct/zstd",
];

/// Intra-doc links that do not resolve fail the docs step.
const RUSTDOCFLAGS: &str = "-D rustdoc::broken_intra_doc_links -D rustdoc::private_intra_doc_links";

/// Runs the CI steps the options select, printing each step's wall time and the total.
pub fn run(root: &Path, options: &Options) -> Result<(), String> {
    let started = Instant::now();
    let mut times = Vec::new();
    let mut result = Ok(());
    for step in Step::ALL.into_iter().filter(|s| options.runs(*s)) {
        eprintln!("\n==> ci: {}", step.name());
        let step_started = Instant::now();
        let outcome = match step {
            Step::Tidy if options.dry_run => {
                eprintln!("(tidy runs in-process)");
                Ok(())
            }
            Step::Tidy => tidy::run(root),
            _ => commands(root, step, options.quick)
                .and_then(|cmds| run_all(root, &cmds, options.dry_run)),
        };
        times.push((step, step_started.elapsed()));
        if let Err(err) = outcome {
            result = Err(format!("ci failed at step `{}`: {err}", step.name()));
            break;
        }
    }
    let verdict = match (&result, options.dry_run) {
        (_, true) => "dry run",
        (Ok(()), false) => "passed",
        (Err(_), false) => "FAILED",
    };
    summary(&times, started.elapsed(), verdict);
    result
}

/// The cargo commands of a step.
fn commands(root: &Path, step: Step, quick: bool) -> Result<Vec<Cmd>, String> {
    let cmds = match step {
        Step::Fmt => vec![Cmd::cargo(["fmt", "--all", "--", "--check"])],
        Step::Tidy => Vec::new(),
        Step::Tests if quick => {
            vec![Cmd::cargo(["test", "--workspace"]).args(WORKSPACE_FEATURES.iter().copied())]
        }
        Step::Clippy | Step::Tests => {
            let workspace = Workspace::load(root)?;
            let mut cmds = Vec::new();
            for member in &workspace.members {
                let name = member.name.as_str();
                if step == Step::Clippy {
                    for flags in clippy_feature_sets(name) {
                        cmds.push(
                            Cmd::cargo(["clippy", "-p", name])
                                .args(flags.iter().copied())
                                .args(["--all-targets", "--", "-D", "warnings"]),
                        );
                    }
                } else {
                    for flags in test_feature_sets(name) {
                        cmds.push(Cmd::cargo(["test", "-p", name]).args(flags.iter().copied()));
                    }
                }
            }
            cmds
        }
        Step::Interop => vec![Cmd::cargo([
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--",
            "interop",
        ])],
        Step::Docs => {
            let rustdocflags = match std::env::var("RUSTDOCFLAGS") {
                Ok(theirs) if !theirs.trim().is_empty() => format!("{theirs} {RUSTDOCFLAGS}"),
                _ => RUSTDOCFLAGS.to_owned(),
            };
            vec![
                Cmd::cargo(["doc", "--workspace", "--no-deps"])
                    .args(WORKSPACE_FEATURES.iter().copied())
                    .env("RUSTDOCFLAGS", rustdocflags),
            ]
        }
    };
    Ok(cmds)
}

/// Runs `cmds` in order, each followed by its wall time; stops at the first failure.
fn run_all(root: &Path, cmds: &[Cmd], dry_run: bool) -> Result<(), String> {
    for cmd in cmds {
        if dry_run {
            eprintln!("$ {cmd}");
            continue;
        }
        let started = Instant::now();
        let outcome = cmd.run(root);
        eprintln!("    ({})", human(started.elapsed()));
        outcome.map_err(|err| format!("{err}; run it again to see why"))?;
    }
    Ok(())
}

fn summary(times: &[(Step, Duration)], total: Duration, verdict: &str) {
    eprintln!("\nci {verdict}:");
    for (step, time) in times {
        eprintln!("  {:<8}{:>12}", step.name(), human(*time));
    }
    eprintln!("  {:<8}{:>12}", "total", human(total));
}

/// `4.2s`, or `12m 03.5s` past a minute.
fn human(time: Duration) -> String {
    let secs = time.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let minutes = (secs / 60.0).floor();
        format!("{minutes}m {:04.1}s", secs - minutes * 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_flags() {
        let options = Options::parse(&args(&["--quick", "--skip-docs", "--dry-run"])).unwrap();
        assert!(options.quick && options.dry_run);
        assert_eq!(options.skip, [Step::Docs]);
        assert!(options.runs(Step::Tests) && !options.runs(Step::Clippy));
        assert!(Options::parse(&args(&["--skip-everything"])).is_err());
        assert!(Options::parse(&args(&["--fast"])).is_err());
    }

    #[test]
    fn covers_both_providers_and_no_tls() {
        let facade: Vec<String> = test_feature_sets("aioduct")
            .iter()
            .map(|f| f.join(" "))
            .collect();
        assert!(facade.iter().any(|f| f.contains("rustls-ring")));
        assert!(facade.iter().any(|f| f.contains("rustls-aws-lc-rs")));
        assert!(facade.iter().any(|f| !f.contains("rustls")));
        assert_eq!(clippy_feature_sets("aioduct-core"), [DEFAULT]);
    }

    #[test]
    fn formats_durations() {
        assert_eq!(human(Duration::from_millis(4200)), "4.2s");
        assert_eq!(human(Duration::from_millis(723_500)), "12m 03.5s");
    }
}
