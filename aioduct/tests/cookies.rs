//! The cookie jar end to end (the `cookies` feature): what servers really receive.

mod support;

use std::net::SocketAddr;

use aioduct::{
    Client, SendRuntime,
    core::{Addrs, BoxError, Name},
    middleware::cookies::CookieJar,
};
use support::{Reply, Server, text};

/// A reply that sets each of `set_cookies`.
fn setting(set_cookies: &[String]) -> Reply {
    let mut reply = text(200, "set");
    for set_cookie in set_cookies {
        reply
            .headers_mut()
            .append("set-cookie", set_cookie.parse().unwrap());
    }
    reply
}

/// A server that answers `/set*` with the Set-Cookie headers `set_cookies` returns for the path
/// and anything else with the Cookie header it received (empty without one).
fn cookie_server(set_cookies: fn(&str) -> Vec<String>) -> Server {
    Server::http1(move |req| async move {
        let path = req.uri().path().to_owned();
        if path.starts_with("/set") {
            return setting(&set_cookies(&path));
        }
        let cookie = req
            .headers()
            .get("cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        text(200, cookie)
    })
}

/// Every host name resolves to 127.0.0.1 (the port comes from the URL).
async fn loopback(_name: Name) -> Result<Addrs, BoxError> {
    Ok(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 1], 0))]))
}

