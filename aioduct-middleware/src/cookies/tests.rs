use std::sync::{Arc, Mutex};

use aioduct_core::{Body, Endpoint, Middleware, Next, http};

use super::*;
use crate::RedirectContext;

/// Answers with the Set-Cookie headers it is given and records each request's Cookie header.
struct Server {
    set_cookies: Vec<String>,
    seen: Mutex<Vec<Option<String>>>,
}

impl Server {
    fn new(set_cookies: &[&str]) -> Self {
        Server {
            set_cookies: set_cookies.iter().map(|s| s.to_string()).collect(),
            seen: Mutex::new(Vec::new()),
        }
    }

    fn last_cookie(&self) -> Option<String> {
        self.seen.lock().unwrap().last().cloned().flatten()
    }
}

impl Endpoint for Server {
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>> {
        let cookie = req
            .headers()
            .get(http::header::COOKIE)
            .map(|v| v.to_str().unwrap().to_owned());
        self.seen.lock().unwrap().push(cookie);
        let mut resp = http::Response::new(Body::empty());
        for set_cookie in &self.set_cookies {
            resp.headers_mut()
                .append(http::header::SET_COOKIE, set_cookie.parse().unwrap());
        }
        Box::pin(async move { Ok(resp) })
    }
}

fn send(jar: &CookieJar, server: &Server, req: Request) -> Response {
    let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(Cookies::new(jar.clone()))];
    futures_lite::future::block_on(Next::new(&chain, server).run(req)).unwrap()
}

fn get(url: &str) -> Request {
    http::Request::get(url).body(Body::empty()).unwrap()
}

#[test]
fn round_trip_and_deletion_by_an_expired_cookie() {
    let jar = CookieJar::new();
    let setter = Server::new(&["a=1", "b=2; Max-Age=60"]);
    send(&jar, &setter, get("http://example.com/"));
    assert_eq!(setter.last_cookie(), None);
    let echo = Server::new(&[]);
    send(&jar, &echo, get("http://example.com/page"));
    assert_eq!(echo.last_cookie().as_deref(), Some("a=1; b=2"));

    let deleter = Server::new(&[
        "a=gone; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
        "b=x; Max-Age=0",
    ]);
    send(&jar, &deleter, get("http://example.com/"));
    send(&jar, &echo, get("http://example.com/"));
    assert_eq!(echo.last_cookie(), None);
    assert!(jar.is_empty());
}

#[test]
fn set_cookie_flood_is_capped_at_fifty_per_response() {
    let set_cookies: Vec<String> = (0..60).map(|i| format!("c{i}=v")).collect();
    let set_cookies: Vec<&str> = set_cookies.iter().map(String::as_str).collect();
    let jar = CookieJar::new();
    send(&jar, &Server::new(&set_cookies), get("http://example.com/"));
    assert_eq!(jar.len(), 50);
    let echo = Server::new(&[]);
    send(&jar, &echo, get("http://example.com/"));
    let sent = echo.last_cookie().unwrap();
    assert_eq!(sent.split("; ").count(), 50);
    assert!(
        sent.starts_with("c0=v; c1=v; c2=v"),
        "creation order: {sent}"
    );
    assert!(!sent.contains("c50="));
}

#[test]
fn caller_cookie_header_comes_first_and_wins_by_name() {
    let jar = CookieJar::new();
    jar.add_cookie_str("session=jar", "http://example.com/")
        .unwrap();
    jar.add_cookie_str("theme=dark", "http://example.com/")
        .unwrap();
    let echo = Server::new(&[]);
    let mut req = get("http://example.com/");
    req.headers_mut()
        .insert(http::header::COOKIE, "session=mine".parse().unwrap());
    send(&jar, &echo, req);
    assert_eq!(
        echo.last_cookie().as_deref(),
        Some("session=mine; theme=dark")
    );
}

#[test]
fn cookie_order_longer_paths_then_older_first() {
    let jar = CookieJar::new();
    for set_cookie in [
        "z=1; Path=/",
        "y=2; Path=/a/b",
        "x=3; Path=/a",
        "w=4; Path=/",
    ] {
        jar.add_cookie_str(set_cookie, "http://example.com/")
            .unwrap();
    }
    // Replacing a cookie keeps its creation time.
    jar.add_cookie_str("z=5; Path=/", "http://example.com/")
        .unwrap();
    let echo = Server::new(&[]);
    send(&jar, &echo, get("http://example.com/a/b/c"));
    assert_eq!(echo.last_cookie().as_deref(), Some("y=2; x=3; z=5; w=4"));
}

