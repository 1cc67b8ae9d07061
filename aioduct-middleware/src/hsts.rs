//! HTTP Strict Transport Security (RFC 6797): remembering which hosts want https only, and
//! upgrading `http://` requests to them.
//!
//! [`HstsStore`] holds the known hosts; [`Hsts`] is the middleware that records
//! `Strict-Transport-Security` from https responses into it and rewrites `http://` URLs of known
//! hosts to `https://` before they are sent. Placed inside the redirect middleware (as the
//! `aioduct` client does), it sees, and upgrades, every hop of a redirect chain.
//!
//! ```
//! use aioduct_middleware::hsts::{Hsts, HstsStore};
//!
//! let store = HstsStore::new();
//! store.preload("example.com", true);
//! assert!(store.contains("www.Example.COM."));
//!
//! let upgraded = store.upgrade(&"http://www.example.com/a?b".parse().unwrap());
//! assert_eq!(upgraded.unwrap(), "https://www.example.com/a?b");
//!
//! // The store is shared: the middleware and the caller see the same entries.
//! let middleware = Hsts::new(store.clone());
//! # drop(middleware);
//! ```

use std::{
    collections::HashMap,
    fmt,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use aioduct_core::{BoxFuture, Middleware, Next, Request, Response, Result};
use http::{
    HeaderValue, Uri,
    header::STRICT_TRANSPORT_SECURITY,
    uri::{Authority, Scheme},
};

use crate::Timer;

/// The hosts known to want https only: learnt from `Strict-Transport-Security` headers, or
/// preloaded.
///
/// Cloning is cheap and shares the entries, so one store can serve several clients and be
/// inspected while they run.
///
/// Hosts are normalized before they are stored or matched: lower case, one trailing dot removed,
/// internationalized names in punycode (`bücher.example` is `xn--bcher-kva.example`). IP
/// addresses are never recorded (RFC 6797 §8.1.1).
#[derive(Clone, Default)]
pub struct HstsStore {
    inner: Arc<Mutex<Entries>>,
}

#[derive(Default)]
struct Entries {
    /// Learnt from responses; each expires.
    learnt: HashMap<String, Entry>,
    /// Given by the caller; never expire, and responses do not change them.
    preloaded: HashMap<String, bool>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    include_subdomains: bool,
    /// `None` when max-age is too large to represent: never.
    expires: Option<Instant>,
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires.is_none_or(|at| now < at)
    }
}

impl HstsStore {
    /// An empty store.
    pub fn new() -> Self {
        HstsStore::default()
    }

    /// Adds a host that is always upgraded, and its subdomains too with `include_subdomains`.
    /// Returns `false`, adding nothing, when `host` is an IP address or not a valid host name.
    ///
    /// Preloaded entries never expire and no response can change or remove them.
    pub fn preload(&self, host: &str, include_subdomains: bool) -> bool {
        let Some(host) = normalize(host) else {
            return false;
        };
        self.lock().preloaded.insert(host, include_subdomains);
        true
    }

    /// Whether requests to `host` are upgraded: it is known itself, or a parent domain is known
    /// with `includeSubDomains`.
    pub fn contains(&self, host: &str) -> bool {
        self.contains_at(host, Instant::now())
    }

    /// Forgets what responses taught about `host` (preloaded entries stay). Returns whether
    /// there was an entry.
    pub fn remove(&self, host: &str) -> bool {
        normalize(host).is_some_and(|host| self.lock().learnt.remove(&host).is_some())
    }

    /// Records the `Strict-Transport-Security` value `header` received from `url`.
    ///
    /// Nothing happens unless `url` is `https` with a host name (not an IP address) and the
    /// value is valid (RFC 6797 §6.1: `max-age` present once and numeric, no directive twice,
    /// `includeSubDomains` without a value). `max-age=0` forgets the host.
    pub fn record(&self, url: &Uri, header: &HeaderValue) {
        self.record_at(url, header, Instant::now());
    }

    /// `url` rewritten to `https` when its host is known; `None` when it needs no upgrade (it is
    /// https already, or the host is unknown).
    ///
    /// Port 80, or none, becomes https's default; another explicit port is kept, as browsers do.
    pub fn upgrade(&self, url: &Uri) -> Option<Uri> {
        self.upgrade_at(url, Instant::now())
    }

