//! Interop with real third-party peers (../shared/PEERS.md), one module per peer: squid and
//! tinyproxy (HTTP forwarding, CONNECT, Basic proxy auth), dante (SOCKS4, SOCKS5, socks5h),
//! OpenSSH `ssh -D` (SOCKS4a, socks5h), pproxy (SOCKS5 with a password), dnsmasq (A/AAAA for
//! Happy Eyeballs), httpbin (Digest auth, cookies, redirects, gzip/deflate/brotli) and Caddy
//! (zstd). unbound is covered by aioduct-dns's own interop tests.
//!
//! Needs `--features interop` and the peers installed: `cargo xtask interop` installs them and
//! runs these. Each test starts its own peer on 127.0.0.1 and its origin in-process; nothing
//! leaves the machine.

#![cfg(feature = "interop")]

mod support;

#[path = "interop/peers.rs"]
#[allow(dead_code, unreachable_pub)]
mod peers;

#[path = "interop/httpbin.rs"]
mod httpbin;

#[path = "interop/caddy.rs"]
mod caddy;

use std::{
    future::Future,
    net::{IpAddr, SocketAddr},
    time::Duration,
};

use aioduct::{
    Client, ProxyConfig, Response, StatusCode,
    core::{Addrs, BoxError, Name},
    runtime::TokioRuntime,
    tls::{Certificate, RustlsConnector},
};
use peers::{PASSWORD, Peer, USER};
use support::{Mode, Server, text};

type TestClient = Client<TokioRuntime>;

/// A plain HTTP origin that reports what reached it, `Via` included (the proxies add one).
fn origin() -> Server {
    Server::http1(|req| async move {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .map(|value| value.to_str().unwrap_or("?").to_owned())
                .unwrap_or_default()
        };
        let report = format!(
            "{} {} host={} via={}",
            req.method(),
            req.uri(),
            header("host"),
            header("via"),
        );
        text(200, report)
    })
}

/// A TLS origin (h2 and http/1.1) that reports the HTTP version and whether proxy credentials
/// leaked into the tunnel.
fn tls_origin() -> Server {
    Server::start(
        Mode::Tls {
            h2: true,
            http1: true,
        },
        |req| async move {
            let leaked = req.headers().contains_key("proxy-authorization");
            text(200, format!("{:?} leaked={leaked}", req.version()))
        },
    )
}

/// A client trusting the test CA, through `proxy`, never resolving a name itself: with SOCKS4a,
/// socks5h and the HTTP proxies, names are the peer's to resolve.
fn client(proxy: ProxyConfig) -> TestClient {
    let ca = Certificate::from_der(support::tls::pki().ca_der.clone());
    Client::builder()
        .tls(RustlsConnector::with_extra_roots(&[ca]))
        .proxy(proxy)
        .resolver(no_local_dns)
        .timeout(Duration::from_secs(20))
        .build()
}

fn no_local_dns(name: Name) -> impl Future<Output = Result<Addrs, BoxError>> {
    std::future::ready(Err(format!("{name} was resolved locally").into()))
}

/// `GET url` that must succeed; the peer's log tail explains a failure.
async fn get(client: &TestClient, url: &str, peer: &Peer) -> Response {
    client
        .get(url)
        .unwrap()
        .send()
        .await
        .unwrap_or_else(|err| panic!("GET {url}: {err:?}\n{}", peer.log_tail()))
}

/// The body of a `GET url` that must answer 200.
async fn get_text(client: &TestClient, url: &str, peer: &Peer) -> String {
    let resp = get(client, url, peer).await;
    let status = resp.status();
    let body = resp.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "GET {url}: {body}\n{}",
        peer.log_tail()
    );
    body
}

/// `GET url` that must fail as a proxy error; its message.
async fn proxy_error(client: &TestClient, url: &str, peer: &Peer) -> String {
    match client.get(url).unwrap().send().await {
        Ok(resp) => panic!(
            "GET {url} answered {}, expected a proxy error\n{}",
            resp.status(),
            peer.log_tail()
        ),
        Err(err) => {
            assert!(
                err.is_proxy(),
                "GET {url}: not a proxy error: {err:?}\n{}",
                peer.log_tail()
            );
            format!("{err}")
        }
    }
}

fn http_proxy(peer: &Peer) -> ProxyConfig {
    ProxyConfig::http(format!("http://{}", peer.addr)).unwrap()
}

