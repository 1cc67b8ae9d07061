//! `cargo xtask size`: what a minimal HTTPS GET costs with aioduct, reqwest and hyper-util.
//!
//! Builds each of `bench/size/*` (one GET over rustls with ring, nothing else) cold, in a fresh
//! target folder, one after the other, in release with `strip = true`, and reports the stripped
//! binary size, the crates linked (`cargo tree -e normal`) and the build's CPU time (user + system
//! of cargo and every compiler it ran). Writes `target/bench/size.md` as well.

use std::{
    collections::BTreeSet,
    fmt::Write as _,
    path::Path,
    process::{Command, Stdio},
    time::Instant,
};

/// The programs: (client, package).
const PROGRAMS: [(&str, &str); 3] = [
    ("aioduct", "size-aioduct"),
    ("reqwest", "size-reqwest"),
    ("hyper-util", "size-hyper-util"),
];

/// The USER_HZ of Linux's /proc times: 100 on every architecture Rust targets.
const TICKS_PER_SECOND: f64 = 100.0;

/// Builds the programs and prints the table.
pub(crate) fn run(root: &Path) -> Result<(), String> {
    let bench = root.join("bench");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // Downloads are not part of the build's cost.
    let fetched = Command::new(&cargo)
        .arg("fetch")
        .current_dir(&bench)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !fetched.success() {
        return Err("cargo fetch failed".to_owned());
    }
    let started = Instant::now();
    let mut md = String::from(
        "| program (one HTTPS GET, rustls + ring) | stripped binary | crates | build CPU (user + sys) | build wall |\n\
         |---|--:|--:|--:|--:|\n",
    );
    for (client, package) in PROGRAMS {
        let target = bench.join("target").join(format!("size-{client}"));
        let _ = std::fs::remove_dir_all(&target);
        eprintln!("building {package} cold in {}", target.display());
        let cpu_before = children_cpu()?;
        let wall = Instant::now();
        let status = Command::new(&cargo)
            .args(["build", "--release", "--quiet", "-p", package])
            .current_dir(&bench)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_PROFILE_RELEASE_STRIP", "true")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
            .env("CARGO_INCREMENTAL", "0")
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("building {package} failed ({status})"));
        }
        let wall = wall.elapsed().as_secs_f64();
        let cpu = children_cpu()? - cpu_before;
        let binary = target.join("release").join(package);
        let bytes = std::fs::metadata(&binary)
            .map_err(|e| format!("{}: {e}", binary.display()))?
            .len();
        let crates = crate_count(&cargo, &bench, package)?;
        let _ = writeln!(
            md,
            "| {client} | {:.2} MiB | {crates} | {cpu:.0} s | {wall:.0} s |",
            bytes as f64 / (1024.0 * 1024.0)
        );
    }
    let _ = writeln!(
        md,
        "\nCold builds, one after the other, in {:.0} s. Crates: the program's normal dependencies \
         (`cargo tree -e normal`), itself excluded.",
        started.elapsed().as_secs_f64()
    );
    print!("{md}");
    let out = root.join("target").join("bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    std::fs::write(out.join("size.md"), &md).map_err(|e| format!("size.md: {e}"))?;
    Ok(())
}

/// The distinct crates `package` links, itself excluded.
fn crate_count(cargo: &std::ffi::OsStr, bench: &Path, package: &str) -> Result<usize, String> {
    let output = Command::new(cargo)
        .args(["tree", "-p", package, "-e", "normal", "--prefix", "none"])
        .current_dir(bench)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let crates: BTreeSet<&str> = text
        .lines()
        .map(|line| line.trim_end_matches(" (*)").trim())
        .filter(|line| !line.is_empty())
        .collect();
    Ok(crates.len().saturating_sub(1))
}

/// CPU seconds (user + system) of the children this process has waited for, from /proc.
fn children_cpu() -> Result<f64, String> {
    let stat = std::fs::read_to_string("/proc/self/stat").map_err(|e| format!("/proc: {e}"))?;
    // Fields after the command name, which is in parentheses and may hold spaces: the state is
    // field 3, cutime and cstime are fields 16 and 17.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok((ticks(13) + ticks(14)) / TICKS_PER_SECOND)
}
