//! Requests through proxies: HTTP forwarding, CONNECT tunnels (with TLS inside), SOCKS4/4a/5/5h,
//! NO_PROXY, and pooling that never mixes proxies. The proxies are the in-process test servers of
//! aioduct-proxy, shared rather than written twice.

#![cfg(feature = "proxy")]

mod support;

#[path = "../../aioduct-proxy/tests/support/mod.rs"]
#[allow(dead_code, unreachable_pub, clippy::all)]
mod proxies;

use aioduct::{Client, HttpRuntime, NoProxy, ProxyConfig, ProxySettings};
use proxies::{ConnectProxy, ConnectProxyOptions, SocksOptions, SocksProxy};
use support::{Server, text};

fn origin() -> Server {
    Server::http1(|req| async move {
        let auth = req.headers().contains_key("proxy-authorization");
        text(200, format!("origin saw {} proxy-auth={auth}", req.uri()))
    })
}

async fn plain_http_is_forwarded_in_absolute_form_with_proxy_credentials<R: HttpRuntime>() {
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let config = ProxyConfig::http(proxy.url())
        .unwrap()
        .basic_auth("user", "pass");
    let client = Client::<R>::builder().proxy(config).build();
    let body = client
        .get("http://origin.test:8080/page?q=1")
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "forwarded GET http://origin.test:8080/page?q=1");
    let head = &proxy.heads()[0];
    assert!(
        head.starts_with("GET http://origin.test:8080/page?q=1 HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("proxy-authorization: basic dxnlcjpwyxnz"),
        "{head}"
    );
}

async fn socks_proxies_of_every_kind_reach_the_origin<R: HttpRuntime>() {
    let origin = origin();
    let port = origin.addr().port();
    let socks = SocksProxy::start(SocksOptions {
        require_auth: Some(("user".into(), "pass".into())),
    });
    let url = |host: &str| format!("http://{host}:{port}/s");
    for (config, host) in [
        (
            ProxyConfig::socks5(format!("socks5://{}", socks.addr())).unwrap(),
            "127.0.0.1",
        ),
        (
            ProxyConfig::socks5h(format!("socks5h://{}", socks.addr())).unwrap(),
            "origin.test",
        ),
    ] {
        let client = Client::<R>::builder()
            .proxy(config.basic_auth("user", "pass"))
            .build();
        let body = client
            .get(url(host))
            .unwrap()
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "origin saw /s proxy-auth=false", "via {host}");
    }
    let seen = socks.seen(2);
    assert_eq!(
        seen.last().unwrap().host,
        "origin.test",
        "socks5h sends the name"
    );

    let socks4 = SocksProxy::start(SocksOptions::default());
    for config in [
        ProxyConfig::socks4(format!("socks4://{}", socks4.addr())).unwrap(),
        ProxyConfig::socks4a(format!("socks4a://{}", socks4.addr())).unwrap(),
    ] {
        let client = Client::<R>::builder().proxy(config).build();
        let body = client
            .get(url("127.0.0.1"))
            .unwrap()
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "origin saw /s proxy-auth=false");
    }
}

