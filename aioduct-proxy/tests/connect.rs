//! HTTP proxies end to end: CONNECT tunnels, Basic proxy authentication, forwarding, NO_PROXY,
//! against an in-process proxy and echo origin on 127.0.0.1.

mod support;

use aioduct_core::Connector;
use aioduct_proxy::{NoProxy, ProxyConfig, ProxyLayer, ProxySettings};
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use support::{ConnectProxy, ConnectProxyOptions, Dial, Origin, round_trip, run, uri};

fn http_proxy(proxy: &ConnectProxy) -> ProxyConfig {
    ProxyConfig::http(proxy.url()).unwrap()
}

#[test]
fn connect_tunnel_moves_bytes_both_ways() {
    let origin = Origin::start();
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let dial = Dial::default();
    let layer = ProxyLayer::new(dial.clone(), http_proxy(&proxy));

    let dst = uri(&format!("https://origin.test:{}/", origin.port()));
    let mut conn = run(layer.connect(dst)).unwrap();
    assert!(conn.info.proxied);
    assert_eq!(conn.info.remote_addr, Some(proxy.addr()));
    assert_eq!(dial.asked(), [format!("{}/", proxy.url())]);

    assert_eq!(run(round_trip(&mut conn.io, b"ping")).unwrap(), b"ping");
    let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    assert_eq!(run(round_trip(&mut conn.io, &big)).unwrap(), big);
    assert_eq!(
        proxy.heads(),
        [format!(
            "CONNECT origin.test:{0} HTTP/1.1\r\nHost: origin.test:{0}\r\n\r\n",
            origin.port()
        )]
    );
}

#[test]
fn connect_with_basic_auth_gets_407_without_and_a_tunnel_with() {
    let origin = Origin::start();
    let proxy = ConnectProxy::start(ConnectProxyOptions {
        require_auth: Some("Basic dXNlcjpwYXNz".into()),
        ..Default::default()
    });
    let dst = uri(&format!("https://origin.test:{}/", origin.port()));

    let without = ProxyLayer::new(Dial::default(), http_proxy(&proxy));
    let err = run(without.connect(dst.clone())).unwrap_err();
    assert!(err.is_proxy(), "{err:?}");
    assert!(err.to_string().contains("407"), "{err}");
    assert!(err.to_string().contains("requires authentication"), "{err}");
    assert!(err.to_string().contains("Basic realm"), "{err}");

    let wrong = ProxyLayer::new(
        Dial::default(),
        http_proxy(&proxy).basic_auth("user", "nope"),
    );
    let err = run(wrong.connect(dst.clone())).unwrap_err();
    assert!(err.is_proxy());
    assert!(err.to_string().contains("refused the credentials"), "{err}");

    let right = ProxyLayer::new(
        Dial::default(),
        http_proxy(&proxy).basic_auth("user", "pass"),
    );
    let mut conn = run(right.connect(dst.clone())).unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"authorised")).unwrap(),
        b"authorised"
    );

    // Credentials in the URL work the same.
    let url = format!("http://user:pass@{}", proxy.addr());
    let from_url = ProxyLayer::new(Dial::default(), ProxyConfig::all(url).unwrap());
    let mut conn = run(from_url.connect(dst)).unwrap();
    assert_eq!(run(round_trip(&mut conn.io, b"again")).unwrap(), b"again");
}

#[test]
fn connect_carries_no_origin_headers_and_credentials_never_enter_the_tunnel() {
    let origin = Origin::start();
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let config = http_proxy(&proxy).basic_auth("proxyuser", "proxysecret");
    let layer = ProxyLayer::new(Dial::default(), config);

    let dst = uri(&format!(
        "https://origin.test:{}/private?token=abc",
        origin.port()
    ));
    assert!(layer.forward_auth(&dst).is_none());
    let mut conn = run(layer.connect(dst)).unwrap();
    let request = b"GET /private?token=abc HTTP/1.1\r\nHost: origin.test\r\n\
                    Authorization: Bearer origin-secret\r\nCookie: session=1\r\n\r\n";
    assert_eq!(run(round_trip(&mut conn.io, request)).unwrap(), request);

    // The proxy saw exactly the CONNECT line, Host and Proxy-Authorization.
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    let lines: Vec<&str> = heads[0].lines().collect();
    assert_eq!(
        lines,
        [
            format!("CONNECT origin.test:{} HTTP/1.1", origin.port()).as_str(),
            format!("Host: origin.test:{}", origin.port()).as_str(),
            "Proxy-Authorization: Basic cHJveHl1c2VyOnByb3h5c2VjcmV0",
            "",
        ]
    );
    for secret in ["origin-secret", "session=1", "token=abc", "/private"] {
        assert!(!heads[0].contains(secret), "{secret} reached the proxy");
    }
    // The origin saw only what the tunnel's user wrote.
    let received = String::from_utf8(origin.received()).unwrap();
    assert_eq!(received.as_bytes(), request);
    assert!(
        !received
            .to_ascii_lowercase()
            .contains("proxy-authorization")
    );
    assert!(!received.contains("cHJveHl1c2VyOnByb3h5c2VjcmV0"));
}

