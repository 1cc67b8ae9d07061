//! The jar: cookie_store behind a lock, the creation order cookie_store does not keep, and JSON
//! persistence.

use std::{
    collections::HashMap,
    fs,
    io::{self, Read, Write},
    path::Path,
    sync::{
        Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use aioduct_core::{Error, ErrorKind};
use cookie_store::{Cookie, CookieDomain, CookieError, CookieExpiration, CookieStore, StoreAction};
use http::{HeaderMap, HeaderValue, header};
use url::Url;

use super::rules::{self, Context, Refusal};

/// A cookie jar: the cookies a client received, sent back where they belong.
///
/// A `CookieJar` is a handle: clones share one store, so one jar can serve several clients (and
/// be inspected or saved while they run). Storing and sending follow RFC 6265bis; see the
/// [module documentation](super) for the rules and caps.
///
/// Session cookies (no Max-Age or Expires) live as long as the jar and are not saved by
/// [`save_json`](CookieJar::save_json), as cookie_store does; nor are expired cookies.
///
/// ```
/// use aioduct_middleware::cookies::CookieJar;
///
/// let jar = CookieJar::new();
/// jar.add_cookie_str("theme=dark; Max-Age=3600", "https://example.com/")?;
/// let sent = jar.cookies_for("https://www.example.com/")?;
/// assert!(sent.is_empty(), "host-only: no Domain attribute");
/// assert_eq!(jar.cookies_for("https://example.com/settings")?[0].value, "dark");
/// # Ok::<(), aioduct_core::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct CookieJar {
    state: Arc<RwLock<State>>,
}

/// The store and, per (domain, path, name), when the cookie was first created: cookie order
/// prefers older cookies, and a replaced cookie keeps its creation time (RFC 6265bis §5.7).
#[derive(Default)]
struct State {
    store: CookieStore,
    created: HashMap<Key, u64>,
    next: u64,
}

type Key = (String, String, String);

/// A cookie in the jar, as [`CookieJar::iter`] and [`CookieJar::cookies_for`] show it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredCookie {
    /// The cookie's name.
    pub name: String,
    /// The cookie's value, as received.
    pub value: String,
    /// The host (host-only) or domain (with subdomains) it is sent to.
    pub domain: String,
    /// No Domain attribute: only `domain` itself gets the cookie.
    pub host_only: bool,
    /// The path it is sent under.
    pub path: String,
    /// Sent over https only.
    pub secure: bool,
    /// HttpOnly: kept, and sent (a client is not a script).
    pub http_only: bool,
    /// The SameSite attribute, if any.
    pub same_site: Option<SameSite>,
    /// When it expires; `None` for a session cookie.
    pub expires: Option<SystemTime>,
}

/// The SameSite attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Not sent on a redirect hop to another site.
    Strict,
    /// Sent on a redirect hop to another site only with GET or HEAD.
    Lax,
    /// Sent everywhere it matches; requires Secure.
    None,
}

impl CookieJar {
    /// An empty jar.
    pub fn new() -> Self {
        CookieJar::default()
    }

    /// Stores `set_cookie` (a Set-Cookie header value) as if received from `url`, under the same
    /// rules as a response's cookies. An expired cookie deletes the one it names.
    ///
    /// Errors (kind [`ErrorKind::Builder`]) say why the cookie was refused.
    ///
    /// ```
    /// use aioduct_middleware::cookies::CookieJar;
    ///
    /// let jar = CookieJar::new();
    /// assert!(jar.add_cookie_str("id=1; Domain=co.uk", "https://shop.co.uk/").is_err());
    /// assert!(jar.add_cookie_str("id=1; Domain=shop.co.uk", "https://shop.co.uk/").is_ok());
    /// ```
    pub fn add_cookie_str(&self, set_cookie: &str, url: &str) -> Result<(), Error> {
        let url = parse_url(url)?;
        let mut state = self.write();
        state.purge_expired();
        state
            .insert(set_cookie, &url)
            .map_err(|refusal| Error::msg(ErrorKind::Builder, refusal.reason()))
    }

    /// The cookies a top-level GET to `url` would carry, in the order they would be sent
    /// (before the per-request caps).
    pub fn cookies_for(&self, url: &str) -> Result<Vec<StoredCookie>, Error> {
        let url = parse_url(url)?;
        let state = self.read();
        Ok(state
            .matching(&url, Context::TOP_LEVEL)
            .into_iter()
            .map(StoredCookie::from_store)
            .collect())
    }