#[test]
fn samesite_on_redirect_hops() {
    let jar = CookieJar::new();
    for set_cookie in [
        "strict=1; SameSite=Strict",
        "lax=2; SameSite=Lax",
        "none=3; SameSite=None; Secure",
        "plain=4",
    ] {
        jar.add_cookie_str(set_cookie, "https://example.com/")
            .unwrap();
    }
    let hop = |first: &str, method: http::Method| {
        let mut req = http::Request::builder()
            .method(method)
            .uri("https://example.com/landing")
            .body(Body::empty())
            .unwrap();
        req.extensions_mut().insert(RedirectContext {
            first_url: first.parse().unwrap(),
            previous_url: first.parse().unwrap(),
            hops: 1,
            credentials_stripped: true,
        });
        let echo = Server::new(&[]);
        send(&jar, &echo, req);
        echo.last_cookie().unwrap_or_default()
    };
    let all = "strict=1; lax=2; none=3; plain=4";
    let echo = Server::new(&[]);
    send(&jar, &echo, get("https://example.com/"));
    assert_eq!(echo.last_cookie().as_deref(), Some(all), "top level");
    assert_eq!(hop("https://www.example.com/", http::Method::POST), all);
    assert_eq!(
        hop("https://elsewhere.org/", http::Method::GET),
        "lax=2; none=3; plain=4"
    );
    assert_eq!(
        hop("https://elsewhere.org/", http::Method::POST),
        "none=3; plain=4"
    );
}

#[test]
fn secure_cookies_only_over_https() {
    let jar = CookieJar::new();
    jar.add_cookie_str("s=1; Secure", "https://example.com/")
        .unwrap();
    jar.add_cookie_str("p=2", "https://example.com/").unwrap();
    let echo = Server::new(&[]);
    send(&jar, &echo, get("http://example.com/"));
    assert_eq!(echo.last_cookie().as_deref(), Some("p=2"));
    send(&jar, &echo, get("https://example.com/"));
    assert_eq!(echo.last_cookie().as_deref(), Some("s=1; p=2"));
    // And none can be set from http.
    send(
        &jar,
        &Server::new(&["t=3; Secure"]),
        get("http://example.com/"),
    );
    assert_eq!(jar.len(), 2);
}

#[test]
fn clones_share_one_jar_and_clear_empties_it() {
    let jar = CookieJar::new();
    let other = jar.clone();
    send(&other, &Server::new(&["a=1"]), get("http://example.com/"));
    let echo = Server::new(&[]);
    send(&jar, &echo, get("http://example.com/"));
    assert_eq!(echo.last_cookie().as_deref(), Some("a=1"));
    jar.clear();
    assert!(other.is_empty());
}

#[test]
fn inspection_shows_every_attribute() {
    let jar = CookieJar::new();
    jar.add_cookie_str(
        "id=7; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Lax; Max-Age=60",
        "https://www.example.com/",
    )
    .unwrap();
    let cookies: Vec<StoredCookie> = jar.iter().collect();
    assert_eq!(cookies.len(), 1);
    let cookie = &cookies[0];
    assert_eq!(
        (
            cookie.name.as_str(),
            cookie.value.as_str(),
            cookie.domain.as_str()
        ),
        ("id", "7", "example.com")
    );
    assert!(!cookie.host_only && cookie.secure && cookie.http_only);
    assert_eq!(cookie.path, "/app");
    assert_eq!(cookie.same_site, Some(SameSite::Lax));
    let left = cookie
        .expires
        .unwrap()
        .duration_since(std::time::SystemTime::now());
    assert!(left.unwrap().as_secs() <= 60);
    assert_eq!(
        jar.cookies_for("https://a.example.com/app/x").unwrap(),
        cookies
    );
    assert!(
        jar.cookies_for("https://a.example.com/")
            .unwrap()
            .is_empty()
    );
    assert!(jar.cookies_for("not a url").is_err());
    let err = jar
        .add_cookie_str("x=1; Domain=com", "https://example.com/")
        .unwrap_err();
    assert!(err.is_builder());
    assert!(err.to_string().contains("public suffix"), "{err}");
    assert_eq!(format!("{jar:?}"), "CookieJar { cookies: 1 }");
}

#[test]
fn json_round_trip_keeps_persistent_cookies_in_order() {
    let jar = CookieJar::new();
    for set_cookie in [
        "b=2; Max-Age=600; Path=/",
        "a=1; Max-Age=600; Path=/; Secure; SameSite=Strict",
        "session=3",
        "old=4; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
    ] {
        let _ = jar.add_cookie_str(set_cookie, "https://example.com/");
    }
    let mut json = Vec::new();
    jar.to_json(&mut json).unwrap();
    let loaded = CookieJar::from_json(&json[..]).unwrap();
    let names: Vec<String> = loaded.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        ["b", "a"],
        "session and expired cookies are not saved"
    );
    let a = loaded.cookies_for("https://example.com/").unwrap();
    assert_eq!(a[1].same_site, Some(SameSite::Strict));
    assert!(a[1].secure);

    assert!(CookieJar::from_json(&b"not json"[..]).is_err());
}

#[test]
fn save_json_replaces_the_file_atomically() {
    let dir = std::env::temp_dir().join(format!(
        "aioduct-cookies-unit-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("jar.json");
    std::fs::write(&path, "old contents").unwrap();
    let jar = CookieJar::new();
    jar.add_cookie_str("k=v; Max-Age=600", "http://example.com/")
        .unwrap();
    jar.save_json(&path).unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "no temporary file left behind");
    let loaded = CookieJar::load_json(&path).unwrap();
    assert_eq!(
        loaded.cookies_for("http://example.com/").unwrap()[0].value,
        "v"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "owner only: {mode:o}");
    }
    assert!(jar.save_json(dir.join("missing").join("jar.json")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}
