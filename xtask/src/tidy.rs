//! `cargo xtask tidy`: the checks that keep the workspace in the shape DESIGN.md describes.
//!
//! Each problem is reported with what to do about it. The same checks run as a test
//! (`xtask/tests/tidy.rs`), so `cargo test` enforces them too.

use std::{
    fs,
    path::{Path, PathBuf},
};

use crate::{
    cmd::Cmd,
    workspace::{DependencyKind, Workspace},
};

/// A crate of DESIGN.md §1 and the workspace crates it may depend on (normal and build
/// dependencies; dev-dependencies are free except for the rules in [`check`]).
#[derive(Debug, Clone, Copy)]
pub struct Crate {
    /// The crate's name, which is also its folder at the root.
    pub name: &'static str,
    /// The workspace crates it may depend on.
    pub may_depend_on: &'static [&'static str],
}

const CORE: &str = "aioduct-core";

/// The crates of DESIGN.md §1, in its order, which is also the order CI builds them in.
///
/// Keep this in step with DESIGN.md: when that table is found next to the repository (in
/// `../shared/`) tidy reports any crate it lists that is missing here.
pub const CRATES: &[Crate] = &[
    krate("aioduct-core", &[]),
    krate("aioduct-rt-tokio", &[CORE]),
    krate("aioduct-rt-smol", &[CORE]),
    krate("aioduct-rt-compio", &[CORE]),
    krate("aioduct-rt-wasm", &[CORE]),
    krate("aioduct-tls", &[CORE]),
    // Core is allowed as an optional dependency only: the tree check below builds the pool
    // with its default features and finds no other aioduct crate.
    krate("aioduct-pool", &[CORE]),
    krate("aioduct-h3", &[CORE, "aioduct-tls"]),
    krate("aioduct-middleware", &[CORE]),
    krate("aioduct-cache", &[CORE]),
    krate("aioduct-dns", &[CORE]),
    krate("aioduct-proxy", &[CORE]),
    krate("aioduct", FACADE_DEPENDENCIES),
    krate("aioduct-cli", &["aioduct"]),
    krate("xtask", &[]),
];

/// The facade may use every library crate.
const FACADE_DEPENDENCIES: &[&str] = &[
    CORE,
    "aioduct-rt-tokio",
    "aioduct-rt-smol",
    "aioduct-rt-compio",
    "aioduct-rt-wasm",
    "aioduct-tls",
    "aioduct-pool",
    "aioduct-h3",
    "aioduct-middleware",
    "aioduct-cache",
    "aioduct-dns",
    "aioduct-proxy",
];

/// What the facade may depend on unconditionally: the crates DESIGN.md §4 gives no feature of
/// their own. The runtimes, TLS, HTTP/3 and hickory DNS sit behind features.
const FACADE_ALWAYS: &[&str] = &[
    CORE,
    "aioduct-pool",
    "aioduct-proxy",
    "aioduct-middleware",
    "aioduct-cache",
];

/// Crates that must not appear anywhere in aioduct-core's dependency tree (a name matches
/// itself and its `name-…` family, so `hickory` covers `hickory-resolver`).
const NOT_IN_CORE: &[&str] = &[
    "tokio", "rustls", "quinn", "hickory", "async-io", "compio", "hyper",
];

/// The longest a Rust source file may grow.
pub const MAX_LINES: usize = 800;

/// Written in two pieces so that this file does not trip its own check.
const IGNORE_ATTRIBUTE: &str = concat!("#[", "ignore");