#[test]
fn bytes_sent_right_after_the_connect_reply_reach_the_tunnel() {
    let origin = Origin::start();
    let proxy = ConnectProxy::start(ConnectProxyOptions {
        extra_after_head: b"early bytes from the origin".to_vec(),
        ..Default::default()
    });
    let layer = ProxyLayer::new(Dial::default(), http_proxy(&proxy));
    let dst = uri(&format!("https://origin.test:{}/", origin.port()));
    let mut conn = run(layer.connect(dst)).unwrap();

    let mut early = [0; 27];
    run(conn.io.read_exact(&mut early)).unwrap();
    assert_eq!(&early, b"early bytes from the origin");
    assert_eq!(run(round_trip(&mut conn.io, b"after")).unwrap(), b"after");
}

#[test]
fn plain_http_is_forwarded_to_the_proxy_without_a_tunnel() {
    let proxy = ConnectProxy::start(ConnectProxyOptions {
        require_auth: Some("Basic dTpw".into()),
        ..Default::default()
    });
    let dial = Dial::default();
    let layer = ProxyLayer::new(dial.clone(), http_proxy(&proxy).basic_auth("u", "p"));
    let dst = uri("http://origin.test/page");
    assert!(layer.is_forwarded(&dst));
    let auth = layer.forward_auth(&dst).unwrap();
    assert!(auth.is_sensitive());

    let mut conn = run(layer.connect(dst)).unwrap();
    assert!(conn.info.proxied);
    assert_eq!(conn.info.remote_addr, Some(proxy.addr()));
    assert_eq!(dial.asked(), [format!("{}/", proxy.url())]);
    // What the facade does: absolute form plus Proxy-Authorization.
    let request = format!(
        "GET http://origin.test/page HTTP/1.1\r\nHost: origin.test\r\n\
         Proxy-Authorization: {}\r\n\r\n",
        auth.to_str().unwrap()
    );
    let response = run(async {
        conn.io.write_all(request.as_bytes()).await?;
        let mut response = String::new();
        conn.io.read_to_string(&mut response).await?;
        std::io::Result::Ok(response)
    })
    .unwrap();
    assert!(
        response.ends_with("forwarded GET http://origin.test/page"),
        "{response}"
    );
    assert!(proxy.heads()[0].starts_with("GET http://origin.test/page HTTP/1.1\r\n"));
}

#[test]
fn tunnel_always_uses_connect_for_plain_http() {
    let origin = Origin::start();
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let layer = ProxyLayer::new(Dial::default(), http_proxy(&proxy).tunnel_always());
    let dst = uri(&format!("http://127.0.0.1:{}/", origin.port()));
    assert!(!layer.is_forwarded(&dst));
    assert!(layer.forward_auth(&dst).is_none());
    let mut conn = run(layer.connect(dst)).unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"tunnelled")).unwrap(),
        b"tunnelled"
    );
    assert!(proxy.heads()[0].starts_with(&format!("CONNECT 127.0.0.1:{} ", origin.port())));
}

#[test]
fn no_proxy_bypass_goes_direct() {
    let origin = Origin::start();
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let settings = ProxySettings::new()
        .all(http_proxy(&proxy))
        .no_proxy(NoProxy::parse("example.test, 127.0.0.0/8"));
    let dial = Dial::default();
    let layer = ProxyLayer::new(dial.clone(), settings);

    let dst = uri(&format!("https://127.0.0.1:{}/", origin.port()));
    let mut conn = run(layer.connect(dst.clone())).unwrap();
    assert!(!conn.info.proxied);
    assert_eq!(conn.info.remote_addr, Some(origin.addr()));
    assert_eq!(run(round_trip(&mut conn.io, b"direct")).unwrap(), b"direct");
    assert_eq!(dial.asked(), [dst.to_string()]);
    assert!(proxy.heads().is_empty());
}

#[test]
fn a_refused_tunnel_is_a_proxy_error() {
    let proxy = ConnectProxy::start(ConnectProxyOptions::default());
    let layer = ProxyLayer::new(Dial::default(), http_proxy(&proxy));
    // The test proxy refuses destinations off the machine.
    let err = run(layer.connect(uri("https://elsewhere.test/"))).unwrap_err();
    assert!(err.is_proxy(), "{err:?}");
    assert!(err.to_string().contains("403 Forbidden"), "{err}");
    assert_eq!(
        proxy.heads()[0].lines().next().unwrap(),
        "CONNECT elsewhere.test:443 HTTP/1.1"
    );
}

#[test]
fn an_unreachable_proxy_is_a_connect_error() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let config = ProxyConfig::http(format!("http://{closed}")).unwrap();
    let layer = ProxyLayer::new(Dial::default(), config);
    let err = run(layer.connect(uri("https://origin.test/"))).unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(!err.is_proxy());
}

#[test]
fn the_layer_is_send_and_sync_and_so_is_its_connect_future() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<ProxyLayer<Dial>>();
    let layer = ProxyLayer::new(Dial::default(), ProxySettings::new());
    assert_send(&layer.connect(uri("http://127.0.0.1:1/")));
}