    fn lock(&self) -> MutexGuard<'_, Entries> {
        // The entries stay consistent whatever panicked while holding the lock.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn contains_at(&self, host: &str, now: Instant) -> bool {
        let Some(host) = normalize(host) else {
            return false;
        };
        let mut entries = self.lock();
        entries.learnt.retain(|_, entry| entry.is_live(now));
        let mut name = host.as_str();
        let mut exact = true;
        loop {
            let learnt = entries.learnt.get(name).map(|e| e.include_subdomains);
            let preloaded = entries.preloaded.get(name).copied();
            for include_subdomains in [learnt, preloaded].into_iter().flatten() {
                if exact || include_subdomains {
                    return true;
                }
            }
            match name.split_once('.') {
                Some((_, parent)) => name = parent,
                None => return false,
            }
            exact = false;
        }
    }

    fn record_at(&self, url: &Uri, header: &HeaderValue, now: Instant) {
        if url.scheme() != Some(&Scheme::HTTPS) {
            return;
        }
        let Some(host) = url.host().and_then(normalize) else {
            return;
        };
        let Some(policy) = parse(header.as_bytes()) else {
            return;
        };
        let mut entries = self.lock();
        if policy.max_age == 0 {
            // Only this host's own entry: a parent's includeSubDomains still covers it.
            entries.learnt.remove(&host);
            return;
        }
        let expires = now.checked_add(Duration::from_secs(policy.max_age));
        entries.learnt.insert(
            host,
            Entry {
                include_subdomains: policy.include_subdomains,
                expires,
            },
        );
    }

    fn upgrade_at(&self, url: &Uri, now: Instant) -> Option<Uri> {
        if url.scheme() != Some(&Scheme::HTTP) {
            return None;
        }
        let authority = url.authority()?;
        if !self.contains_at(authority.host(), now) {
            return None;
        }
        let host_port = match authority.port_u16() {
            Some(80) | None => authority.host().to_owned(),
            Some(port) => format!("{}:{port}", authority.host()),
        };
        let mut parts = url.clone().into_parts();
        parts.scheme = Some(Scheme::HTTPS);
        parts.authority = Some(Authority::try_from(host_port).ok()?);
        Uri::from_parts(parts).ok()
    }
}

impl fmt::Debug for HstsStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.lock();
        f.debug_struct("HstsStore")
            .field("learnt", &entries.learnt.len())
            .field("preloaded", &entries.preloaded.len())
            .finish()
    }
}

/// The HSTS middleware: upgrades requests to known hosts and learns from https responses.
///
/// ```
/// use aioduct_middleware::hsts::{Hsts, HstsStore};
///
/// let store = HstsStore::new();
/// let hsts = Hsts::new(store.clone());
/// # drop(hsts);
/// ```
#[derive(Clone)]
pub struct Hsts {
    store: HstsStore,
    timer: Option<Arc<dyn Timer>>,
}

impl Hsts {
    /// Upgrades and records with `store`.
    pub fn new(store: HstsStore) -> Self {
        Hsts { store, timer: None }
    }

    /// Reads the time for expiry from `timer` instead of the system clock.
    pub fn timer(mut self, timer: Arc<dyn Timer>) -> Self {
        self.timer = Some(timer);
        self
    }

    /// The store this middleware uses.
    pub fn store(&self) -> &HstsStore {
        &self.store
    }

    fn now(&self) -> Instant {
        self.timer
            .as_ref()
            .map_or_else(Instant::now, |timer| timer.now())
    }
}

impl fmt::Debug for Hsts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hsts")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl Middleware for Hsts {
    fn handle<'a>(&'a self, mut req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        if let Some(upgraded) = self.store.upgrade_at(req.uri(), self.now()) {
            *req.uri_mut() = upgraded;
        }
        let https_url = (req.uri().scheme() == Some(&Scheme::HTTPS)).then(|| req.uri().clone());
        Box::pin(async move {
            let response = next.run(req).await?;
            // Only the first header counts (RFC 6797 §8.1), and only over https.
            if let (Some(url), Some(value)) =
                (https_url, response.headers().get(STRICT_TRANSPORT_SECURITY))
            {
                self.store.record_at(&url, value, self.now());
            }
            Ok(response)
        })
    }
}

/// A host name as the store keys it; `None` for IP addresses and invalid names.
fn normalize(host: &str) -> Option<String> {
    let host = host.strip_suffix('.').unwrap_or(host);
    if host.is_empty() {
        return None;
    }
    match url::Host::parse(host).ok()? {
        url::Host::Domain(name) => {
            let valid = !name.starts_with('.') && !name.ends_with('.') && !name.contains("..");
            valid.then_some(name)
        }
        url::Host::Ipv4(_) | url::Host::Ipv6(_) => None,
    }
}