const fn krate(name: &'static str, may_depend_on: &'static [&'static str]) -> Crate {
    Crate {
        name,
        may_depend_on,
    }
}

/// Where `name` sits in [`CRATES`]; unknown names sort last.
pub fn order(name: &str) -> usize {
    CRATES
        .iter()
        .position(|c| c.name == name)
        .unwrap_or(CRATES.len())
}

/// Runs the checks and prints what they found; an error if anything did.
pub fn run(root: &Path) -> Result<(), String> {
    let problems = check(root);
    if problems.is_empty() {
        eprintln!("tidy: no problems found");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    Err(format!("tidy found {} problem(s)", problems.len()))
}

/// Runs every check on the workspace at `root` and returns the problems, each saying what to fix.
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    match Workspace::load(root) {
        Ok(workspace) => {
            crates(root, &workspace, &mut problems);
            manifests(root, &workspace, &mut problems);
            dependencies(&workspace, &mut problems);
            dependency_trees(root, &mut problems);
            sources(root, &workspace, &mut problems);
        }
        Err(err) => problems.push(format!("cannot read the workspace: {err}")),
    }
    design_table(root, &mut problems);
    root_documents(root, &mut problems);
    problems
}

/// Every crate of DESIGN.md §1 is a folder at the root with a matching package, and a member.
fn crates(root: &Path, workspace: &Workspace, problems: &mut Vec<String>) {
    for krate in CRATES {
        let dir = root.join(krate.name);
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            problems.push(format!(
                "{}/Cargo.toml is missing: every crate of DESIGN.md §1 is a folder at the root \
                 named like the crate, with its manifest",
                krate.name
            ));
            continue;
        };
        match manifest_value(&text, "package.name") {
            Some(name) if name == format!("\"{}\"", krate.name) => {}
            other => problems.push(format!(
                "{}/Cargo.toml: set `name = \"{}\"` under [package] (found {}): the folder \
                 and the crate share one name",
                krate.name,
                krate.name,
                other.unwrap_or_else(|| "no name".to_owned())
            )),
        }
        let is_member = workspace.members.iter().any(|m| m.dir == dir);
        if !is_member {
            problems.push(format!(
                "{}: add \"{}\" to `members` in the root Cargo.toml",
                krate.name, krate.name
            ));
        }
    }
    for member in &workspace.members {
        if !CRATES.iter().any(|c| c.name == member.name) {
            problems.push(format!(
                "{} is a workspace member but not a crate of DESIGN.md §1: add it there and to \
                 CRATES in xtask/src/tidy.rs, with what it may depend on",
                member.name
            ));
        }
        if member.dir.parent() != Some(root) {
            problems.push(format!(
                "{} lives in {}: crates are folders directly at the root",
                member.name,
                relative(root, &member.dir)
            ));
        }
    }
}

/// Members that may declare a newer rust-version than the workspace's, and why.
const NEWER_MSRV: &[(&str, &str)] = &[(
    "aioduct-rt-compio",
    "compio 0.19 uses std's `cfg_select!`, stable since Rust 1.95",
)];

/// Every member inherits edition, rust-version and license, and the workspace lints.
fn manifests(root: &Path, workspace: &Workspace, problems: &mut Vec<String>) {
    for member in &workspace.members {
        let path = member.dir.join("Cargo.toml");
        let shown = relative(root, &path);
        let Ok(text) = fs::read_to_string(&path) else {
            problems.push(format!("{shown}: cannot be read"));
            continue;
        };
        for key in ["edition", "rust-version", "license"] {
            let excused = key == "rust-version"
                && NEWER_MSRV.iter().any(|(name, _)| *name == member.name)
                && manifest_value(&text, "package.rust-version").is_some();
            if !excused && !inherits(&text, &format!("package.{key}")) {
                problems.push(format!(
                    "{shown}: set `{key}.workspace = true` under [package]"
                ));
            }
        }
        if !inherits(&text, "lints") {
            problems.push(format!(
                "{shown}: add a `[lints]` table with `workspace = true`"
            ));
        }
    }
}

/// Whether the manifest takes `key` from the workspace: `key.workspace = true` or
/// `key = { workspace = true }`.
fn inherits(manifest: &str, key: &str) -> bool {
    manifest_value(manifest, &format!("{key}.workspace")).as_deref() == Some("true")
        || manifest_value(manifest, key).as_deref() == Some("{workspace=true}")
}

/// The value of the dotted `key` in a manifest, with its whitespace removed; `None` if absent.
///
/// A line-based reading of TOML, enough for the flat keys tidy checks: `[table]` headers and
/// `a.b = value` lines, comments after `#` ignored.
fn manifest_value(manifest: &str, key: &str) -> Option<String> {
    let mut table = String::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            table = line.trim_matches(['[', ']']).trim().to_owned();
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name: String = name.split_whitespace().collect();
        let full = if table.is_empty() {
            name
        } else {
            format!("{table}.{name}")
        };
        if full == key {
            // A `#` inside a quoted string is text, not a comment.
            let value = value.trim();
            let value = match value.strip_prefix('"').and_then(|rest| rest.find('"')) {
                Some(end) => &value[..end + 2],
                None => value.split('#').next().unwrap_or(""),
            };
            return Some(value.split_whitespace().collect());
        }
    }
    None
}

