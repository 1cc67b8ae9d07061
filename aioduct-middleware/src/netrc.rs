//! `.netrc` credentials: a parser and a middleware that sends them, as `Basic`, to the exact
//! host they are written for.
//!
//! The file holds `machine <host>` entries with `login`, `password` and `account`, an optional
//! `default` entry used when no machine matches, and `macdef` macros (skipped up to the next
//! blank line). Tokens are separated by white space; a token may be double-quoted, with `\`
//! escapes (`\"`, `\\`, `\n`, `\r`, `\t`); `#` starts a comment up to the end of its line. When a
//! host appears twice, the first entry wins. As in curl, hosts match case-insensitively and
//! without the port.

use std::{fmt, path::Path};

use aioduct_core::{BoxFuture, Error, ErrorKind, Middleware, Next, Request, Response, Result};
use base64::Engine as _;
use http::{HeaderValue, header::AUTHORIZATION};

use crate::RedirectContext;

/// Parsed `.netrc` contents.
///
/// ```
/// use aioduct_middleware::netrc::Netrc;
///
/// let netrc = Netrc::parse("machine api.example.com login alice password \"s3 cret\"\ndefault login anon").unwrap();
/// let entry = netrc.lookup("API.example.com").unwrap();
/// assert_eq!(entry.login(), Some("alice"));
/// assert_eq!(entry.password(), Some("s3 cret"));
/// assert_eq!(netrc.lookup("other.example").unwrap().login(), Some("anon"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Netrc {
    machines: Vec<(String, NetrcEntry)>,
    default: Option<NetrcEntry>,
}

/// The credentials of one `machine` (or the `default`) entry.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct NetrcEntry {
    login: Option<String>,
    password: Option<String>,
    account: Option<String>,
}

impl NetrcEntry {
    /// The `login` token.
    pub fn login(&self) -> Option<&str> {
        self.login.as_deref()
    }

    /// The `password` token.
    pub fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }

    /// The `account` token.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }
}

impl fmt::Debug for NetrcEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetrcEntry")
            .field("login", &self.login)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("account", &self.account.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl fmt::Debug for Netrc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Netrc")
            .field("machines", &self.machines)
            .field("default", &self.default)
            .finish()
    }
}

impl Netrc {
    /// Parses `.netrc` text. Malformed input (an unknown keyword, a keyword without its value,
    /// `login` outside an entry, an unterminated quote) is an error (`is_builder`) naming the line.
    pub fn parse(text: &str) -> Result<Netrc> {
        let mut lexer = Lexer {
            s: text.as_bytes(),
            i: 0,
            line: 1,
        };
        let mut netrc = Netrc::default();
        // The entry being filled: `Some(Some(host))` for a machine, `Some(None)` for default.
        let mut current: Option<(Option<String>, NetrcEntry)> = None;
        while let Some((token, line)) = lexer.token()? {
            match token.as_str() {
                "machine" | "default" => {
                    netrc.finish(current.take());
                    let host = if token == "machine" {
                        Some(lexer.value(&token, line)?.to_ascii_lowercase())
                    } else {
                        None
                    };
                    current = Some((host, NetrcEntry::default()));
                }
                "login" | "password" | "account" => {
                    let value = lexer.value(&token, line)?;
                    let Some((_, entry)) = current.as_mut() else {
                        return Err(malformed(
                            line,
                            format!("`{token}` outside a machine entry"),
                        ));
                    };
                    let slot = match token.as_str() {
                        "login" => &mut entry.login,
                        "password" => &mut entry.password,
                        _ => &mut entry.account,
                    };
                    *slot = Some(value);
                }
                "macdef" => {
                    lexer.value(&token, line)?;
                    lexer.skip_macro();
                }
                _ => return Err(malformed(line, format!("unexpected token {token:?}"))),
            }
        }
        netrc.finish(current);
        Ok(netrc)
    }

    /// Reads and parses the file at `path`.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Netrc> {
        let text = std::fs::read_to_string(path.as_ref())
            .map_err(|e| Error::new(ErrorKind::Builder, Some(e)))?;
        Netrc::parse(&text)
    }

    /// Reads the file named by `$NETRC`, or else `~/.netrc` (`$HOME`, or `%USERPROFILE%` on
    /// Windows, as `_netrc` there). A missing file is an error like any other I/O error.
    pub fn from_env() -> Result<Netrc> {
        if let Some(path) = std::env::var_os("NETRC").filter(|p| !p.is_empty()) {
            return Netrc::from_file(path);
        }
        let (home, name) = if cfg!(windows) {
            (std::env::var_os("USERPROFILE"), "_netrc")
        } else {
            (std::env::var_os("HOME"), ".netrc")
        };
        let home = home
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::msg(ErrorKind::Builder, "no home directory for .netrc"))?;
        Netrc::from_file(Path::new(&home).join(name))
    }

    /// The entry for `host` (case-insensitive, exact), else the `default` entry.
    pub fn lookup(&self, host: &str) -> Option<&NetrcEntry> {
        self.machines
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, entry)| entry)
            .or(self.default.as_ref())
    }

    fn finish(&mut self, entry: Option<(Option<String>, NetrcEntry)>) {
        match entry {
            // The first entry for a host wins, and so does the first default.
            Some((Some(host), entry)) if !self.machines.iter().any(|(name, _)| *name == host) => {
                self.machines.push((host, entry));
            }
            Some((Some(_), _)) => {}
            Some((None, entry)) => {
                self.default.get_or_insert(entry);
            }
            None => {}
        }
    }
}