/// Tests shared by squid and tinyproxy.
mod http_proxies {
    use super::*;

    /// Plain http goes to the proxy in absolute form; the proxy fetches it and says so in `Via`.
    pub(crate) async fn forwards_plain_http(peer: &Peer, via: &str) {
        let origin = origin();
        let client = client(http_proxy(peer));
        let body = get_text(&client, &origin.url("/page?q=1"), peer).await;
        assert!(body.starts_with("GET /page?q=1 host="), "{body}");
        assert!(body.contains(&format!("host={}", origin.addr())), "{body}");
        assert!(
            body.contains(via),
            "the origin saw no Via from {via}: {body}"
        );
    }

    /// https goes through a CONNECT tunnel; TLS and ALPN (h2) are end to end.
    pub(crate) async fn tunnels_https(peer: &Peer) {
        let origin = tls_origin();
        let client = client(http_proxy(peer));
        // `localhost`: the proxy resolves it (from /etc/hosts), the client must not.
        let body = get_text(&client, &origin.https_url("/"), peer).await;
        assert_eq!(body, "HTTP/2.0 leaked=false");
        // A second request reuses the tunnel.
        let body = get_text(&client, &origin.https_url("/again"), peer).await;
        assert_eq!(body, "HTTP/2.0 leaked=false");
        assert_eq!(origin.accepted(), 1, "the tunnel was not reused");
    }

    /// Without credentials the proxy answers 407: a response for forwarded http, a proxy error
    /// for CONNECT. Wrong credentials are a proxy error too; the right ones get through.
    pub(crate) async fn basic_auth(peer: &Peer) {
        let origin = origin();
        let tls = tls_origin();

        let anonymous = client(http_proxy(peer));
        let resp = get(&anonymous, &origin.url("/"), peer).await;
        assert_eq!(resp.status(), StatusCode::PROXY_AUTHENTICATION_REQUIRED);
        let challenge = resp.headers()["proxy-authenticate"].to_str().unwrap();
        assert!(challenge.starts_with("Basic"), "{challenge}");
        let message = proxy_error(&anonymous, &tls.https_url("/"), peer).await;
        assert!(message.contains("407"), "{message}");

        let wrong = client(http_proxy(peer).basic_auth(USER, "wrong"));
        proxy_error(&wrong, &tls.https_url("/"), peer).await;

        let authed = client(http_proxy(peer).basic_auth(USER, PASSWORD));
        let body = get_text(&authed, &origin.url("/in"), peer).await;
        assert!(body.starts_with("GET /in "), "{body}");
        let body = get_text(&authed, &tls.https_url("/"), peer).await;
        assert_eq!(body, "HTTP/2.0 leaked=false");
    }
}

mod squid {
    use super::*;

    #[tokio::test]
    async fn forwards_plain_http() {
        let squid = peers::squid(false);
        http_proxies::forwards_plain_http(&squid, "squid").await;
    }

    #[tokio::test]
    async fn tunnels_https_with_connect() {
        let squid = peers::squid(false);
        http_proxies::tunnels_https(&squid).await;
    }

    /// Through squid's `basic_ncsa_auth` helper and an htpasswd file.
    #[tokio::test]
    async fn basic_auth_407_then_200() {
        assert!(
            std::path::Path::new(peers::SQUID_BASIC_AUTH).exists(),
            "squid's helper {} is missing (it ships with the squid package)",
            peers::SQUID_BASIC_AUTH
        );
        let squid = peers::squid(true);
        http_proxies::basic_auth(&squid).await;
    }
}

mod tinyproxy {
    use super::*;

    #[tokio::test]
    async fn forwards_plain_http() {
        let tinyproxy = peers::tinyproxy(false);
        http_proxies::forwards_plain_http(&tinyproxy, "tinyproxy").await;
    }

    #[tokio::test]
    async fn tunnels_https_with_connect() {
        let tinyproxy = peers::tinyproxy(false);
        http_proxies::tunnels_https(&tinyproxy).await;
    }

    /// `BasicAuth user pass`.
    #[tokio::test]
    async fn basic_auth_407_then_200() {
        let tinyproxy = peers::tinyproxy(true);
        http_proxies::basic_auth(&tinyproxy).await;
    }
}

