use std::collections::HashMap;

use super::*;

fn env(vars: &[(&str, &str)]) -> ProxySettings {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ProxySettings::from_env_with(|name| vars.get(name).cloned())
}

/// The `host:port` of the proxy chosen for `url`, or "direct".
fn choice(settings: &ProxySettings, url: &str) -> String {
    match settings.proxy_for(&url.parse().unwrap()) {
        Some(proxy) => format!(
            "{}://{}:{}",
            proxy.kind().scheme(),
            proxy.host(),
            proxy.port()
        ),
        None => "direct".into(),
    }
}

/// Environment variables, a URL, and the proxy chosen for it.
type Case = (
    &'static [(&'static str, &'static str)],
    &'static str,
    &'static str,
);

#[test]
fn environment_selection_table() {
    #[rustfmt::skip]
    let table: &[Case] = &[
        (&[], "http://a.test/", "direct"),
        (&[("HTTP_PROXY", "http://up:1")], "http://a.test/", "http://up:1"),
        (&[("HTTP_PROXY", "http://up:1")], "https://a.test/", "direct"),
        (&[("http_proxy", "http://low:1")], "http://a.test/", "http://low:1"),
        // Lowercase wins over uppercase.
        (&[("http_proxy", "http://low:1"), ("HTTP_PROXY", "http://up:1")], "http://a.test/", "http://low:1"),
        (&[("https_proxy", "http://low:2"), ("HTTPS_PROXY", "http://up:2")], "https://a.test/", "http://low:2"),
        (&[("all_proxy", "socks5h://low:3"), ("ALL_PROXY", "socks5://up:3")], "https://a.test/", "socks5h://low:3"),
        // An empty lowercase value falls back to the uppercase one.
        (&[("http_proxy", ""), ("HTTP_PROXY", "http://up:1")], "http://a.test/", "http://up:1"),
        // httpoxy: with REQUEST_METHOD set, uppercase HTTP_PROXY is ignored...
        (&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1")], "http://a.test/", "direct"),
        (&[("REQUEST_METHOD", "GET"), ("HTTP_PROXY", "http://evil:1"), ("ALL_PROXY", "http://ok:9")], "http://a.test/", "http://ok:9"),
        // ...but lowercase http_proxy, and the other uppercase names, still count.
        (&[("REQUEST_METHOD", "GET"), ("http_proxy", "http://low:1")], "http://a.test/", "http://low:1"),
        (&[("REQUEST_METHOD", "GET"), ("HTTPS_PROXY", "http://up:2")], "https://a.test/", "http://up:2"),
        (&[("REQUEST_METHOD", ""), ("HTTP_PROXY", "http://evil:1")], "http://a.test/", "direct"),
        // ALL_PROXY covers schemes without their own proxy.
        (&[("ALL_PROXY", "socks5://s:1080"), ("HTTP_PROXY", "http://h:1")], "http://a.test/", "http://h:1"),
        (&[("ALL_PROXY", "socks5://s:1080"), ("HTTP_PROXY", "http://h:1")], "https://a.test/", "socks5://s:1080"),
        (&[("ALL_PROXY", "socks5://s:1080")], "wss://a.test/", "socks5://s:1080"),
        (&[("HTTPS_PROXY", "http://h:2")], "wss://a.test/", "http://h:2"),
        (&[("HTTP_PROXY", "http://h:1")], "ws://a.test/", "http://h:1"),
        // A value without a scheme is an HTTP proxy; a bad value is ignored.
        (&[("HTTP_PROXY", "plain:3128")], "http://a.test/", "http://plain:3128"),
        (&[("HTTP_PROXY", "ftp://x:1"), ("ALL_PROXY", "http://ok:9")], "http://a.test/", "http://ok:9"),
        (&[("HTTP_PROXY", "http://no-port")], "http://a.test/", "direct"),
        (&[("HTTP_PROXY", "   ")], "http://a.test/", "direct"),
        // NO_PROXY, lowercase first.
        (&[("ALL_PROXY", "http://p:1"), ("NO_PROXY", "a.test")], "http://a.test/", "direct"),
        (&[("ALL_PROXY", "http://p:1"), ("NO_PROXY", "a.test")], "http://b.test/", "http://p:1"),
        (&[("ALL_PROXY", "http://p:1"), ("no_proxy", "b.test"), ("NO_PROXY", "a.test")], "http://a.test/", "http://p:1"),
        (&[("ALL_PROXY", "http://p:1"), ("NO_PROXY", "*")], "https://x.test/", "direct"),
        (&[("ALL_PROXY", "http://p:1"), ("NO_PROXY", "a.test:8080")], "http://a.test:8080/", "direct"),
        (&[("ALL_PROXY", "http://p:1"), ("NO_PROXY", "a.test:8080")], "http://a.test/", "http://p:1"),
    ];
    for (vars, url, want) in table {
        let settings = env(vars);
        assert_eq!(choice(&settings, url), *want, "{vars:?} {url}");
    }
}

#[test]
fn credentials_come_from_the_environment_url() {
    let settings = env(&[("HTTPS_PROXY", "http://me:p%40ss@proxy:3128")]);
    let proxy = settings
        .proxy_for(&"https://a.test/".parse().unwrap())
        .unwrap();
    assert_eq!(proxy.username(), Some("me"));
    let credentials = proxy.credentials().unwrap();
    assert_eq!(credentials.password, "p@ss");
}

#[test]
fn per_proxy_no_proxy_lists_apply_to_that_proxy() {
    let settings = ProxySettings::new()
        .http(
            ProxyConfig::http("h:1")
                .unwrap()
                .no_proxy(NoProxy::parse("internal")),
        )
        .all(ProxyConfig::socks5("s:2").unwrap());
    assert_eq!(choice(&settings, "http://internal/"), "direct");
    assert_eq!(choice(&settings, "https://internal/"), "socks5://s:2");
    assert_eq!(choice(&settings, "http://public/"), "http://h:1");
}

#[test]
fn routes_forward_plain_http_and_tunnel_the_rest() {
    let http = ProxySettings::from(ProxyConfig::http("p:1").unwrap());
    let uri = |u: &str| u.parse::<Uri>().unwrap();
    assert!(http.route(&uri("http://a/")).is_forward());
    assert!(http.route(&uri("HTTP://a/")).is_forward());
    for url in ["https://a/", "ws://a/", "wss://a/"] {
        assert!(matches!(http.route(&uri(url)), Route::Tunnel(_)), "{url}");
    }
    let always = ProxySettings::from(ProxyConfig::http("p:1").unwrap().tunnel_always());
    assert!(matches!(always.route(&uri("http://a/")), Route::Tunnel(_)));
    let https = ProxySettings::from(ProxyConfig::https("p:1").unwrap());
    assert!(https.route(&uri("http://a/")).is_forward());
    let socks = ProxySettings::from(ProxyConfig::socks5h("p:1").unwrap());
    assert!(matches!(socks.route(&uri("http://a/")), Route::Tunnel(_)));
    let bypass = http.clone().no_proxy(NoProxy::parse("a"));
    assert_eq!(bypass.route(&uri("http://a/")), Route::Direct);
    assert_eq!(bypass.route(&uri("http://a/")).proxy(), None);
    assert!(ProxySettings::new().is_empty());
    assert!(!http.is_empty());
}