fn malformed(line: usize, what: String) -> Error {
    Error::msg(
        ErrorKind::Builder,
        format!("malformed .netrc, line {line}: {what}"),
    )
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl Lexer<'_> {
    fn bump(&mut self) -> Option<u8> {
        let b = *self.s.get(self.i)?;
        self.i += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// The next token and the line it starts on; `None` at the end.
    fn token(&mut self) -> Result<Option<(String, usize)>> {
        loop {
            match self.s.get(self.i) {
                None => return Ok(None),
                Some(b) if b.is_ascii_whitespace() => {
                    self.bump();
                }
                Some(b'#') => while self.bump().is_some_and(|b| b != b'\n') {},
                Some(_) => break,
            }
        }
        let line = self.line;
        let mut bytes = Vec::new();
        if self.s[self.i] == b'"' {
            self.bump();
            loop {
                match self.bump() {
                    None => return Err(malformed(line, "unterminated quoted token".to_owned())),
                    Some(b'"') => break,
                    Some(b'\\') => match self.bump() {
                        None => {
                            return Err(malformed(line, "unterminated quoted token".to_owned()));
                        }
                        Some(b'n') => bytes.push(b'\n'),
                        Some(b'r') => bytes.push(b'\r'),
                        Some(b't') => bytes.push(b'\t'),
                        Some(other) => bytes.push(other),
                    },
                    Some(b) => bytes.push(b),
                }
            }
        } else {
            while let Some(&b) = self.s.get(self.i) {
                if b.is_ascii_whitespace() {
                    break;
                }
                bytes.push(b);
                self.i += 1;
            }
        }
        let token = String::from_utf8(bytes)
            .map_err(|_| malformed(line, "token is not UTF-8".to_owned()))?;
        Ok(Some((token, line)))
    }

    /// The value that must follow `keyword`.
    fn value(&mut self, keyword: &str, line: usize) -> Result<String> {
        self.token()?
            .map(|(value, _)| value)
            .ok_or_else(|| malformed(line, format!("`{keyword}` without a value")))
    }

    /// Skips a macro body: the rest of the `macdef` line, then lines up to a blank one.
    fn skip_macro(&mut self) {
        while self.bump().is_some_and(|b| b != b'\n') {}
        loop {
            let start = self.i;
            while self.bump().is_some_and(|b| b != b'\n') {}
            let line = &self.s[start..self.i];
            let line = line.strip_suffix(b"\n").unwrap_or(line);
            if line.iter().all(|b| *b == b'\r') || self.i >= self.s.len() {
                return;
            }
        }
    }
}

/// Sends `.netrc` credentials as `Basic` to the hosts they are written for: only when the
/// request has no `Authorization` and not on a hop after a cross-origin redirect. The `default`
/// entry serves hosts no `machine` names.
///
/// ```
/// use aioduct_middleware::netrc::{Netrc, NetrcAuth};
///
/// let netrc = Netrc::parse("machine example.com login alice password secret").unwrap();
/// let auth = NetrcAuth::new(netrc);
/// # drop(auth);
/// ```
#[derive(Debug, Clone)]
pub struct NetrcAuth {
    netrc: Netrc,
}

impl NetrcAuth {
    /// Sends the credentials of `netrc`.
    pub fn new(netrc: Netrc) -> Self {
        NetrcAuth { netrc }
    }

    fn credentials(&self, req: &Request) -> Option<HeaderValue> {
        let host = req.uri().host()?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let entry = self.netrc.lookup(host)?;
        let login = entry.login()?;
        let password = entry.password().unwrap_or_default();
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
        let mut value = HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

impl Middleware for NetrcAuth {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        if RedirectContext::credentials_allowed(&req)
            && !req.headers().contains_key(AUTHORIZATION)
            && let Some(value) = self.credentials(&req)
        {
            req.headers_mut().insert(AUTHORIZATION, value);
        }
        next.run(req)
    }
}

#[cfg(test)]
mod tests;
