use cookie_store::{CookieDomain, CookieStore};
use http::{HeaderValue, Method};
use url::Url;

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

/// What `accept` makes of a Set-Cookie: the stored domain, or why it was refused.
#[derive(Debug, PartialEq)]
enum Stored {
    HostOnly(&'static str),
    Domain(&'static str),
    Refused(Refusal),
}

fn stored(set_cookie: &str, from: &str) -> Stored {
    match accept(set_cookie, &url(from), &CookieStore::default()) {
        Ok(cookie) => match cookie.domain {
            CookieDomain::HostOnly(host) => Stored::HostOnly(host.leak()),
            CookieDomain::Suffix(domain) => Stored::Domain(domain.leak()),
            other => panic!("{set_cookie}: unexpected domain {other:?}"),
        },
        Err(refusal) => Stored::Refused(refusal),
    }
}

#[test]
fn set_cookie_rules() {
    use Refusal::*;
    use Stored::*;
    let cases: &[(&str, &str, Stored)] = &[
        // Domain and host-only.
        ("a=1", "http://example.com/", HostOnly("example.com")),
        (
            "a=1; Domain=example.com",
            "http://www.example.com/",
            Domain("example.com"),
        ),
        (
            "a=1; Domain=.EXAMPLE.com",
            "http://www.example.com/",
            Domain("example.com"),
        ),
        (
            "a=1; Domain=other.com",
            "http://example.com/",
            Refused(DomainMismatch),
        ),
        (
            "a=1; Domain=www.example.com",
            "http://example.com/",
            Refused(DomainMismatch),
        ),
        (
            "a=1; Domain=ample.com",
            "http://example.com/",
            Refused(DomainMismatch),
        ),
        (
            "a=1; Domain=",
            "http://example.com/",
            HostOnly("example.com"),
        ),
        // Public suffixes.
        (
            "a=1; Domain=com",
            "http://example.com/",
            Refused(PublicSuffix),
        ),
        (
            "a=1; Domain=co.uk",
            "http://shop.co.uk/",
            Refused(PublicSuffix),
        ),
        (
            "a=1; Domain=uk",
            "http://shop.co.uk/",
            Refused(PublicSuffix),
        ),
        (
            "a=1; Domain=github.io",
            "http://me.github.io/",
            Refused(PublicSuffix),
        ),
        (
            "a=1; Domain=localhost",
            "http://app.localhost/",
            Refused(PublicSuffix),
        ),
        (
            "a=1; Domain=shop.co.uk",
            "http://www.shop.co.uk/",
            Domain("shop.co.uk"),
        ),
        ("a=1; Domain=co.uk", "http://co.uk/", HostOnly("co.uk")),
        (
            "a=1; Domain=localhost",
            "http://localhost/",
            HostOnly("localhost"),
        ),
        // IP-address hosts.
        ("a=1", "http://127.0.0.1/", HostOnly("127.0.0.1")),
        (
            "a=1; Domain=127.0.0.1",
            "http://127.0.0.1/",
            HostOnly("127.0.0.1"),
        ),
        ("a=1; Domain=0.0.1", "http://127.0.0.1/", Refused(IpDomain)),
        (
            "a=1; Domain=example.com",
            "http://127.0.0.1/",
            Refused(IpDomain),
        ),
        ("a=1; Domain=::1", "http://[::1]/", HostOnly("[::1]")),
        ("a=1; Domain=[::1]", "http://[::1]/", HostOnly("[::1]")),
        ("a=1; Domain=::2", "http://[::1]/", Refused(IpDomain)),
        // Secure.
        (
            "a=1; Secure",
            "https://example.com/",
            HostOnly("example.com"),
        ),
        (
            "a=1; Secure",
            "http://example.com/",
            Refused(SecureFromHttp),
        ),
        ("a=1; Secure", "http://127.0.0.1/", Refused(SecureFromHttp)),
        // SameSite.
        (
            "a=1; SameSite=None; Secure",
            "https://example.com/",
            HostOnly("example.com"),
        ),
        (
            "a=1; SameSite=None",
            "https://example.com/",
            Refused(NoneWithoutSecure),
        ),
        (
            "a=1; SameSite=Lax",
            "http://example.com/",
            HostOnly("example.com"),
        ),
        (
            "a=1; SameSite=Strict",
            "http://example.com/",
            HostOnly("example.com"),
        ),
        // Prefixes.
        (
            "__Secure-a=1; Secure",
            "https://example.com/",
            HostOnly("example.com"),
        ),
        (
            "__Secure-a=1",
            "https://example.com/",
            Refused(SecurePrefix),
        ),
        (
            "__secure-a=1",
            "https://example.com/",
            Refused(SecurePrefix),
        ),
        (
            "__Host-a=1; Secure; Path=/",
            "https://example.com/",
            HostOnly("example.com"),
        ),
        (
            "__Host-a=1; Secure",
            "https://example.com/",
            Refused(HostPrefix),
        ),
        (
            "__Host-a=1; Path=/",
            "https://example.com/",
            Refused(HostPrefix),
        ),
        (
            "__HOST-a=1; Path=/",
            "https://example.com/",
            Refused(HostPrefix),
        ),
        (
            "__Host-a=1; Secure; Path=/; Domain=example.com",
            "https://example.com/",
            Refused(HostPrefix),
        ),
        (
            "__Host-a=1; Secure; Path=/x",
            "https://example.com/",
            Refused(HostPrefix),
        ),
        (
            "__Host-a=1; Secure; Path=/",
            "http://example.com/",
            Refused(SecureFromHttp),
        ),
        // Control characters and size.
        (
            "a=1\u{0}2",
            "http://example.com/",
            Refused(ControlCharacter),
        ),
        ("a\u{1}=1", "http://example.com/", Refused(ControlCharacter)),
        (
            "a=1\u{7f}",
            "http://example.com/",
            Refused(ControlCharacter),
        ),
        ("a=1\n2", "http://example.com/", Refused(ControlCharacter)),
        ("a=1\t2", "http://example.com/", HostOnly("example.com")),
        ("a", "http://example.com/", Refused(Unparsable)),
        ("=1", "http://example.com/", Refused(Unparsable)),
        ("a=1", "ftp://example.com/", Refused(NotHttp)),
    ];
    for (set_cookie, from, expected) in cases {
        assert_eq!(
            &stored(set_cookie, from),
            expected,
            "{set_cookie:?} from {from}"
        );
    }
}

#[test]
fn oversized_cookie_is_refused() {
    let big = format!("a={}", "x".repeat(4096));
    assert_eq!(
        stored(&big, "http://example.com/"),
        Stored::Refused(Refusal::TooLarge)
    );
    let fits = format!("a={}", "x".repeat(4095));
    assert_eq!(
        stored(&fits, "http://example.com/"),
        Stored::HostOnly("example.com")
    );
}

#[test]
fn max_age_wins_over_expires_and_lifetimes_are_capped() {
    let store = CookieStore::default();
    let from = url("http://example.com/");
    let past = "Expires=Wed, 21 Oct 2015 07:28:00 GMT";
    let cookie = accept(&format!("a=1; Max-Age=60; {past}"), &from, &store).unwrap();
    assert!(!cookie.is_expired(), "Max-Age wins over a past Expires");
    let cookie = accept(&format!("a=1; {past}"), &from, &store).unwrap();
    assert!(cookie.is_expired());
    let cookie = accept(
        "a=1; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT",
        &from,
        &store,
    )
    .unwrap();
    assert!(cookie.is_expired(), "Max-Age=0 wins over a future Expires");
    let cookie = accept("a=1; Max-Age=-5", &from, &store).unwrap();
    assert!(cookie.is_expired());

    let far = accept("a=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", &from, &store).unwrap();
    let CookieExpiration::AtUtc(at) = far.expires else {
        panic!("persistent")
    };
    let limit = unix_now() + MAX_LIFETIME_SECS as i64;
    assert!(at.unix_timestamp() <= limit + 5, "capped at 400 days");
    assert!(at.unix_timestamp() >= limit - 5);
}

#[test]
fn http_cannot_shadow_a_secure_cookie() {
    let mut store = CookieStore::default();
    let https = url("https://example.com/");
    let secure = accept("id=1; Secure; Domain=example.com", &https, &store).unwrap();
    store.insert(secure, &https).unwrap();
    let cases = [
        ("id=2", "http://example.com/", Err(Refusal::ShadowsSecure)),
        (
            "id=2",
            "http://www.example.com/",
            Err(Refusal::ShadowsSecure),
        ),
        (
            "id=2; Path=/deep",
            "http://example.com/",
            Err(Refusal::ShadowsSecure),
        ),
        ("other=2", "http://example.com/", Ok(())),
        ("id=2", "http://example.org/", Ok(())),
        ("id=2", "https://example.com/", Ok(())),
    ];
    for (set_cookie, from, expected) in cases {
        let got = accept(set_cookie, &url(from), &store).map(|_| ());
        assert_eq!(got, expected, "{set_cookie} from {from}");
    }
}

fn cookie(set_cookie: &str, from: &str) -> cookie_store::Cookie<'static> {
    accept(set_cookie, &url(from), &CookieStore::default()).unwrap()
}

#[test]
fn send_rules() {
    let top = Context::TOP_LEVEL;
    let cross_get = Context {
        cross_site: true,
        safe_method: true,
    };
    let cross_post = Context {
        cross_site: true,
        safe_method: false,
    };
    let cases: &[(&str, &str, &str, Context, bool)] = &[
        // Host-only vs domain cookies.
        (
            "a=1",
            "http://example.com/",
            "http://example.com/",
            top,
            true,
        ),
        (
            "a=1",
            "http://example.com/",
            "http://www.example.com/",
            top,
            false,
        ),
        (
            "a=1",
            "http://example.com/",
            "http://EXAMPLE.com:8080/",
            top,
            true,
        ),
        (
            "a=1; Domain=example.com",
            "http://example.com/",
            "http://a.b.example.com/",
            top,
            true,
        ),
        (
            "a=1; Domain=example.com",
            "http://example.com/",
            "http://badexample.com/",
            top,
            false,
        ),
        (
            "a=1; Domain=example.com",
            "http://example.com/",
            "http://example.org/",
            top,
            false,
        ),
        // IP hosts: exact only.
        (
            "a=1",
            "http://127.0.0.1/",
            "http://127.0.0.1:81/",
            top,
            true,
        ),
        ("a=1", "http://127.0.0.1/", "http://127.0.0.2/", top, false),
        ("a=1", "http://[::1]/", "http://[::1]/", top, true),
        // Paths.
        (
            "a=1; Path=/docs",
            "http://example.com/",
            "http://example.com/docs",
            top,
            true,
        ),
        (
            "a=1; Path=/docs",
            "http://example.com/",
            "http://example.com/docs/x",
            top,
            true,
        ),
        (
            "a=1; Path=/docs",
            "http://example.com/",
            "http://example.com/docsx",
            top,
            false,
        ),
        (
            "a=1; Path=/docs/",
            "http://example.com/",
            "http://example.com/docs",
            top,
            false,
        ),
        (
            "a=1; Path=/docs",
            "http://example.com/",
            "http://example.com/",
            top,
            false,
        ),
        (
            "a=1",
            "http://example.com/dir/page",
            "http://example.com/dir/other",
            top,
            true,
        ),
        (
            "a=1",
            "http://example.com/dir/page",
            "http://example.com/",
            top,
            false,
        ),
        // Secure.
        (
            "a=1; Secure",
            "https://example.com/",
            "https://example.com/",
            top,
            true,
        ),
        (
            "a=1; Secure",
            "https://example.com/",
            "http://example.com/",
            top,
            false,
        ),
        // HttpOnly is sent.
        (
            "a=1; HttpOnly",
            "http://example.com/",
            "http://example.com/",
            top,
            true,
        ),
        // SameSite.
        (
            "a=1; SameSite=Strict",
            "http://example.com/",
            "http://example.com/",
            top,
            true,
        ),
        (
            "a=1; SameSite=Strict",
            "http://example.com/",
            "http://example.com/",
            cross_get,
            false,
        ),
        (
            "a=1; SameSite=Lax",
            "http://example.com/",
            "http://example.com/",
            cross_get,
            true,
        ),
        (
            "a=1; SameSite=Lax",
            "http://example.com/",
            "http://example.com/",
            cross_post,
            false,
        ),
        (
            "a=1; SameSite=None; Secure",
            "https://example.com/",
            "https://example.com/",
            cross_post,
            true,
        ),
        (
            "a=1",
            "http://example.com/",
            "http://example.com/",
            cross_post,
            true,
        ),
    ];
    for (set_cookie, from, to, context, expected) in cases {
        let cookie = cookie(set_cookie, from);
        assert_eq!(
            sendable(&cookie, &url(to), *context),
            *expected,
            "{set_cookie:?} from {from} to {to} in {context:?}"
        );
    }
}

#[test]
fn request_context_from_the_redirect_extension() {
    let cases = [
        (None, Method::GET, false),
        (Some("http://example.com/"), Method::GET, false),
        (Some("http://www.example.com/"), Method::POST, false),
        (Some("http://shop.example.co.uk/"), Method::GET, true),
        (Some("http://evil.com/"), Method::GET, true),
        (Some("http://127.0.0.1/"), Method::GET, true),
    ];
    let to = url("http://a.example.com/next");
    for (first, method, cross_site) in cases {
        let mut req = http::Request::builder()
            .method(method.clone())
            .uri(to.as_str())
            .body(())
            .unwrap();
        if let Some(first) = first {
            req.extensions_mut().insert(RedirectContext {
                first_url: first.parse().unwrap(),
                previous_url: first.parse().unwrap(),
                hops: 1,
                credentials_stripped: false,
            });
        }
        let context = Context::of(&req, &to);
        assert_eq!(context.cross_site, cross_site, "first {first:?}");
        assert_eq!(context.safe_method, method == Method::GET);
    }
    // Sites of IP hosts and of hosts that are public suffixes are the hosts themselves.
    assert_ne!(
        site(&url("http://127.0.0.1/")),
        site(&url("http://127.0.0.2/"))
    );
    assert_ne!(
        site(&url("http://a.localhost/")),
        site(&url("http://b.localhost/"))
    );
}

#[test]
fn merge_puts_the_callers_cookies_first_and_applies_the_caps() {
    let caller = [HeaderValue::from_static("a=caller; b=2")];
    let jar = [("a", "jar"), ("c", "3"), ("b", "jar"), ("d", "4")];
    assert_eq!(merge(&caller, jar).unwrap(), "a=caller; b=2; c=3; d=4");
    assert_eq!(merge(&[], jar).unwrap(), "a=jar; c=3; b=jar; d=4");
    assert_eq!(merge(&caller, [("a", "jar")]), None, "nothing to add");
    let split = [
        HeaderValue::from_static("a=1"),
        HeaderValue::from_static("b=2"),
    ];
    assert_eq!(merge(&split, [("c", "3")]).unwrap(), "a=1; b=2; c=3");

    let names: Vec<String> = (0..200).map(|i| format!("n{i}")).collect();
    let many = names.iter().map(|n| (n.as_str(), "v"));
    let header = merge(&[], many.clone()).unwrap();
    assert_eq!(
        header.to_str().unwrap().split("; ").count(),
        MAX_REQUEST_COOKIES
    );
    assert!(
        header.to_str().unwrap().starts_with("n0=v; n1=v;"),
        "cookie order kept"
    );
    let header = merge(&[HeaderValue::from_static("x=1; y=2")], many).unwrap();
    assert_eq!(
        header.to_str().unwrap().split("; ").count(),
        MAX_REQUEST_COOKIES
    );

    let value = "v".repeat(1000);
    let big: Vec<(&str, &str)> = names
        .iter()
        .take(20)
        .map(|n| (n.as_str(), &*value))
        .collect();
    let header = merge(&[], big).unwrap();
    assert!(header.len() <= MAX_HEADER_BYTES, "{}", header.len());
    assert_eq!(
        header.to_str().unwrap().split("; ").count(),
        8,
        "8 KiB holds 8 of them"
    );
}