/// A valid `Strict-Transport-Security` value.
#[derive(Debug, PartialEq, Eq)]
struct Policy {
    max_age: u64,
    include_subdomains: bool,
}

/// Parses a `Strict-Transport-Security` value (RFC 6797 §6.1); `None` when it must be ignored.
fn parse(value: &[u8]) -> Option<Policy> {
    let mut max_age = None;
    let mut include_subdomains = false;
    let mut seen: Vec<String> = Vec::new();
    let mut rest = value;
    loop {
        rest = skip_ows(rest);
        let Some(&first) = rest.first() else {
            break;
        };
        if first == b';' {
            rest = &rest[1..];
            continue;
        }
        let (name, after) = token(rest)?;
        let name = name.to_ascii_lowercase();
        rest = skip_ows(after);
        let mut directive_value = None;
        if let Some(after) = rest.strip_prefix(b"=") {
            let after = skip_ows(after);
            let (text, after) = if after.first() == Some(&b'"') {
                quoted(after)?
            } else {
                let (text, after) = token(after)?;
                (text.to_owned(), after)
            };
            directive_value = Some(text);
            rest = skip_ows(after);
        }
        match rest.first() {
            None | Some(b';') => {}
            Some(_) => return None,
        }
        if seen.contains(&name) {
            return None;
        }
        match name.as_str() {
            "max-age" => {
                let digits = directive_value?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                // A longer number than u64 holds is, for any purpose, forever.
                max_age = Some(digits.parse::<u64>().unwrap_or(u64::MAX));
            }
            "includesubdomains" => {
                if directive_value.is_some() {
                    return None;
                }
                include_subdomains = true;
            }
            // Unknown directives are ignored (RFC 6797 §6.1, 6).
            _ => {}
        }
        seen.push(name);
    }
    Some(Policy {
        max_age: max_age?,
        include_subdomains,
    })
}

fn skip_ows(input: &[u8]) -> &[u8] {
    let start = input
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(input.len());
    &input[start..]
}

/// A token (RFC 9110 §5.6.2) and what follows it; `None` when there is none.
fn token(input: &[u8]) -> Option<(&str, &[u8])> {
    let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    let end = input
        .iter()
        .position(|&b| !is_tchar(b))
        .unwrap_or(input.len());
    if end == 0 {
        return None;
    }
    Some((std::str::from_utf8(&input[..end]).ok()?, &input[end..]))
}

