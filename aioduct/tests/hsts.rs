//! HSTS end to end: learning from https responses, upgrading http URLs (redirect hops and
//! pooled connections included), ignoring STS over http, max-age=0, trailing-dot hosts.
#![cfg(all(feature = "rustls", feature = "hsts"))]

mod support;

use std::net::SocketAddr;

use aioduct::{
    Client, SendRuntime,
    core::{Addrs, BoxError, Name},
    middleware::hsts::HstsStore,
    tls::{Certificate, RustlsConnector},
};
use support::{Mode, Server, text, tls::pki};

/// Every name resolves to 127.0.0.1: `localhost.` and friends never reach a DNS server.
async fn loopback(_name: Name) -> Result<Addrs, BoxError> {
    Ok(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 1], 0))]))
}

fn client<R: SendRuntime>(store: &HstsStore) -> Client<R> {
    let ca = Certificate::from_der(pki().ca_der.clone());
    Client::<R>::builder()
        .no_proxy()
        .resolver(loopback)
        .tls(RustlsConnector::with_extra_roots(&[ca]))
        .hsts(store.clone())
        .build()
}

/// A server answering `<sts value from the query>` in Strict-Transport-Security (none without
/// a query), `/to/<location>` with a redirect, and the path otherwise. Over TLS only (it cannot
/// answer plain http), or plain http.
fn sts_server(mode: Mode) -> Server {
    Server::start(mode, |req| async move {
        let path = req.uri().path().to_owned();
        let mut reply = match path.strip_prefix("/to/") {
            Some(location) => {
                let mut reply = text(302, "");
                reply
                    .headers_mut()
                    .insert("location", location.parse().unwrap());
                reply
            }
            None => text(200, format!("{:?} {path}", req.version())),
        };
        if let Some(query) = req.uri().query() {
            let value = query.replace("%20", " ");
            reply
                .headers_mut()
                .insert("strict-transport-security", value.parse().unwrap());
        }
        reply
    })
}

fn tls() -> Mode {
    Mode::Tls {
        h2: false,
        http1: true,
    }
}

async fn get<R: SendRuntime>(client: &Client<R>, url: String) -> (String, String) {
    let resp = client.get(url).unwrap().send().await.unwrap();
    let url = resp.url().to_string();
    (url, resp.text().await.unwrap())
}

/// A host learnt from an https response is then reached over https for an http URL, on the
/// same (pooled) connection: the server speaks only TLS, so an answer proves the upgrade.
async fn http_url_upgraded_for_host_learnt_over_https<R: SendRuntime>() {
    let server = sts_server(tls());
    let port = server.addr().port();
    let store = HstsStore::new();
    let client = client::<R>(&store);
    assert!(!store.contains("localhost"));
    get(&client, server.https_url("/learn?max-age=600")).await;
    assert!(store.contains("localhost"));

    let (url, body) = get(&client, format!("http://localhost:{port}/again")).await;
    assert_eq!(url, format!("https://localhost:{port}/again"));
    assert_eq!(body, "HTTP/1.1 /again");
    assert_eq!(
        server.accepted(),
        1,
        "the pooled TLS connection served the upgrade"
    );
}

/// HSTS via trailing-dot host: a policy recorded for `localhost` applies to `localhost.`.
async fn hsts_via_trailing_dot_host<R: SendRuntime>() {
    let server = sts_server(tls());
    let port = server.addr().port();
    let store = HstsStore::new();
    let client = client::<R>(&store);
    get(&client, server.https_url("/learn?max-age=600")).await;
    assert!(store.contains("localhost."));
    let (url, body) = get(&client, format!("http://localhost.:{port}/dot")).await;
    assert_eq!(url, format!("https://localhost.:{port}/dot"));
    assert_eq!(body, "HTTP/1.1 /dot");
}

/// STS sent over plain http is ignored: the next request stays on http.
async fn sts_over_http_is_ignored<R: SendRuntime>() {
    let server = sts_server(Mode::Http1);
    let port = server.addr().port();
    let store = HstsStore::new();
    let client = client::<R>(&store);
    let url = format!("http://localhost:{port}/plain?max-age=600;%20includeSubDomains");
    get(&client, url).await;
    assert!(!store.contains("localhost"));
    let (url, body) = get(&client, format!("http://localhost:{port}/still-plain")).await;
    assert_eq!(url, format!("http://localhost:{port}/still-plain"));
    assert_eq!(body, "HTTP/1.1 /still-plain");
}

async fn max_age_zero_removes_the_host<R: SendRuntime>() {
    let server = sts_server(tls());
    let store = HstsStore::new();
    let client = client::<R>(&store);
    get(&client, server.https_url("/learn?max-age=600")).await;
    assert!(store.contains("localhost"));
    get(&client, server.https_url("/forget?max-age=0")).await;
    assert!(!store.contains("localhost"));
}

/// A redirect hop to a known host is upgraded too: the middleware sits inside the redirects.
async fn redirect_hop_to_preloaded_host_is_upgraded<R: SendRuntime>() {
    let tls_server = sts_server(tls());
    let plain = sts_server(Mode::Http1);
    let store = HstsStore::new();
    assert!(store.preload("localhost", false));
    let client = client::<R>(&store);
    let target = format!("http://localhost:{}/landed", tls_server.addr().port());
    // The first URL is an IP address: never upgraded.
    let (url, body) = get(&client, plain.url(&format!("/to/{target}"))).await;
    assert_eq!(url, target.replace("http://", "https://"));
    assert_eq!(body, "HTTP/1.1 /landed");
    assert_eq!(plain.accepted(), 1);
}

send_runtime_tests!(
    http_url_upgraded_for_host_learnt_over_https,
    hsts_via_trailing_dot_host,
    sts_over_http_is_ignored,
    max_age_zero_removes_the_host,
    redirect_hop_to_preloaded_host_is_upgraded,
);
