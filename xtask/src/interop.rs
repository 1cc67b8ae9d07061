//! `cargo xtask interop`: the tests against real third-party peers (../shared/PEERS.md).
//!
//! xtask only installs and runs. It installs what is missing (Debian packages through apt-get,
//! pproxy, httpbin and gunicorn into a venv under the target folder), then runs the two interop
//! test targets: `aioduct/tests/interop.rs` (squid, tinyproxy, dante, `ssh -D`, pproxy,
//! dnsmasq, httpbin, Caddy) and `aioduct-dns/tests/unbound.rs`. Each test starts its own peer on 127.0.0.1 and stops it, so
//! nothing is left running whatever happens here. At the end: pass/fail per peer, and the times.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

const USAGE: &str = "\
Usage: cargo xtask interop [--no-install] [-- <test filter and libtest options>]

Installs the real peers that are missing (apt-get; pproxy, httpbin and gunicorn into
target/interop/venv), then runs the interop tests, each of which starts its peer on 127.0.0.1
and stops it:
  cargo test -p aioduct --features interop --test interop       squid, tinyproxy, dante,
                                                                ssh -D, pproxy, dnsmasq,
                                                                httpbin, Caddy
  cargo test -p aioduct-dns --features interop --test unbound   unbound (Do53, DoT, DoH)
and prints pass/fail per peer and the times.

      --no-install   only run the tests (a missing peer fails its tests, naming the package)
";

/// The Debian packages of the peers.
const APT_PACKAGES: &[&str] = &[
    "squid",
    "tinyproxy",
    "dante-server",
    "openssh-server",
    "openssh-client",
    "dnsmasq",
    "unbound",
    "caddy",
];

/// The programs those packages bring: any of them missing means an install.
const PROGRAMS: &[&str] = &[
    "squid",
    "tinyproxy",
    "danted",
    "sshd",
    "ssh",
    "ssh-keygen",
    "dnsmasq",
    "unbound",
    "caddy",
];

/// The Python peers of PEERS.md, pinned, installed into one venv: pproxy, and httpbin under
/// gunicorn.
const PIP_PACKAGES: &[&str] = &["pproxy==2.7.9", "httpbin==0.10.4", "gunicorn==23.0.0"];

/// A test target to run, and how its tests map to peers.
struct Suite {
    package: &'static str,
    target: &'static str,
    /// The peer of every test, or `None` when it is the test's module (`squid::…`).
    peer: Option<&'static str>,
}

const SUITES: &[Suite] = &[
    Suite {
        package: "aioduct",
        target: "interop",
        peer: None,
    },
    Suite {
        package: "aioduct-dns",
        target: "unbound",
        peer: Some("unbound"),
    },
];

/// Passed and failed test names of one peer.
#[derive(Default)]
struct Tally {
    passed: usize,
    failed: Vec<String>,
}

/// Runs `cargo xtask interop` with `args`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let mut install = true;
    let mut test_args = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--no-install" => install = false,
            "--help" | "-h" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--" => test_args.extend(rest.by_ref().cloned()),
            other => return Err(format!("unknown option `{other}` for `interop`\n\n{USAGE}")),
        }
    }

    let started = Instant::now();
    let venv = target_dir(root).join("interop").join("venv");
    let pproxy = venv.join("bin").join("pproxy");
    if install {
        install_debian_packages()?;
        install_python_peers(&venv)?;
    }
    let installed = started.elapsed();

    let tests_started = Instant::now();
    let mut peers: BTreeMap<String, Tally> = BTreeMap::new();
    let mut broken = Vec::new();
    for suite in SUITES {
        let success = run_suite(root, suite, &pproxy, &test_args, &mut peers)?;
        if !success {
            broken.push(format!("{} --test {}", suite.package, suite.target));
        }
    }
    let tested = tests_started.elapsed();

    eprintln!("\ninterop results:");
    let mut failures = 0;
    for (peer, tally) in &peers {
        let verdict = if tally.failed.is_empty() {
            "pass"
        } else {
            "FAIL"
        };
        eprintln!(
            "  {peer:<10} {verdict}  {} passed, {} failed",
            tally.passed,
            tally.failed.len()
        );
        for name in &tally.failed {
            eprintln!("               failed: {name}");
        }
        failures += tally.failed.len();
    }
    if install {
        eprintln!("  {:<10} {:>12}", "install", human(installed));
    }
    eprintln!("  {:<10} {:>12}", "tests", human(tested));
    eprintln!("  {:<10} {:>12}", "total", human(started.elapsed()));

    if failures > 0 {
        Err(format!(
            "{failures} interop test(s) failed; their output is above"
        ))
    } else if !broken.is_empty() {
        Err(format!(
            "`cargo test` failed with no test failing (a build error?): {}",
            broken.join(", ")
        ))
    } else if peers.is_empty() {
        Err("no interop test ran (a filter that matches nothing?)".to_owned())
    } else {
        Ok(())
    }
}