    /// A snapshot of every unexpired cookie, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = StoredCookie> + use<> {
        let state = self.read();
        let mut cookies: Vec<_> = state.store.iter_unexpired().collect();
        cookies.sort_by_key(|cookie| state.creation(cookie));
        let snapshot: Vec<_> = cookies.into_iter().map(StoredCookie::from_store).collect();
        snapshot.into_iter()
    }

    /// How many unexpired cookies the jar holds.
    pub fn len(&self) -> usize {
        self.read().store.iter_unexpired().count()
    }

    /// Whether the jar holds no unexpired cookie.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes every cookie.
    pub fn clear(&self) {
        let mut state = self.write();
        state.store.clear();
        state.created.clear();
    }

    /// Saves the persistent, unexpired cookies to `path` as JSON (cookie_store's format),
    /// atomically: a temporary file in the same directory is written, synced and renamed over
    /// `path`, so a reader sees the old file or the new one, never half of one. On Unix the file
    /// is readable by its owner only: cookies are credentials.
    ///
    /// ```
    /// use aioduct_middleware::cookies::CookieJar;
    ///
    /// let path = std::env::temp_dir().join(format!("aioduct-doc-{}.json", std::process::id()));
    /// let jar = CookieJar::new();
    /// jar.add_cookie_str("id=7; Max-Age=600", "https://example.com/")?;
    /// jar.save_json(&path)?;
    /// let loaded = CookieJar::load_json(&path)?;
    /// assert_eq!(loaded.cookies_for("https://example.com/")?[0].value, "7");
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_json(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref();
        let mut json = Vec::new();
        self.to_json(&mut json)?;
        write_atomically(path, &json)
    }

    /// Writes the persistent, unexpired cookies to `writer` as JSON, oldest first.
    pub fn to_json(&self, writer: impl Write) -> io::Result<()> {
        let state = self.read();
        let mut cookies: Vec<&Cookie<'static>> = state
            .store
            .iter_unexpired()
            .filter(|cookie| cookie.is_persistent())
            .collect();
        cookies.sort_by_key(|cookie| state.creation(cookie));
        serde_json::to_writer_pretty(writer, &cookies).map_err(io::Error::other)
    }

    /// Loads a jar saved by [`save_json`](CookieJar::save_json).
    pub fn load_json(path: impl AsRef<Path>) -> io::Result<CookieJar> {
        CookieJar::from_json(io::BufReader::new(fs::File::open(path)?))
    }

    /// Reads a jar from JSON in cookie_store's format. Expired cookies, and cookies with control
    /// characters, are dropped; the file's order becomes the creation order.
    pub fn from_json(reader: impl Read) -> io::Result<CookieJar> {
        let cookies: Vec<Cookie<'static>> = serde_json::from_reader(reader)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let mut state = State::default();
        let mut kept = Vec::new();
        for cookie in cookies {
            let clean = !(cookie.name().bytes().chain(cookie.value().bytes()))
                .any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
            if clean && !cookie.is_expired() {
                state.created_now(key(&cookie));
                kept.push(Ok::<_, std::convert::Infallible>(cookie));
            }
        }
        state.store = match CookieStore::from_cookies(kept, false) {
            Ok(store) => store,
            Err(never) => match never {},
        };
        Ok(CookieJar {
            state: Arc::new(RwLock::new(state)),
        })
    }

    /// Adds the jar's cookies for `url` to `req`'s Cookie header.
    pub(super) fn add_to_request<B>(&self, req: &mut http::Request<B>, url: &Url) {
        let context = Context::of(req, url);
        let header = {
            let state = self.read();
            let cookies = state.matching(url, context);
            if cookies.is_empty() {
                return;
            }
            let caller: Vec<HeaderValue> = req
                .headers()
                .get_all(header::COOKIE)
                .iter()
                .cloned()
                .collect();
            rules::merge(
                &caller,
                cookies.iter().map(|cookie| (cookie.name(), cookie.value())),
            )
        };
        if let Some(header) = header {
            req.headers_mut().insert(header::COOKIE, header);
        }
    }

    /// Stores the first [`rules::MAX_SET_COOKIES`] Set-Cookie headers of a response to `url`.
    pub(super) fn store_response(&self, headers: &HeaderMap, url: &Url) {
        let mut set_cookies = headers
            .get_all(header::SET_COOKIE)
            .iter()
            .take(rules::MAX_SET_COOKIES)
            .peekable();
        if set_cookies.peek().is_none() {
            return;
        }
        let mut state = self.write();
        state.purge_expired();
        for value in set_cookies {
            // A refused cookie is ignored, as a browser would; non-UTF-8 ones too.
            if let Ok(set_cookie) = std::str::from_utf8(value.as_bytes()) {
                let _ = state.insert(set_cookie, url);
            }
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for CookieJar {
    /// Shows the number of cookies, never their values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieJar")
            .field("cookies", &self.len())
            .finish()
    }
}

impl State {
    fn insert(&mut self, set_cookie: &str, url: &Url) -> Result<(), Refusal> {
        let cookie = rules::accept(set_cookie, url, &self.store)?;
        let key = key(&cookie);
        match self.store.insert(cookie, url) {
            Ok(StoreAction::Inserted | StoreAction::UpdatedExisting) => {
                if !self.created.contains_key(&key) {
                    self.created_now(key);
                }
                Ok(())
            }
            Ok(StoreAction::ExpiredExisting) => {
                self.store.remove(&key.0, &key.1, &key.2);
                self.created.remove(&key);
                Ok(())
            }
            Err(CookieError::Expired) => Err(Refusal::Expired),
            Err(_) => Err(Refusal::DomainMismatch),
        }
    }

    fn created_now(&mut self, key: Key) {
        self.next += 1;
        self.created.entry(key).or_insert(self.next);
    }

    fn creation(&self, cookie: &Cookie<'_>) -> u64 {
        self.created.get(&key(cookie)).copied().unwrap_or(u64::MAX)
    }

    /// The cookies for a request, in cookie order: longer paths first, then older first.
    fn matching(&self, url: &Url, context: Context) -> Vec<&Cookie<'static>> {
        let mut cookies: Vec<_> = self
            .store
            .iter_unexpired()
            .filter(|cookie| rules::sendable(cookie, url, context))
            .map(|cookie| (cookie, self.creation(cookie)))
            .collect();
        cookies.sort_by(|(a, a_created), (b, b_created)| {
            b.path
                .len()
                .cmp(&a.path.len())
                .then(a_created.cmp(b_created))
        });
        cookies.into_iter().map(|(cookie, _)| cookie).collect()
    }

    /// Drops expired cookies, which cookie_store keeps until replaced.
    fn purge_expired(&mut self) {
        let expired: Vec<Key> = self
            .store
            .iter_any()
            .filter(|cookie| cookie.is_expired())
            .map(key)
            .collect();
        for key in expired {
            self.store.remove(&key.0, &key.1, &key.2);
            self.created.remove(&key);
        }
    }
}