/// A SOCKS proxy URL for `peer`.
fn socks(scheme: &str, peer: &Peer) -> String {
    format!("{scheme}://{}", peer.addr)
}

/// Through a SOCKS proxy with a local address (SOCKS4, SOCKS5): plain http, then https.
async fn socks_to_addresses(config: ProxyConfig, peer: &Peer) {
    let origin = origin();
    let client = client(config);
    let body = get_text(&client, &origin.url("/s"), peer).await;
    assert_eq!(body, format!("GET /s host={} via=", origin.addr()));
    let tls = tls_origin();
    let url = format!("https://127.0.0.1:{}/", tls.addr().port());
    assert_eq!(get_text(&client, &url, peer).await, "HTTP/2.0 leaked=false");
}

/// Through a SOCKS proxy that resolves the name (SOCKS4a, socks5h): `localhost` is sent as a
/// name, and the client's own resolver, which fails every lookup, is never asked.
async fn socks_to_names(config: ProxyConfig, peer: &Peer) {
    let origin = origin();
    let port = origin.addr().port();
    let client = client(config);
    let body = get_text(&client, &format!("http://localhost:{port}/n"), peer).await;
    assert_eq!(body, format!("GET /n host=localhost:{port} via="));
    let tls = tls_origin();
    assert_eq!(
        get_text(&client, &tls.https_url("/"), peer).await,
        "HTTP/2.0 leaked=false"
    );
}

mod dante {
    use super::*;

    #[tokio::test]
    async fn socks4() {
        let dante = peers::dante();
        let config = ProxyConfig::socks4(socks("socks4", &dante)).unwrap();
        socks_to_addresses(config, &dante).await;
    }

    #[tokio::test]
    async fn socks5() {
        let dante = peers::dante();
        let config = ProxyConfig::socks5(socks("socks5", &dante)).unwrap();
        socks_to_addresses(config, &dante).await;
    }

    #[tokio::test]
    async fn socks5h_sends_the_name() {
        let dante = peers::dante();
        let config = ProxyConfig::socks5h(socks("socks5h", &dante)).unwrap();
        socks_to_names(config, &dante).await;
    }

    /// dante 1.4 rejects SOCKS4a requests (reply 91): a clear proxy error, not a hang.
    #[tokio::test]
    async fn socks4a_rejection_is_a_proxy_error() {
        let dante = peers::dante();
        let config = ProxyConfig::socks4a(socks("socks4a", &dante)).unwrap();
        let origin = origin();
        let url = format!("http://localhost:{}/", origin.addr().port());
        let message = proxy_error(&client(config), &url, &dante).await;
        assert!(message.contains("91"), "{message}");
    }
}

mod ssh {
    use super::*;

    /// `ssh -D` is the one SOCKS4a server seen working: the name goes to sshd, which resolves it.
    #[tokio::test]
    async fn socks4a_sends_the_name() {
        let ssh = peers::ssh_socks();
        let config = ProxyConfig::socks4a(socks("socks4a", &ssh)).unwrap();
        socks_to_names(config, &ssh).await;
    }

    #[tokio::test]
    async fn socks5h_sends_the_name() {
        let ssh = peers::ssh_socks();
        let config = ProxyConfig::socks5h(socks("socks5h", &ssh)).unwrap();
        socks_to_names(config, &ssh).await;
    }
}

mod pproxy {
    use super::*;

    #[tokio::test]
    async fn socks5_with_username_and_password() {
        let pproxy = peers::pproxy();
        let config = ProxyConfig::socks5(socks("socks5", &pproxy))
            .unwrap()
            .basic_auth(USER, PASSWORD);
        socks_to_addresses(config, &pproxy).await;
        let config = ProxyConfig::socks5h(socks("socks5h", &pproxy))
            .unwrap()
            .basic_auth(USER, PASSWORD);
        socks_to_names(config, &pproxy).await;
    }

    /// Wrong or missing credentials are proxy errors (pproxy closes the connection).
    #[tokio::test]
    async fn socks5_bad_credentials_are_a_proxy_error() {
        let pproxy = peers::pproxy();
        let origin = origin();
        let url = origin.url("/");
        let wrong = ProxyConfig::socks5(socks("socks5", &pproxy))
            .unwrap()
            .basic_auth(USER, "wrong");
        proxy_error(&client(wrong), &url, &pproxy).await;
        let missing = ProxyConfig::socks5(socks("socks5", &pproxy)).unwrap();
        proxy_error(&client(missing), &url, &pproxy).await;
        // pproxy still serves good credentials afterwards (--auth 0 remembers nothing).
        let good = ProxyConfig::socks5(socks("socks5", &pproxy))
            .unwrap()
            .basic_auth(USER, PASSWORD);
        get_text(&client(good), &url, &pproxy).await;
    }
}