/// A quoted-string, unescaped, and what follows it; `None` when it is not terminated.
fn quoted(input: &[u8]) -> Option<(String, &[u8])> {
    let mut text = String::new();
    let mut i = 1;
    while i < input.len() {
        match input[i] {
            b'"' => return Some((text, &input[i + 1..])),
            b'\\' => {
                let escaped = *input.get(i + 1)?;
                text.push(char::from(escaped));
                i += 2;
            }
            b => {
                text.push(char::from(b));
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    fn learn(store: &HstsStore, url: &str, value: &'static str) {
        store.record(&uri(url), &HeaderValue::from_static(value));
    }

    #[test]
    fn header_values_parse_as_rfc_6797_says() {
        let policy = |max_age, include_subdomains| {
            Some(Policy {
                max_age,
                include_subdomains,
            })
        };
        let cases = [
            ("max-age=31536000", policy(31536000, false)),
            ("max-age=0", policy(0, false)),
            ("max-age=10; includeSubDomains", policy(10, true)),
            ("INCLUDESUBDOMAINS ; MAX-AGE = 10", policy(10, true)),
            ("max-age=\"10\"", policy(10, false)),
            ("max-age=10;;preload; ", policy(10, false)),
            ("max-age=10; unknown=\"a;b\\\"c\"", policy(10, false)),
            ("max-age=99999999999999999999999", policy(u64::MAX, false)),
            // Invalid: must be ignored whole.
            ("", None),
            ("includeSubDomains", None),
            ("max-age=10; max-age=20", None),
            ("max-age=10; includeSubDomains; includesubdomains", None),
            ("max-age=-1", None),
            ("max-age=1.5", None),
            ("max-age=", None),
            ("max-age", None),
            ("max-age=\"10", None),
            ("max-age=10 junk", None),
            ("max-age=10; includeSubDomains=yes", None),
        ];
        for (value, expected) in cases {
            assert_eq!(parse(value.as_bytes()), expected, "{value:?}");
        }
    }

    #[test]
    fn hosts_are_normalized_before_matching() {
        let cases = [
            ("Example.COM", Some("example.com")),
            ("example.com.", Some("example.com")),
            ("b\u{fc}cher.example", Some("xn--bcher-kva.example")),
            ("XN--BCHER-KVA.example", Some("xn--bcher-kva.example")),
            ("127.0.0.1", None),
            ("[::1]", None),
            ("", None),
            (".", None),
            ("a..b", None),
        ];
        for (host, expected) in cases {
            assert_eq!(normalize(host).as_deref(), expected, "{host:?}");
        }
        let store = HstsStore::new();
        learn(&store, "https://XN--BCHER-KVA.Example./", "max-age=60");
        assert!(store.contains("xn--bcher-kva.example"));
        assert!(store.contains("b\u{fc}cher.EXAMPLE"));
        assert!(store.contains("xn--bcher-kva.example."));
    }

    #[test]
    fn sts_over_http_and_for_ip_addresses_is_ignored() {
        let store = HstsStore::new();
        learn(&store, "http://plain.test/", "max-age=60");
        learn(&store, "https://127.0.0.1/", "max-age=60");
        learn(&store, "https://[::1]:8443/", "max-age=60");
        assert!(!store.contains("plain.test"));
        assert!(!store.contains("127.0.0.1"));
        assert!(!store.contains("[::1]"));
        assert!(!store.preload("10.0.0.1", true));
        assert_eq!(store.upgrade(&uri("http://127.0.0.1/")), None);
    }

    #[test]
    fn max_age_zero_removes_and_entries_expire() {
        let store = HstsStore::new();
        learn(&store, "https://a.test/", "max-age=60");
        assert!(store.contains("a.test"));
        learn(&store, "https://a.test/", "max-age=0");
        assert!(!store.contains("a.test"));

        let now = Instant::now();
        let header = HeaderValue::from_static("max-age=60");
        store.record_at(&uri("https://b.test/"), &header, now);
        assert!(store.contains_at("b.test", now + Duration::from_secs(59)));
        assert!(!store.contains_at("b.test", now + Duration::from_secs(60)));
        assert!(
            !store.contains_at("b.test", now),
            "the expired entry was dropped"
        );
    }

    #[test]
    fn include_subdomains_covers_subdomains_only_when_set() {
        let store = HstsStore::new();
        learn(&store, "https://plain.test/", "max-age=60");
        learn(
            &store,
            "https://wide.test/",
            "max-age=60; includeSubDomains",
        );
        assert!(store.contains("plain.test"));
        assert!(!store.contains("www.plain.test"));
        assert!(store.contains("wide.test"));
        assert!(store.contains("a.b.wide.test"));
        assert!(!store.contains("otherwide.test"));
        assert!(!store.contains("test"));
    }

    #[test]
    fn a_subdomain_never_overwrites_its_parent() {
        let store = HstsStore::new();
        learn(
            &store,
            "https://parent.test/",
            "max-age=60; includeSubDomains",
        );
        learn(&store, "https://child.parent.test/", "max-age=60");
        learn(&store, "https://child.parent.test/", "max-age=0");
        learn(&store, "https://other.parent.test/", "max-age=1");
        assert!(store.contains("parent.test"));
        assert!(
            store.contains("child.parent.test"),
            "still covered by the parent"
        );
        assert!(store.contains("deep.other.parent.test"));
    }

    #[test]
    fn preloaded_entries_stay_whatever_responses_say() {
        let store = HstsStore::new();
        assert!(store.preload("Preloaded.Test.", true));
        learn(&store, "https://preloaded.test/", "max-age=0");
        assert!(!store.remove("preloaded.test"));
        assert!(store.contains("preloaded.test"));
        assert!(store.contains("sub.preloaded.test"));
        let shared = store.clone();
        learn(&shared, "https://learnt.test/", "max-age=60");
        assert!(store.remove("learnt.test"));
        assert!(!shared.contains("learnt.test"));
    }

    #[test]
    fn upgrades_keep_path_and_non_default_ports() {
        let store = HstsStore::new();
        store.preload("a.test", false);
        let cases = [
            ("http://a.test/x?y", Some("https://a.test/x?y")),
            ("http://a.test:80/", Some("https://a.test/")),
            ("http://A.TEST.:8080/p", Some("https://A.TEST.:8080/p")),
            ("https://a.test/", None),
            ("http://b.test/", None),
        ];
        for (url, expected) in cases {
            let got = store.upgrade(&uri(url)).map(|u| u.to_string());
            assert_eq!(got.as_deref(), expected, "{url}");
        }
    }
}