async fn get<R: SendRuntime>(client: &Client<R>, url: String) -> String {
    let resp = client.get(url).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

async fn cookie_round_trip_across_requests<R: SendRuntime>() {
    let server = cookie_server(|_| vec!["id=42; Path=/".into(), "theme=dark; Max-Age=60".into()]);
    let client = Client::<R>::builder().cookie_store(true).build();
    assert_eq!(get(&client, server.url("/echo")).await, "", "nothing yet");
    get(&client, server.url("/set")).await;
    assert_eq!(get(&client, server.url("/echo")).await, "id=42; theme=dark");

    let plain = Client::<R>::builder().cookie_store(false).build();
    assert_eq!(get(&plain, server.url("/set")).await, "set");
    assert_eq!(
        get(&plain, server.url("/echo")).await,
        "",
        "no jar, no cookies"
    );
}

async fn cookies_set_on_a_redirect_are_sent_on_the_next_hop<R: SendRuntime>() {
    let server = Server::http1(|req| async move {
        match req.uri().path() {
            "/login" => {
                let mut reply = text(302, "");
                let headers = reply.headers_mut();
                headers.insert("location", "/home".parse().unwrap());
                headers.append("set-cookie", "session=abc; Path=/".parse().unwrap());
                reply
            }
            _ => {
                let cookie = req.headers().get("cookie").cloned();
                text(
                    200,
                    cookie
                        .map(|c| c.to_str().unwrap().to_owned())
                        .unwrap_or_default(),
                )
            }
        }
    });
    let jar = CookieJar::new();
    let client = Client::<R>::builder().cookie_jar(jar.clone()).build();
    let resp = client
        .get(server.url("/login"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.url().path(), "/home", "the redirect was followed");
    assert_eq!(resp.text().await.unwrap(), "session=abc");
    assert_eq!(jar.len(), 1);
}

async fn set_cookie_flood_capped<R: SendRuntime>() {
    let server = cookie_server(|_| (0..64).map(|i| format!("flood{i}=x")).collect());
    let client = Client::<R>::builder().cookie_store(true).build();
    get(&client, server.url("/set")).await;
    let sent = get(&client, server.url("/echo")).await;
    let count = sent
        .split("; ")
        .filter(|pair| pair.starts_with("flood"))
        .count();
    assert_eq!(count, 50, "at most 50 Set-Cookie per response: {sent}");
    assert!(!sent.contains("flood63="), "the first 50 are the ones kept");
}

async fn cookie_for_a_public_suffix_refused<R: SendRuntime>() {
    let server = cookie_server(|_| {
        vec![
            "wide=1; Domain=co.uk; Path=/".into(),
            "wider=1; Domain=uk; Path=/".into(),
            "site=1; Domain=example.co.uk; Path=/".into(),
        ]
    });
    let port = server.addr().port();
    let jar = CookieJar::new();
    let client = Client::<R>::builder()
        .resolver(loopback)
        .cookie_jar(jar.clone())
        .build();
    get(&client, format!("http://shop.example.co.uk:{port}/set")).await;
    let elsewhere = get(&client, format!("http://attacker.co.uk:{port}/echo")).await;
    assert_eq!(
        elsewhere, "",
        "a cookie for co.uk would reach every .co.uk site"
    );
    let sibling = get(&client, format!("http://www.example.co.uk:{port}/echo")).await;
    assert_eq!(sibling, "site=1");
    let names: Vec<String> = jar.iter().map(|c| c.name).collect();
    assert_eq!(names, ["site"]);
}

async fn secure_cookie_not_sent_over_http<R: SendRuntime>() {
    let server = cookie_server(|_| vec!["planted=1; Secure".into()]);
    let jar = CookieJar::new();
    let host = server.url("/");
    let https_twin = host.replacen("http://", "https://", 1);
    jar.add_cookie_str("secret=1; Secure", &https_twin).unwrap();
    jar.add_cookie_str("public=1", &https_twin).unwrap();
    let client = Client::<R>::builder().cookie_jar(jar.clone()).build();
    assert_eq!(get(&client, server.url("/echo")).await, "public=1");
    get(&client, server.url("/set")).await;
    assert_eq!(
        get(&client, server.url("/echo")).await,
        "public=1",
        "a Secure cookie cannot be set over http either"
    );
    let secure = jar.cookies_for(&https_twin).unwrap();
    assert_eq!(secure.len(), 2, "still there for https");
}

async fn jar_shared_between_two_clients<R: SendRuntime>() {
    let server = cookie_server(|_| vec!["shared=yes".into()]);
    let jar = CookieJar::new();
    let first = Client::<R>::builder().cookie_jar(jar.clone()).build();
    let second = Client::<R>::builder().cookie_jar(jar.clone()).build();
    get(&first, server.url("/set")).await;
    assert_eq!(get(&second, server.url("/echo")).await, "shared=yes");
    jar.clear();
    assert_eq!(get(&first, server.url("/echo")).await, "");
}

async fn save_load_round_trip_through_a_file<R: SendRuntime>() {
    let server = cookie_server(|_| vec!["kept=1; Max-Age=3600".into(), "session=1".into()]);
    let path = std::env::temp_dir().join(format!(
        "aioduct-cookies-{}-{:?}-{}.json",
        std::process::id(),
        std::thread::current().id(),
        std::any::type_name::<R>().rsplit("::").next().unwrap()
    ));
    let jar = CookieJar::new();
    let client = Client::<R>::builder().cookie_jar(jar.clone()).build();
    get(&client, server.url("/set")).await;
    assert_eq!(get(&client, server.url("/echo")).await, "kept=1; session=1");
    jar.save_json(&path).unwrap();

    let loaded = CookieJar::load_json(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let restarted = Client::<R>::builder().cookie_jar(loaded).build();
    assert_eq!(
        get(&restarted, server.url("/echo")).await,
        "kept=1",
        "session cookies end with the session"
    );
}

async fn samesite_strict_not_sent_on_a_cross_site_redirect_hop<R: SendRuntime>() {
    let server = Server::http1(|req| async move {
        if req.uri().path() == "/go" {
            let port = req.headers()["host"]
                .to_str()
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap()
                .to_owned();
            let mut reply = text(302, "");
            let target = format!("http://shop.example.org:{port}/echo");
            reply
                .headers_mut()
                .insert("location", target.parse().unwrap());
            return reply;
        }
        let cookie = req.headers().get("cookie").cloned();
        text(
            200,
            cookie
                .map(|c| c.to_str().unwrap().to_owned())
                .unwrap_or_default(),
        )
    });
    let port = server.addr().port();
    let jar = CookieJar::new();
    let shop = format!("http://shop.example.org:{port}/");
    jar.add_cookie_str("strict=1; SameSite=Strict", &shop)
        .unwrap();
    jar.add_cookie_str("lax=1; SameSite=Lax", &shop).unwrap();
    let client = Client::<R>::builder()
        .resolver(loopback)
        .cookie_jar(jar)
        .build();
    let direct = get(&client, format!("http://shop.example.org:{port}/echo")).await;
    assert_eq!(
        direct, "strict=1; lax=1",
        "a request the caller made is same-site"
    );
    let same_site = get(&client, format!("http://www.example.org:{port}/go")).await;
    assert_eq!(same_site, "strict=1; lax=1", "a redirect within the site");
    let cross_site = get(&client, format!("http://elsewhere.test:{port}/go")).await;
    assert_eq!(
        cross_site, "lax=1",
        "GET after a cross-site redirect: Lax only"
    );
}

send_runtime_tests!(
    cookie_round_trip_across_requests,
    cookies_set_on_a_redirect_are_sent_on_the_next_hop,
    set_cookie_flood_capped,
    cookie_for_a_public_suffix_refused,
    secure_cookie_not_sent_over_http,
    jar_shared_between_two_clients,
    save_load_round_trip_through_a_file,
    samesite_strict_not_sent_on_a_cross_site_redirect_hop,
);

/// Over real TLS: a Secure cookie set by an https server goes back over https only, never to
/// the same host over plain http.
#[cfg(feature = "rustls")]
mod tls {
    use aioduct::{
        Client,
        runtime::TokioRuntime,
        tls::{Certificate, RustlsConnector},
    };

    use super::{cookie_server, get, setting};
    use crate::support::{Mode, Server, text, tls::pki};

    #[tokio::test]
    async fn secure_cookie_set_over_https_is_not_sent_over_http() {
        let https = Server::start(
            Mode::Tls {
                h2: false,
                http1: true,
            },
            |req| async move {
                if req.uri().path() == "/set" {
                    return setting(&["token=t0p; Secure; Path=/".into()]);
                }
                let cookie = req.headers().get("cookie").cloned();
                text(
                    200,
                    cookie
                        .map(|c| c.to_str().unwrap().to_owned())
                        .unwrap_or_default(),
                )
            },
        );
        let http = cookie_server(|_| Vec::new());
        let ca = Certificate::from_der(pki().ca_der.clone());
        let client = Client::<TokioRuntime>::builder()
            .tls(RustlsConnector::with_extra_roots(&[ca]))
            .cookie_store(true)
            .build();
        get(&client, https.https_url("/set")).await;
        let plain = format!("http://localhost:{}/echo", http.addr().port());
        assert_eq!(
            get(&client, plain).await,
            "",
            "cookies ignore ports, Secure does not"
        );
        assert_eq!(get(&client, https.https_url("/echo")).await, "token=t0p");
    }
}