mod dnsmasq {
    use std::time::Instant;

    use aioduct::{
        Resolve,
        dns::{HickoryResolver, LookupStrategy},
    };

    use super::*;

    /// The dual-stack name every test here asks dnsmasq for.
    const DUAL: &str = "dual.test";

    fn start() -> Peer {
        peers::dnsmasq(&[&format!("{DUAL},127.0.0.1,::1")])
    }

    /// Asks dnsmasq for both families, IPv4 first, so the race starts on 127.0.0.1.
    fn resolver(dnsmasq: &Peer) -> HickoryResolver {
        HickoryResolver::builder()
            .timeout(Duration::from_secs(2))
            .attempts(2)
            .cache(false)
            .strategy(LookupStrategy::Ipv4AndIpv6)
            .nameserver(dnsmasq.addr)
    }

    #[tokio::test]
    async fn resolves_a_and_aaaa() {
        let dnsmasq = start();
        let resolver = resolver(&dnsmasq);
        let addrs = resolver
            .resolve(Name::new(DUAL))
            .await
            .unwrap_or_else(|err| panic!("{err:?}\n{}", dnsmasq.log_tail()));
        let ips: Vec<IpAddr> = addrs.into_iter().map(|addr| addr.ip()).collect();
        let expected: Vec<IpAddr> = vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()];
        assert_eq!(ips, expected);
        // --no-resolv --no-hosts: any other name is refused, never forwarded.
        let err = resolver.resolve(Name::new("other.test")).await.unwrap_err();
        assert!(format!("{err:?}").contains("Refused"), "{err:?}");
    }

    /// The origin: an HTTP server on [::1]:P only, answering "from v6".
    fn v6_origin() -> (u16, SocketAddr) {
        let listener = std::net::TcpListener::bind("[::1]:0")
            .expect("IPv6 loopback (::1) is needed for the Happy Eyeballs interop tests");
        let addr = listener.local_addr().unwrap();
        support::raw_http_server(listener, "from v6");
        (addr.port(), addr)
    }

    async fn dual_stack_get(dnsmasq: &Peer, port: u16, delay: Duration) -> (Response, Duration) {
        let client = TestClient::builder()
            .resolver(resolver(dnsmasq))
            .no_proxy()
            .happy_eyeballs_delay(delay)
            .connect_timeout(Duration::from_secs(30))
            .build();
        let started = Instant::now();
        let url = format!("http://{DUAL}:{port}/");
        let resp = get(&client, &url, dnsmasq).await;
        (resp, started.elapsed())
    }

    /// 127.0.0.1:P never answers (a full accept queue), [::1]:P does: the ::1 attempt starts
    /// after the attempt delay and wins long before the connect timeout.
    #[tokio::test]
    async fn happy_eyeballs_wins_on_v6_when_v4_hangs() {
        let dnsmasq = start();
        let (port, v6) = v6_origin();
        let (_hole, _held) = support::black_hole(SocketAddr::from(([127, 0, 0, 1], port)));
        let delay = Duration::from_millis(100);
        let (resp, elapsed) = dual_stack_get(&dnsmasq, port, delay).await;
        assert_eq!(resp.remote_addr(), Some(v6));
        assert_eq!(resp.text().await.unwrap(), "from v6");
        assert!(
            elapsed < delay + Duration::from_secs(2),
            "took {elapsed:?} with a {delay:?} attempt delay"
        );
    }

    /// 127.0.0.1:P refuses: the client moves on to ::1 at once, without waiting for the delay.
    #[tokio::test]
    async fn happy_eyeballs_falls_through_a_refused_v4() {
        let dnsmasq = start();
        let (port, v6) = v6_origin();
        let delay = Duration::from_secs(60);
        let (resp, elapsed) = dual_stack_get(&dnsmasq, port, delay).await;
        assert_eq!(resp.remote_addr(), Some(v6));
        assert_eq!(resp.text().await.unwrap(), "from v6");
        assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    }
}