async fn no_proxy_hosts_go_direct<R: HttpRuntime>() {
    let origin = origin();
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let settings = ProxySettings::new()
        .all(ProxyConfig::http(proxy.url()).unwrap())
        .no_proxy(NoProxy::parse("127.0.0.0/8"));
    let client = Client::<R>::builder().proxies(settings).build();
    let body = client
        .get(origin.url("/direct"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "origin saw /direct proxy-auth=false");
    assert!(proxy.heads().is_empty());
}

async fn a_tunnel_is_pooled_and_reused<R: HttpRuntime>() {
    let origin = origin();
    let port = origin.addr().port();
    let socks = SocksProxy::start(SocksOptions::default());
    let config = ProxyConfig::socks4a(format!("socks4a://{}", socks.addr())).unwrap();
    let client = Client::<R>::builder().proxy(config).build();
    for _ in 0..3 {
        let resp = client
            .get(format!("http://127.0.0.1:{port}/"))
            .unwrap()
            .send()
            .await
            .unwrap();
        resp.bytes().await.unwrap();
    }
    assert_eq!(socks.seen(1).len(), 1, "one tunnel, reused");
    assert_eq!(origin.accepted(), 1);
}

runtime_tests!(
    plain_http_is_forwarded_in_absolute_form_with_proxy_credentials,
    socks_proxies_of_every_kind_reach_the_origin,
    no_proxy_hosts_go_direct,
    a_tunnel_is_pooled_and_reused,
);

/// HTTPS through a CONNECT tunnel needs TLS to the origin.
#[cfg(feature = "rustls")]
mod tls_tunnel {
    use super::*;

    async fn https_goes_through_a_connect_tunnel_without_leaking_credentials<R: HttpRuntime>() {
        let server = Server::start(
            support::Mode::Tls {
                h2: true,
                http1: true,
            },
            |req| async move {
                let leaked = req.headers().contains_key("proxy-authorization");
                text(200, format!("{:?} leaked={leaked}", req.version()))
            },
        );
        let proxy = ConnectProxy::start(ConnectProxyOptions {
            require_auth: Some("Basic dXNlcjpwYXNz".into()),
            ..Default::default()
        });
        let ca = aioduct::tls::Certificate::from_der(support::tls::pki().ca_der.clone());
        let tls = aioduct::tls::RustlsConnector::with_extra_roots(&[ca]);

        let without = Client::<R>::builder()
            .tls(tls.clone())
            .proxy(ProxyConfig::http(proxy.url()).unwrap())
            .build();
        let err = without
            .get(server.https_url("/"))
            .unwrap()
            .send()
            .await
            .unwrap_err();
        assert!(err.is_proxy(), "407 must be a proxy error: {err:?}");

        let client = Client::<R>::builder()
            .tls(tls)
            .proxy(
                ProxyConfig::http(proxy.url())
                    .unwrap()
                    .basic_auth("user", "pass"),
            )
            .build();
        let resp = client
            .get(server.https_url("/"))
            .unwrap()
            .header("proxy-authorization", "Basic c2VjcmV0")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 leaked=false");
        let head = proxy.heads().last().unwrap().clone();
        assert!(
            head.starts_with(&format!(
                "CONNECT localhost:{} HTTP/1.1\r\n",
                server.addr().port()
            )),
            "{head}"
        );
        assert!(
            !head.to_ascii_lowercase().contains("user-agent"),
            "origin headers stay out of CONNECT: {head}"
        );
    }

    async fn an_https_proxy_is_reached_over_tls<R: HttpRuntime>() {
        let server = Server::start(
            support::Mode::Tls {
                h2: true,
                http1: true,
            },
            |req| async move { text(200, format!("{:?} via tls proxy", req.version())) },
        );
        let proxy = ConnectProxy::start(ConnectProxyOptions {
            require_auth: Some("Basic dXNlcjpwYXNz".into()),
            ..Default::default()
        });
        let (front, _stop) = support::tls_front(proxy.addr());
        let ca = aioduct::tls::Certificate::from_der(support::tls::pki().ca_der.clone());
        let client = Client::<R>::builder()
            .tls(aioduct::tls::RustlsConnector::with_extra_roots(&[ca]))
            .proxy(
                ProxyConfig::https(format!("https://localhost:{}", front.port()))
                    .unwrap()
                    .basic_auth("user", "pass"),
            )
            .build();
        // TLS to the proxy, CONNECT inside it, then TLS to the origin inside the tunnel.
        let resp = client
            .get(server.https_url("/"))
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 via tls proxy");
        let head = proxy.heads().last().unwrap().clone();
        assert!(head.starts_with("CONNECT localhost:"), "{head}");
    }

    runtime_tests!(
        https_goes_through_a_connect_tunnel_without_leaking_credentials,
        an_https_proxy_is_reached_over_tls,
    );
}
