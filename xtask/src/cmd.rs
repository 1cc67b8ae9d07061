//! Running cargo from the workspace root, echoing each command line first.

use std::{
    ffi::OsString,
    fmt,
    path::Path,
    process::{Command, ExitStatus, Stdio},
};

/// A command to run in the workspace root, printed before it runs.
///
/// Environment variables the caller set (`CARGO_TARGET_DIR` among them) pass through unchanged,
/// so the commands share the caller's build cache.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: OsString,
    args: Vec<String>,
    envs: Vec<(String, String)>,
}

impl Cmd {
    /// The cargo that runs xtask (`$CARGO`, set by `cargo run`), or `cargo` from `PATH`.
    pub fn cargo<I, S>(args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Cmd {
            program,
            args: args.into_iter().map(Into::into).collect(),
            envs: Vec::new(),
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable for this command only.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Cmd {
        self.envs.push((key.into(), value.into()));
        self
    }

    /// Runs the command with the terminal's stdin, stdout and stderr; an error unless it exits 0.
    pub fn run(&self, root: &Path) -> Result<(), String> {
        let status = self.status(root)?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{self}` failed ({status})"))
        }
    }

    /// Runs the command like [`run`](Cmd::run) and returns its exit status, whatever it is.
    pub fn status(&self, root: &Path) -> Result<ExitStatus, String> {
        eprintln!("$ {self}");
        self.command(root)
            .status()
            .map_err(|err| format!("cannot start `{self}`: {err}"))
    }

    /// Runs the command quietly and returns its standard output; on failure, the error has its
    /// standard error.
    pub fn read(&self, root: &Path) -> Result<String, String> {
        let output = self
            .command(root)
            .stdin(Stdio::null())
            .output()
            .map_err(|err| format!("cannot start `{self}`: {err}"))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(format!(
                "`{self}` failed ({}):\n{}",
                output.status,
                stderr.trim_end()
            ));
        }
        String::from_utf8(output.stdout).map_err(|_| format!("`{self}` printed invalid UTF-8"))
    }

    fn command(&self, root: &Path) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).current_dir(root);
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command
    }
}

impl fmt::Display for Cmd {
    /// The command as one would type it: `KEY=value cargo args…` (the program's file name only).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.envs {
            write!(f, "{key}={} ", quote(value))?;
        }
        let program = Path::new(&self.program)
            .file_stem()
            .unwrap_or(self.program.as_os_str());
        write!(f, "{}", program.to_string_lossy())?;
        for arg in &self.args {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes an argument for a POSIX shell when it holds anything but plain characters.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_=,./:+@".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::Cmd;

    #[test]
    fn displays_as_a_shell_command() {
        let cmd = Cmd::cargo(["doc", "--features", "aioduct/json"])
            .env("RUSTDOCFLAGS", "-D a -D b")
            .args(["--no-deps"]);
        assert_eq!(
            cmd.to_string(),
            "RUSTDOCFLAGS='-D a -D b' cargo doc --features aioduct/json --no-deps"
        );
    }
}