fn key(cookie: &Cookie<'_>) -> Key {
    (
        String::from(&cookie.domain),
        String::from(&cookie.path),
        cookie.name().to_owned(),
    )
}

fn parse_url(url: &str) -> Result<Url, Error> {
    Url::parse(url).map_err(|e| Error::new(ErrorKind::Builder, Some(e)))
}

impl StoredCookie {
    fn from_store(cookie: &Cookie<'_>) -> StoredCookie {
        let same_site = cookie.same_site().map(|same_site| {
            if same_site.is_strict() {
                SameSite::Strict
            } else if same_site.is_lax() {
                SameSite::Lax
            } else {
                SameSite::None
            }
        });
        let expires = match &cookie.expires {
            CookieExpiration::AtUtc(at) => Some(
                u64::try_from(at.unix_timestamp())
                    .map_or(UNIX_EPOCH, |secs| UNIX_EPOCH + Duration::from_secs(secs)),
            ),
            CookieExpiration::SessionEnd => None,
        };
        StoredCookie {
            name: cookie.name().to_owned(),
            value: cookie.value().to_owned(),
            domain: String::from(&cookie.domain),
            host_only: matches!(cookie.domain, CookieDomain::HostOnly(_)),
            path: String::from(&cookie.path),
            secure: cookie.secure() == Some(true),
            http_only: cookie.http_only() == Some(true),
            same_site,
            expires,
        }
    }
}

/// Writes `contents` to a fresh temporary file beside `path`, syncs it and renames it over
/// `path`; then syncs the directory so the rename itself survives a crash.
fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path has no file name"))?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let temp = dir.join(format!(
        ".{}.{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
        return written;
    }
    #[cfg(unix)]
    if let Ok(dir) = fs::File::open(dir) {
        // Best effort: some file systems refuse to sync a directory.
        let _ = dir.sync_all();
    }
    Ok(())
}