/// The dependency rules of DESIGN.md §1, on each member's direct dependencies.
fn dependencies(workspace: &Workspace, problems: &mut Vec<String>) {
    for member in &workspace.members {
        let allowed = CRATES
            .iter()
            .find(|c| c.name == member.name)
            .map(|c| c.may_depend_on);
        for dep in member.local_dependencies(workspace) {
            let (from, to) = (member.name.as_str(), dep.name.as_str());
            if to == "aioduct-cli" || to == "xtask" {
                problems.push(format!(
                    "{from} depends on {to}: nothing may depend on the CLI or on xtask; \
                     move what it needs into a library crate"
                ));
            } else if from == "xtask" {
                problems.push(format!(
                    "xtask depends on {to}: xtask builds without any aioduct crate; shell \
                     out to cargo instead"
                ));
            } else if to == "aioduct" && from != "aioduct-cli" {
                problems.push(format!(
                    "{from} has the facade `aioduct` in [{}]: only aioduct-cli may depend on \
                     it; depend on aioduct-core instead",
                    dep.kind.section()
                ));
            } else if dep.kind != DependencyKind::Dev
                && let Some(allowed) = allowed
                && !allowed.contains(&to)
            {
                problems.push(format!(
                    "{from} depends on {to}, but DESIGN.md §1 lets it depend only on [{}]: \
                     move the shared part into aioduct-core",
                    allowed.join(", ")
                ));
            } else if from == "aioduct"
                && dep.kind == DependencyKind::Normal
                && !dep.optional
                && !FACADE_ALWAYS.contains(&to)
            {
                problems.push(format!(
                    "aioduct depends on {to} unconditionally: make it `optional = true` behind \
                     a feature, so users pay only for what they link"
                ));
            }
        }
    }
}

/// The transitive rules: aioduct-core stays free of runtimes and TLS, and aioduct-pool builds
/// and tests with no other aioduct crate.
fn dependency_trees(root: &Path, problems: &mut Vec<String>) {
    let tree = |package: &str, edges: &str, extra: &[&str]| {
        Cmd::cargo(["tree", "-p", package, "-e", edges, "--prefix", "none"])
            .args(["--target", "all"])
            .args(extra.iter().copied())
            .read(root)
            .map(|out| tree_names(&out))
    };

    match tree(CORE, "normal", &["--all-features"]) {
        Ok(names) => {
            for name in names {
                if NOT_IN_CORE.iter().any(|bad| is_family(&name, bad)) {
                    problems.push(format!(
                        "aioduct-core depends on {name} (see `cargo tree -p aioduct-core -e \
                         normal -i {name}`): the core holds traits and vocabulary only, no \
                         runtime, TLS, QUIC, DNS library or hyper; move that code to its own crate"
                    ));
                }
            }
        }
        Err(err) => problems.push(format!("cannot list aioduct-core's dependencies: {err}")),
    }

    match tree("aioduct-pool", "normal,build,dev", &[]) {
        Ok(names) => {
            for name in names {
                if name.starts_with("aioduct") && name != "aioduct-pool" {
                    problems.push(format!(
                        "aioduct-pool depends on {name} (see `cargo tree -p aioduct-pool -i \
                         {name}`): the pool builds and is tested with no other aioduct crate \
                         (aioduct-core only as an optional feature, off by default)"
                    ));
                }
            }
        }
        Err(err) => problems.push(format!("cannot list aioduct-pool's dependencies: {err}")),
    }
}

/// The distinct package names in `cargo tree --prefix none` output.
fn tree_names(output: &str) -> Vec<String> {
    let mut names: Vec<String> = output
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('['))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `name` is `family` or one of its `family-…` crates.
fn is_family(name: &str, family: &str) -> bool {
    name.strip_prefix(family)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
}

/// Source files stay short and no test is switched off.
fn sources(root: &Path, workspace: &Workspace, problems: &mut Vec<String>) {
    let mut files = Vec::new();
    for member in &workspace.members {
        rust_files(&member.dir, &mut files);
    }
    files.sort();
    for file in files {
        let Ok(text) = fs::read_to_string(&file) else {
            continue;
        };
        let shown = relative(root, &file);
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!(
                "{shown} has {lines} lines, over {MAX_LINES}: split it into modules"
            ));
        }
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with(IGNORE_ATTRIBUTE) {
                problems.push(format!(
                    "{shown}:{}: remove `{IGNORE_ATTRIBUTE}]`: fix the test, or delete it",
                    number + 1
                ));
            }
        }
    }
}

/// Collects the `.rs` files under `dir`, skipping build output and hidden folders.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if name != "target" && !name.starts_with('.') {
                rust_files(&path, out);
            }
        } else if kind.is_file() && name.ends_with(".rs") {
            out.push(path);
        }
    }
}

