use std::{
    collections::hash_map::DefaultHasher,
    hash::{Hash, Hasher},
};

use super::*;

type Expected = (
    ProxyKind,
    &'static str,
    u16,
    Option<(&'static str, &'static str)>,
);

fn parsed(config: &ProxyConfig) -> (ProxyKind, String, u16, Option<(String, String)>) {
    (
        config.kind(),
        config.host().to_owned(),
        config.port(),
        config
            .credentials()
            .map(|c| (c.user.clone(), c.password.clone())),
    )
}

#[test]
fn proxy_urls_parse() {
    use ProxyKind::*;
    #[rustfmt::skip]
    let table: &[(&str, Expected)] = &[
        ("http://proxy:3128", (Http, "proxy", 3128, None)),
        ("http://proxy:3128/", (Http, "proxy", 3128, None)),
        ("HTTP://Proxy.Example:3128", (Http, "proxy.example", 3128, None)),
        ("  http://proxy:3128  ", (Http, "proxy", 3128, None)),
        ("proxy:3128", (Http, "proxy", 3128, None)),
        ("https://proxy:443", (Https, "proxy", 443, None)),
        ("socks4://10.0.0.1:1080", (Socks4, "10.0.0.1", 1080, None)),
        ("socks4a://proxy:1080", (Socks4a, "proxy", 1080, None)),
        ("socks5://[::1]:1080", (Socks5, "[::1]", 1080, None)),
        ("socks5h://proxy:1080", (Socks5h, "proxy", 1080, None)),
        ("http://user:pass@proxy:8080", (Http, "proxy", 8080, Some(("user", "pass")))),
        ("http://user@proxy:8080", (Http, "proxy", 8080, Some(("user", "")))),
        ("http://:pass@proxy:8080", (Http, "proxy", 8080, Some(("", "pass")))),
        ("http://@proxy:8080", (Http, "proxy", 8080, None)),
        // Percent-decoding; the last `@` ends the userinfo; a colon in the password stays.
        ("http://us%40er:p%3Ass%2F@proxy:8080", (Http, "proxy", 8080, Some(("us@er", "p:ss/")))),
        ("socks5://a@b:c:d@proxy:1080", (Socks5, "proxy", 1080, Some(("a@b", "c:d")))),
        ("socks5://%E2%82%AC:x@proxy:1080", (Socks5, "proxy", 1080, Some(("\u{20ac}", "x")))),
    ];
    for (url, (kind, host, port, credentials)) in table {
        let config = ProxyConfig::all(url).unwrap_or_else(|err| panic!("{url}: {err}"));
        let want = (
            *kind,
            host.to_string(),
            *port,
            credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
        );
        assert_eq!(parsed(&config), want, "{url}");
    }
}

#[test]
fn bad_proxy_urls_are_builder_errors() {
    for (url, why) in [
        ("ftp://proxy:21", "unsupported proxy scheme"),
        ("socks6://proxy:1080", "unsupported proxy scheme"),
        ("http://proxy", "no port"),
        ("socks5://proxy", "no port"),
        ("http://proxy:0", "port 0"),
        ("http://proxy:65536", ""),
        ("http://:8080", "no host"),
        ("http://", ""),
        ("", ""),
        ("http://pro xy:8080", ""),
        ("http://proxy:8080/path", "no path"),
        ("http://proxy:8080?x=1", "no path"),
        ("http://us%ffer:x@proxy:8080", "UTF-8"),
    ] {
        let err = ProxyConfig::all(url).expect_err(url);
        assert!(err.is_builder(), "{url}: {err:?}");
        assert!(err.to_string().contains(why), "{url}: {err}");
    }
}

#[test]
fn typed_constructors_check_the_scheme() {
    assert_eq!(
        ProxyConfig::socks5("proxy:1080").unwrap().kind(),
        ProxyKind::Socks5
    );
    assert_eq!(
        ProxyConfig::https("proxy:443").unwrap().kind(),
        ProxyKind::Https
    );
    let err = ProxyConfig::socks5("http://proxy:1080").unwrap_err();
    assert!(err.is_builder());
    assert!(err.to_string().contains("socks5://"), "{err}");
    assert!(ProxyConfig::http("socks5://proxy:1080").is_err());
    assert!(ProxyConfig::socks5("socks5h://proxy:1080").is_err());
    assert!(ProxyConfig::socks4a("SOCKS4A://proxy:1080").is_ok());
}

#[test]
fn errors_never_echo_credentials() {
    let err = ProxyConfig::all("http://user:topsecret@proxy").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("topsecret"), "{err:?}");
}

#[test]
fn uri_is_the_proxy_without_credentials() {
    for (url, want) in [
        ("http://u:p@proxy:3128", "http://proxy:3128/"),
        ("https://proxy:443", "https://proxy:443/"),
        ("socks5h://[::1]:1080", "socks5h://[::1]:1080/"),
        ("socks4://10.0.0.1:1080", "socks4://10.0.0.1:1080/"),
    ] {
        assert_eq!(ProxyConfig::all(url).unwrap().uri(), want, "{url}");
    }
}

#[test]
fn authorization_is_basic_and_sensitive() {
    let proxy = ProxyConfig::http("proxy:1").unwrap();
    assert!(proxy.authorization().is_none());
    let value = proxy
        .basic_auth("Aladdin", "open sesame")
        .authorization()
        .unwrap();
    assert_eq!(value, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
    assert!(value.is_sensitive());
    let socks = ProxyConfig::socks5("proxy:1").unwrap().basic_auth("u", "p");
    assert!(socks.authorization().is_none());
}

#[test]
fn debug_redacts_the_password() {
    let proxy = ProxyConfig::all("socks5://alice:hunter2@proxy:1080").unwrap();
    let debug = format!("{proxy:?}");
    assert!(debug.contains("alice"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

fn hash_of(config: &ProxyConfig) -> u64 {
    let mut hasher = DefaultHasher::new();
    config.hash(&mut hasher);
    hasher.finish()
}

#[test]
fn identity_covers_kind_address_credentials_and_tunnelling() {
    let base = ProxyConfig::all("http://proxy:3128").unwrap();
    assert_eq!(base, ProxyConfig::http("proxy:3128").unwrap());
    assert_eq!(hash_of(&base), hash_of(&base.clone()));
    let different = [
        ProxyConfig::all("https://proxy:3128").unwrap(),
        ProxyConfig::all("http://proxy:3129").unwrap(),
        ProxyConfig::all("http://other:3128").unwrap(),
        base.clone().basic_auth("a", "b"),
        base.clone().basic_auth("a", "c"),
        base.clone().tunnel_always(),
        ProxyConfig::all("socks5://proxy:3128").unwrap(),
        ProxyConfig::all("socks5h://proxy:3128").unwrap(),
    ];
    for other in &different {
        assert_ne!(&base, other, "{other:?}");
    }
    for (i, a) in different.iter().enumerate() {
        for b in &different[i + 1..] {
            assert_ne!(a, b);
        }
    }
}