/// `cargo test -p PACKAGE --features interop --test TARGET`, its output passed through and its
/// `test NAME ... ok|FAILED` lines tallied per peer. Whether cargo exited with success.
fn run_suite(
    root: &Path,
    suite: &Suite,
    pproxy: &Path,
    test_args: &[String],
    peers: &mut BTreeMap<String, Tally>,
) -> Result<bool, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut args = vec![
        "test".to_owned(),
        "-p".to_owned(),
        suite.package.to_owned(),
        "--features".to_owned(),
        "interop".to_owned(),
        "--test".to_owned(),
        suite.target.to_owned(),
    ];
    if !test_args.is_empty() {
        args.push("--".to_owned());
        args.extend(test_args.iter().cloned());
    }
    eprintln!("$ cargo {}", args.join(" "));
    let mut cmd = Command::new(&cargo);
    cmd.args(&args).current_dir(root);
    if pproxy.is_file() {
        cmd.env("AIODUCT_PPROXY", pproxy);
    }
    let gunicorn = pproxy.with_file_name("gunicorn");
    if gunicorn.is_file() {
        cmd.env("AIODUCT_GUNICORN", gunicorn);
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|err| format!("cannot start cargo: {err}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|err| format!("reading cargo's output: {err}"))?;
        println!("{line}");
        if let Some((name, passed)) = test_line(&line) {
            let peer = suite
                .peer
                .map(str::to_owned)
                .unwrap_or_else(|| name.split("::").next().unwrap_or(name).to_owned());
            let tally = peers.entry(peer).or_default();
            if passed {
                tally.passed += 1;
            } else {
                tally.failed.push(name.to_owned());
            }
        }
    }
    let status = child
        .wait()
        .map_err(|err| format!("waiting for cargo: {err}"))?;
    Ok(status.success())
}

/// `test NAME ... ok` or `... FAILED` (libtest's plain output): the name and whether it passed.
fn test_line(line: &str) -> Option<(&str, bool)> {
    let rest = line.strip_prefix("test ")?;
    let (name, outcome) = rest.split_once(" ... ")?;
    match outcome.trim() {
        "ok" => Some((name, true)),
        "FAILED" => Some((name, false)),
        _ => None,
    }
}

/// `apt-get update` and one `apt-get install` of every peer package, when a program is missing.
fn install_debian_packages() -> Result<(), String> {
    let missing: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|program| find_program(program).is_none())
        .collect();
    if missing.is_empty() {
        eprintln!("interop: the Debian peers are installed");
        return Ok(());
    }
    let install = format!(
        "apt-get install -y --no-install-recommends {}",
        APT_PACKAGES.join(" ")
    );
    if !is_root() {
        return Err(format!(
            "missing {}; as root: apt-get update && {install}",
            missing.join(", ")
        ));
    }
    eprintln!("interop: missing {}", missing.join(", "));
    run_quietly(
        Command::new("apt-get").args(["update", "-q"]),
        "apt-get update -q",
    )?;
    let mut cmd = Command::new("apt-get");
    cmd.args(["install", "-y", "-q", "--no-install-recommends"])
        .args(APT_PACKAGES)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run_quietly(
        &mut cmd,
        &format!("DEBIAN_FRONTEND=noninteractive {install}"),
    )?;
    let still: Vec<&str> = PROGRAMS
        .iter()
        .copied()
        .filter(|program| find_program(program).is_none())
        .collect();
    if still.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "still missing after the install: {}",
            still.join(", ")
        ))
    }
}

/// pproxy, httpbin and gunicorn in a venv of their own, unless they are there already.
fn install_python_peers(venv: &Path) -> Result<(), String> {
    let bin = venv.join("bin");
    if ["pproxy", "gunicorn"]
        .iter()
        .all(|program| bin.join(program).is_file())
    {
        eprintln!(
            "interop: pproxy, httpbin and gunicorn are installed in {}",
            venv.display()
        );
        return Ok(());
    }
    let dir = venv.display().to_string();
    let made = run_quietly(
        Command::new("python3").args(["-m", "venv", &dir]),
        &format!("python3 -m venv {dir}"),
    );
    if made.is_err() && is_root() {
        // Debian's own python3 makes venvs only with python3-venv.
        let mut cmd = Command::new("apt-get");
        cmd.args([
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "python3-venv",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive");
        run_quietly(&mut cmd, "apt-get install python3-venv")?;
        run_quietly(
            Command::new("python3").args(["-m", "venv", "--clear", &dir]),
            &format!("python3 -m venv --clear {dir}"),
        )?;
    } else {
        made?;
    }
    let pip = venv.join("bin").join("pip");
    run_quietly(
        Command::new(&pip)
            .args(["install", "-q"])
            .args(PIP_PACKAGES),
        &format!("{} install -q {}", pip.display(), PIP_PACKAGES.join(" ")),
    )
}

/// Runs `cmd`, echoed as `shown`, with its output kept unless it fails.
fn run_quietly(cmd: &mut Command, shown: &str) -> Result<(), String> {
    eprintln!("$ {shown}");
    let started = Instant::now();
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("cannot start `{shown}`: {err}"))?;
    eprintln!("    ({})", human(started.elapsed()));
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{shown}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// `program` on `PATH` or in the sbin folders, which a user's `PATH` may leave out.
fn find_program(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `CARGO_TARGET_DIR` (relative to the workspace root), or the root's `target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// `4.2s`, or `2m 03.5s` past a minute.
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
    use super::test_line;

    #[test]
    fn reads_libtest_result_lines() {
        assert_eq!(
            test_line("test squid::forwards_plain_http ... ok"),
            Some(("squid::forwards_plain_http", true))
        );
        assert_eq!(
            test_line("test dot_via_unbound ... FAILED"),
            Some(("dot_via_unbound", false))
        );
        assert_eq!(test_line("test result: ok. 17 passed; 0 failed"), None);
        assert_eq!(test_line("test a ... ignored"), None);
        assert_eq!(test_line("running 17 tests"), None);
    }
}
