//! The layer over a scripted stream: what it reports, and what it refuses before any I/O.

use std::sync::Mutex;

use futures_lite::future::block_on;

use super::*;
use crate::{NoProxy, io::script::Script};

/// A connector that returns a scripted stream with the connection information of a TLS proxy
/// (ALPN and certificate names), and remembers what it was asked for.
struct Scripted {
    reply: &'static [u8],
    alpn: Alpn,
    asked: Mutex<Vec<Uri>>,
}

impl Scripted {
    fn new(reply: &'static [u8], alpn: Alpn) -> Self {
        Scripted {
            reply,
            alpn,
            asked: Mutex::default(),
        }
    }

    fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

impl Connector for Scripted {
    type Io = Script;

    async fn connect(&self, dst: Uri) -> Result<Connected<Script>, Error> {
        self.asked.lock().unwrap().push(dst);
        let mut connected = Connected::new(Script::new(self.reply));
        connected.info.alpn = self.alpn;
        connected.info.peer_names = Some(Arc::from(vec!["proxy.example".to_owned()]));
        connected.info.remote_addr = Some(([192, 0, 2, 1], 443).into());
        Ok(connected)
    }
}

fn uri(text: &str) -> Uri {
    text.parse().unwrap()
}

#[test]
fn a_tunnel_through_a_tls_proxy_reports_nothing_of_the_proxys_tls() {
    let proxy = ProxyConfig::https("https://proxy.example:443").unwrap();
    let layer = ProxyLayer::new(
        Scripted::new(b"HTTP/1.1 200 OK\r\n\r\n", Alpn::Http1),
        proxy,
    );
    let connected = block_on(layer.connect(uri("https://origin.example/"))).unwrap();
    assert_eq!(layer.inner().asked(), ["https://proxy.example:443/"]);
    assert!(connected.info.proxied);
    assert_eq!(connected.info.alpn, Alpn::None);
    assert!(connected.info.peer_names.is_none());
    assert_eq!(
        connected.info.remote_addr,
        Some(([192, 0, 2, 1], 443).into())
    );
}

#[test]
fn forwarding_through_a_tls_proxy_keeps_its_alpn_but_not_its_names() {
    let proxy = ProxyConfig::https("https://proxy.example:443").unwrap();
    let layer = ProxyLayer::new(Scripted::new(b"", Alpn::Http1), proxy);
    let connected = block_on(layer.connect(uri("http://origin.example/"))).unwrap();
    assert!(connected.info.proxied);
    assert_eq!(connected.info.alpn, Alpn::Http1);
    assert!(connected.info.peer_names.is_none());
    assert!(connected.io.written.is_empty());
}

#[test]
fn a_tls_proxy_that_negotiated_h2_cannot_carry_connect() {
    let proxy = ProxyConfig::https("https://proxy.example:443").unwrap();
    let layer = ProxyLayer::new(
        Scripted::new(b"HTTP/1.1 200 OK\r\n\r\n", Alpn::Http2),
        proxy,
    );
    let err = block_on(layer.connect(uri("https://origin.example/"))).unwrap_err();
    assert!(err.is_proxy());
    assert!(err.to_string().contains("offer only http/1.1"), "{err}");
}

#[test]
fn direct_connections_are_left_alone() {
    let settings = ProxySettings::from(
        ProxyConfig::http("proxy:3128")
            .unwrap()
            .no_proxy(NoProxy::parse("origin.example")),
    );
    let layer = ProxyLayer::new(Scripted::new(b"", Alpn::Http2), settings);
    let connected = block_on(layer.connect(uri("https://origin.example/"))).unwrap();
    assert_eq!(layer.inner().asked(), ["https://origin.example/"]);
    assert!(!connected.info.proxied);
    assert_eq!(connected.info.alpn, Alpn::Http2);
    assert!(connected.info.peer_names.is_some());
}

#[test]
fn what_socks_cannot_carry_is_refused_before_connecting() {
    for (proxy, dst, why) in [
        ("socks4://p:1080", "https://[::1]/", "only IPv4"),
        ("socks4a://p:1080", "https://[2001:db8::1]/", "only IPv4"),
        ("socks5://p:1080", "https://origin.example/", "no resolver"),
        ("socks4://p:1080", "https://origin.example/", "no resolver"),
    ] {
        let layer = ProxyLayer::new(
            Scripted::new(b"", Alpn::None),
            ProxyConfig::all(proxy).unwrap(),
        );
        let err = block_on(layer.connect(uri(dst))).unwrap_err();
        assert!(err.is_builder(), "{proxy} {dst}: {err:?}");
        assert!(err.to_string().contains(why), "{proxy} {dst}: {err}");
        assert!(layer.inner().asked().is_empty(), "{proxy} {dst}");
    }
    let nul_user = ProxyConfig::socks4("p:1080")
        .unwrap()
        .basic_auth("a\0b", "");
    let layer = ProxyLayer::new(Scripted::new(b"", Alpn::None), nul_user);
    assert!(
        block_on(layer.connect(uri("https://127.0.0.1/")))
            .unwrap_err()
            .is_builder()
    );
    assert!(layer.inner().asked().is_empty());
}

#[test]
fn a_socks4_name_with_only_ipv6_addresses_is_a_dns_error() {
    let resolver = |_: Name| async {
        Ok::<_, aioduct_core::BoxError>(Addrs::from(vec![([0u16, 0, 0, 0, 0, 0, 0, 1], 0).into()]))
    };
    let layer = ProxyLayer::new(
        Scripted::new(b"", Alpn::None),
        ProxyConfig::socks4("p:1").unwrap(),
    )
    .resolver(Arc::new(resolver));
    let err = block_on(layer.connect(uri("https://v6only.example/"))).unwrap_err();
    assert!(err.is_dns(), "{err:?}");
    assert!(err.to_string().contains("no IPv4 address"), "{err}");
}

#[test]
fn socks_tunnels_write_only_the_handshake() {
    let proxy = ProxyConfig::socks5h("p:1080").unwrap();
    let reply: &'static [u8] = &[5, 0, 5, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    let layer = ProxyLayer::new(Scripted::new(reply, Alpn::None), proxy);
    let connected = block_on(layer.connect(uri("wss://Origin.Example:8443/chat"))).unwrap();
    assert_eq!(layer.inner().asked(), ["socks5h://p:1080/"]);
    let mut want = vec![5, 1, 0, 5, 1, 0, 3, 14];
    want.extend_from_slice(b"origin.example");
    want.extend_from_slice(&8443u16.to_be_bytes());
    assert_eq!(connected.io.written, want);
}
