//! The Digest computation of RFC 7616: algorithms, challenges and the `Authorization` value.

use std::fmt::Write as _;

use md5::Md5;
use sha2::{Digest as _, Sha256, Sha512_256};

use super::challenge::Challenge;

/// A Digest algorithm, each optionally in its `-sess` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Hash {
    Md5,
    Sha256,
    Sha512_256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Algorithm {
    pub(crate) hash: Hash,
    pub(crate) sess: bool,
}

impl Algorithm {
    /// Parses an `algorithm` parameter, case-insensitively; `None` for what is not supported.
    pub(crate) fn parse(name: &str) -> Option<Algorithm> {
        let lower = name.to_ascii_lowercase();
        let (base, sess) = match lower.strip_suffix("-sess") {
            Some(base) => (base, true),
            None => (lower.as_str(), false),
        };
        let hash = match base {
            "md5" => Hash::Md5,
            "sha-256" => Hash::Sha256,
            "sha-512-256" => Hash::Sha512_256,
            _ => return None,
        };
        Some(Algorithm { hash, sess })
    }

    fn name(self) -> &'static str {
        match (self.hash, self.sess) {
            (Hash::Md5, false) => "MD5",
            (Hash::Md5, true) => "MD5-sess",
            (Hash::Sha256, false) => "SHA-256",
            (Hash::Sha256, true) => "SHA-256-sess",
            (Hash::Sha512_256, false) => "SHA-512-256",
            (Hash::Sha512_256, true) => "SHA-512-256-sess",
        }
    }

    /// `H(data)`, lower-case hex.
    pub(crate) fn h(self, data: &[u8]) -> String {
        match self.hash {
            Hash::Md5 => hex(&Md5::digest(data)),
            Hash::Sha256 => hex(&Sha256::digest(data)),
            Hash::Sha512_256 => hex(&Sha512_256::digest(data)),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// Which quality of protection a challenge is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qop {
    /// RFC 2069: no qop, no nonce count, no cnonce.
    Legacy,
    Auth,
    AuthInt,
}

/// A Digest challenge we can answer.
#[derive(Debug, Clone)]
pub(crate) struct DigestChallenge {
    pub(crate) realm: String,
    pub(crate) nonce: String,
    pub(crate) opaque: Option<String>,
    pub(crate) algorithm: Algorithm,
    /// Whether `algorithm` was written in the challenge (echoed back only then).
    algorithm_given: bool,
    pub(crate) qop: Qop,
    pub(crate) userhash: bool,
    pub(crate) stale: bool,
}

/// Why no Digest challenge could be answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// There were Digest challenges, none with an algorithm we support (the names offered).
    Algorithm(String),
    /// A challenge offered only qop values we do not know (the values).
    Qop(String),
    /// A challenge lacked a nonce.
    Malformed,
}

impl DigestChallenge {
    /// The strongest Digest challenge among `challenges`: SHA-512-256 over SHA-256 over MD5,
    /// plain over `-sess` at equal strength. `Ok(None)` when there is no Digest challenge.
    pub(crate) fn pick(challenges: &[Challenge]) -> Result<Option<DigestChallenge>, Refusal> {
        let mut best: Option<DigestChallenge> = None;
        let mut refusal = None;
        for challenge in challenges.iter().filter(|c| c.scheme == "digest") {
            match DigestChallenge::from_challenge(challenge) {
                Ok(candidate) => {
                    let rank = |c: &DigestChallenge| (c.algorithm.hash, !c.algorithm.sess);
                    if best.as_ref().is_none_or(|b| rank(&candidate) > rank(b)) {
                        best = Some(candidate);
                    }
                }
                Err(why) => refusal = refusal.or(Some(why)),
            }
        }
        match (best, refusal) {
            (Some(best), _) => Ok(Some(best)),
            (None, Some(why)) => Err(why),
            (None, None) => Ok(None),
        }
    }