/// Every crate DESIGN.md §1 names is in [`CRATES`], when DESIGN.md can be found.
fn design_table(root: &Path, problems: &mut Vec<String>) {
    let candidates = [
        root.join("DESIGN.md"),
        root.join("docs/DESIGN.md"),
        root.join("../shared/DESIGN.md"),
    ];
    let Some(text) = candidates.iter().find_map(|p| fs::read_to_string(p).ok()) else {
        return;
    };
    for name in design_crates(&text) {
        if !CRATES.iter().any(|c| c.name == name) {
            problems.push(format!(
                "DESIGN.md §1 lists `{name}`, which tidy does not know: add it to CRATES in \
                 xtask/src/tidy.rs (and create the crate)"
            ));
        }
    }
}

/// The crate names in the first column of DESIGN.md's §1 table.
fn design_crates(design: &str) -> Vec<String> {
    let mut in_section = false;
    let mut names = Vec::new();
    for line in design.lines() {
        if line.starts_with("## ") {
            in_section = line.starts_with("## 1.");
            continue;
        }
        if !in_section || !line.starts_with('|') {
            continue;
        }
        let first_cell = line.split('|').nth(1).unwrap_or("").trim();
        if let Some(name) = first_cell
            .strip_prefix('`')
            .and_then(|cell| cell.strip_suffix('`'))
        {
            names.push(name.to_owned());
        }
    }
    names
}

/// README.md tells a newcomer the two commands; ARCHITECTURE.md states the invariants.
fn root_documents(root: &Path, problems: &mut Vec<String>) {
    match fs::read_to_string(root.join("README.md")) {
        Ok(readme) => {
            for command in ["cargo xtask demo", "cargo xtask ci"] {
                if !readme.contains(command) {
                    problems.push(format!(
                        "README.md: mention `{command}`, one of the two commands a newcomer runs"
                    ));
                }
            }
        }
        Err(_) => problems.push(
            "README.md is missing: write one at the root that shows `cargo xtask demo` and \
             `cargo xtask ci`"
                .to_owned(),
        ),
    }
    match fs::read_to_string(root.join("ARCHITECTURE.md")) {
        Ok(architecture) => {
            let states_invariant = architecture.lines().any(|line| {
                line.trim_start()
                    .trim_start_matches(['-', '*', ' '])
                    .starts_with("Architecture invariant:")
            });
            if !states_invariant {
                problems.push(
                    "ARCHITECTURE.md: state the invariants on lines starting \
                     \"Architecture invariant:\""
                        .to_owned(),
                );
            }
        }
        Err(_) => problems.push(
            "ARCHITECTURE.md is missing: write one at the root (a bird's-eye view, a code map, \
             and lines starting \"Architecture invariant:\")"
                .to_owned(),
        ),
    }
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inherited_keys_in_both_spellings() {
        let manifest = "[package]\nname = \"a\" # the name\nedition.workspace = true\n\
                        rust-version = { workspace = true }\nlicense = \"MIT\"\n\n\
                        [lints]\nworkspace = true # shared\n";
        assert_eq!(manifest_value(manifest, "package.name").unwrap(), "\"a\"");
        assert!(inherits(manifest, "package.edition"));
        assert!(inherits(manifest, "package.rust-version"));
        assert!(!inherits(manifest, "package.license"));
        assert!(inherits(manifest, "lints"));
        assert!(inherits("lints.workspace = true\n[package]\n", "lints"));
        assert!(!inherits("[package]\nlints.workspace = true\n", "lints"));
    }

    #[test]
    fn matches_crate_families_not_prefixes() {
        assert!(is_family("hickory-resolver", "hickory"));
        assert!(is_family("tokio", "tokio"));
        assert!(!is_family("tokiox", "tokio"));
        assert!(!is_family("hyperlocal", "hyper"));
    }

    #[test]
    fn lists_tree_names_once() {
        let out = "aioduct-core v0.1.0 (/w/aioduct-core)\nbytes v1.0.0\n\n\
                   [dev-dependencies]\nbytes v1.0.0 (*)\n";
        assert_eq!(tree_names(out), ["aioduct-core", "bytes"]);
    }

    #[test]
    fn reads_the_crate_table_of_section_one() {
        let design = "# d\n## 1. Crates\n| crate | job |\n|---|---|\n| `aioduct-core` | x |\n\
                      | `xtask` | y |\n## 2. Traits\n| `Runtime` | z |\n";
        assert_eq!(design_crates(design), ["aioduct-core", "xtask"]);
    }

    #[test]
    fn every_crate_in_the_order_is_known() {
        assert_eq!(order("aioduct-core"), 0);
        assert_eq!(order("not-a-crate"), CRATES.len());
        for krate in CRATES {
            for dep in krate.may_depend_on {
                assert!(
                    order(dep) < CRATES.len(),
                    "{} may use unknown {dep}",
                    krate.name
                );
            }
        }
    }
}
