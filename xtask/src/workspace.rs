//! The workspace's members and their direct dependencies, from `cargo metadata`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cmd::Cmd;

/// The members of the workspace.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The members, in the order of [`tidy::CRATES`](crate::tidy::CRATES) (unknown ones last).
    pub members: Vec<Member>,
}

/// One workspace member.
#[derive(Debug, Clone)]
pub struct Member {
    /// The package name.
    pub name: String,
    /// The folder holding its `Cargo.toml`.
    pub dir: PathBuf,
    /// Its direct dependencies, of every kind and for every target.
    pub dependencies: Vec<Dependency>,
}

/// A direct dependency of a member.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The package depended on (not the name it is renamed to, if any).
    pub name: String,
    /// Normal, build or dev.
    pub kind: DependencyKind,
    /// Whether a feature has to turn it on.
    pub optional: bool,
    /// Whether it is a path dependency, which is how members depend on each other.
    pub local: bool,
}

/// The section of the manifest a dependency is declared in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DependencyKind {
    /// `[dependencies]`.
    Normal,
    /// `[build-dependencies]`.
    Build,
    /// `[dev-dependencies]`.
    Dev,
}

impl DependencyKind {
    /// The manifest section's name: `dependencies`, `build-dependencies` or `dev-dependencies`.
    pub fn section(self) -> &'static str {
        match self {
            DependencyKind::Normal => "dependencies",
            DependencyKind::Build => "build-dependencies",
            DependencyKind::Dev => "dev-dependencies",
        }
    }
}

impl Workspace {
    /// Reads the workspace rooted at `root` with `cargo metadata --no-deps` (no network needed).
    pub fn load(root: &Path) -> Result<Workspace, String> {
        let text = Cmd::cargo(["metadata", "--format-version", "1", "--no-deps"]).read(root)?;
        let metadata: Value = serde_json::from_str(&text)
            .map_err(|e| format!("cargo metadata printed invalid JSON: {e}"))?;
        let member_ids: Vec<&str> = metadata["workspace_members"]
            .as_array()
            .map(|ids| ids.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let no_packages = Vec::new();
        let packages = metadata["packages"].as_array().unwrap_or(&no_packages);
        let mut members = Vec::new();
        for package in packages {
            let id = package.get("id").and_then(|id| id.as_str());
            if !id.is_some_and(|id| member_ids.contains(&id)) {
                continue;
            }
            members.push(member(package)?);
        }
        members.sort_by_key(|m| crate::tidy::order(&m.name));
        Ok(Workspace { members })
    }

    /// The member called `name`.
    pub fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// Whether a member is called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.member(name).is_some()
    }
}

impl Member {
    /// The direct dependencies on other members of the workspace.
    pub fn local_dependencies<'a>(
        &'a self,
        workspace: &'a Workspace,
    ) -> impl Iterator<Item = &'a Dependency> + 'a {
        self.dependencies
            .iter()
            .filter(|d| d.local && workspace.has(&d.name))
    }
}

fn member(package: &Value) -> Result<Member, String> {
    let field = |key: &str| {
        package
            .get(key)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("cargo metadata: a package has no `{key}`"))
    };
    let name = field("name")?.to_owned();
    let manifest = PathBuf::from(field("manifest_path")?);
    let dir = manifest
        .parent()
        .ok_or_else(|| format!("cargo metadata: odd manifest path for {name}"))?
        .to_owned();
    let no_dependencies = Vec::new();
    let dependencies = package["dependencies"]
        .as_array()
        .unwrap_or(&no_dependencies)
        .iter()
        .map(|dep| Dependency {
            name: dep
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("")
                .to_owned(),
            kind: match dep.get("kind").and_then(|k| k.as_str()) {
                Some("dev") => DependencyKind::Dev,
                Some("build") => DependencyKind::Build,
                _ => DependencyKind::Normal,
            },
            optional: dep.get("optional") == Some(&Value::Bool(true)),
            local: dep.get("path").is_some_and(|p| p.as_str().is_some()),
        })
        .collect();
    Ok(Member {
        name,
        dir,
        dependencies,
    })
}