    fn from_challenge(challenge: &Challenge) -> Result<DigestChallenge, Refusal> {
        let (algorithm, algorithm_given) = match challenge.param("algorithm") {
            // RFC 7616 §3.3: an absent algorithm means MD5.
            None => (Algorithm::parse("MD5").expect("MD5 is supported"), false),
            Some(name) => (
                Algorithm::parse(name).ok_or_else(|| Refusal::Algorithm(name.to_owned()))?,
                true,
            ),
        };
        let nonce = challenge.param("nonce").ok_or(Refusal::Malformed)?;
        let qop = match challenge.param("qop") {
            None => Qop::Legacy,
            Some(list) => {
                let offered: Vec<String> = list
                    .split(',')
                    .map(|q| q.trim().to_ascii_lowercase())
                    .collect();
                if offered.iter().any(|q| q == "auth") {
                    Qop::Auth
                } else if offered.iter().any(|q| q == "auth-int") {
                    Qop::AuthInt
                } else {
                    return Err(Refusal::Qop(list.to_owned()));
                }
            }
        };
        let flag = |name| {
            challenge
                .param(name)
                .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        };
        Ok(DigestChallenge {
            realm: challenge.param("realm").unwrap_or_default().to_owned(),
            nonce: nonce.to_owned(),
            opaque: challenge.param("opaque").map(str::to_owned),
            algorithm,
            algorithm_given,
            qop,
            userhash: flag("userhash"),
            stale: flag("stale"),
        })
    }

    /// The `Authorization` value for one request. `body` is needed for auth-int only.
    pub(crate) fn authorization(&self, input: &Answer<'_>) -> String {
        let alg = self.algorithm;
        let Answer {
            user,
            password,
            method,
            uri,
            body,
            nc,
            cnonce,
        } = *input;
        let mut ha1 = alg.h(format!("{user}:{}:{password}", self.realm).as_bytes());
        if alg.sess {
            ha1 = alg.h(format!("{ha1}:{}:{cnonce}", self.nonce).as_bytes());
        }
        let ha2 = match self.qop {
            Qop::AuthInt => alg.h(format!("{method}:{uri}:{}", alg.h(body)).as_bytes()),
            Qop::Auth | Qop::Legacy => alg.h(format!("{method}:{uri}").as_bytes()),
        };
        let nc = format!("{nc:08x}");
        let response = match self.qop {
            Qop::Legacy => alg.h(format!("{ha1}:{}:{ha2}", self.nonce).as_bytes()),
            Qop::Auth | Qop::AuthInt => {
                let qop = if self.qop == Qop::Auth {
                    "auth"
                } else {
                    "auth-int"
                };
                alg.h(format!("{ha1}:{}:{nc}:{cnonce}:{qop}:{ha2}", self.nonce).as_bytes())
            }
        };

        let mut out = String::from("Digest ");
        if self.userhash {
            let hashed = alg.h(format!("{user}:{}", self.realm).as_bytes());
            let _ = write!(out, "username=\"{hashed}\", ");
        } else if user.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            let _ = write!(out, "username={}, ", quote(user));
        } else {
            // RFC 7616 §3.4.4: a name a quoted-string cannot carry goes in `username*`.
            let _ = write!(out, "username*=UTF-8''{}, ", ext_value(user));
        }
        let _ = write!(
            out,
            "realm={}, uri={}, nonce={}, response=\"{response}\"",
            quote(&self.realm),
            quote(uri),
            quote(&self.nonce)
        );
        if self.algorithm_given {
            let _ = write!(out, ", algorithm={}", alg.name());
        }
        if let Some(opaque) = &self.opaque {
            let _ = write!(out, ", opaque={}", quote(opaque));
        }
        match self.qop {
            Qop::Legacy => {}
            Qop::Auth => {
                let _ = write!(out, ", qop=auth, nc={nc}, cnonce={}", quote(cnonce));
            }
            Qop::AuthInt => {
                let _ = write!(out, ", qop=auth-int, nc={nc}, cnonce={}", quote(cnonce));
            }
        }
        if self.userhash {
            out.push_str(", userhash=true");
        }
        out
    }
}

/// What one `Authorization` value is computed from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answer<'a> {
    pub(crate) user: &'a str,
    pub(crate) password: &'a str,
    pub(crate) method: &'a str,
    /// The request-target, as sent.
    pub(crate) uri: &'a str,
    pub(crate) body: &'a [u8],
    pub(crate) nc: u32,
    pub(crate) cnonce: &'a str,
}

/// A fresh client nonce: 128 random bits, hex.
pub(crate) fn cnonce() -> String {
    format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// RFC 8187 percent-encoding of a UTF-8 value.
fn ext_value(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests;
