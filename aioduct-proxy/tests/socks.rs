//! SOCKS4, SOCKS4a, SOCKS5 and socks5h end to end, against an in-process SOCKS proxy and echo
//! origin on 127.0.0.1.

mod support;

use std::sync::atomic::Ordering;

use aioduct_core::Connector;
use aioduct_proxy::{ProxyConfig, ProxyLayer};
use support::{
    Dial, Origin, SocksOptions, SocksProxy, SocksSeen, counting_resolver, round_trip, run, uri,
};

fn seen(version: u8, host: &str, port: u16) -> SocksSeen {
    SocksSeen {
        version,
        host: host.into(),
        port,
        ..Default::default()
    }
}

#[test]
fn socks4_tunnels_to_127_0_0_1() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions::default());
    let dial = Dial::default();
    let layer = ProxyLayer::new(
        dial.clone(),
        ProxyConfig::socks4(proxy.url("socks4")).unwrap(),
    );

    let mut conn =
        run(layer.connect(uri(&format!("http://127.0.0.1:{}/", origin.port())))).unwrap();
    assert!(conn.info.proxied);
    assert_eq!(conn.info.remote_addr, Some(proxy.addr()));
    assert_eq!(dial.asked(), [format!("{}/", proxy.url("socks4"))]);
    assert_eq!(run(round_trip(&mut conn.io, b"four")).unwrap(), b"four");
    let want = SocksSeen {
        user: Some(String::new()),
        ..seen(4, "127.0.0.1", origin.port())
    };
    assert_eq!(proxy.seen(1), [want]);
}

#[test]
fn socks4_resolves_names_locally_and_sends_the_user_id() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions::default());
    let (resolver, calls) = counting_resolver();
    let config = ProxyConfig::socks4(proxy.url("socks4"))
        .unwrap()
        .basic_auth("bob", "unused");
    let layer = ProxyLayer::new(Dial::default(), config).resolver(resolver);

    let mut conn =
        run(layer.connect(uri(&format!("https://origin.test:{}/", origin.port())))).unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"resolved here")).unwrap(),
        b"resolved here"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let want = SocksSeen {
        user: Some("bob".into()),
        ..seen(4, "127.0.0.1", origin.port())
    };
    assert_eq!(proxy.seen(1), [want]);

    // Without a resolver the name cannot be sent: a clear error, and no connection.
    let dial = Dial::default();
    let no_resolver = ProxyLayer::new(
        dial.clone(),
        ProxyConfig::socks4(proxy.url("socks4")).unwrap(),
    );
    let err = run(no_resolver.connect(uri("https://origin.test/"))).unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert!(err.to_string().contains("socks4a"), "{err}");
    assert!(dial.asked().is_empty());
}

#[test]
fn socks4a_sends_the_name_for_the_proxy_to_resolve() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions::default());
    let (resolver, calls) = counting_resolver();
    let config = ProxyConfig::socks4a(proxy.url("socks4a")).unwrap();
    let layer = ProxyLayer::new(Dial::default(), config).resolver(resolver);

    let mut conn =
        run(layer.connect(uri(&format!("https://origin.test:{}/", origin.port())))).unwrap();
    assert_eq!(run(round_trip(&mut conn.io, b"four-a")).unwrap(), b"four-a");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let want = SocksSeen {
        user: Some(String::new()),
        ..seen(4, "origin.test", origin.port())
    };
    assert_eq!(proxy.seen(1), [want]);
}

#[test]
fn socks4_refusal_is_a_proxy_error() {
    let proxy = SocksProxy::start(SocksOptions::default());
    let layer = ProxyLayer::new(
        Dial::default(),
        ProxyConfig::socks4a(proxy.url("socks4a")).unwrap(),
    );
    let err = run(layer.connect(uri("https://elsewhere.test/"))).unwrap_err();
    assert!(err.is_proxy(), "{err:?}");
    assert!(err.to_string().contains("code 91"), "{err}");
}

#[test]
fn socks5_without_authentication() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions::default());
    let layer = ProxyLayer::new(
        Dial::default(),
        ProxyConfig::socks5(proxy.url("socks5")).unwrap(),
    );

    let mut conn =
        run(layer.connect(uri(&format!("https://127.0.0.1:{}/", origin.port())))).unwrap();
    assert!(conn.info.proxied);
    assert_eq!(conn.info.remote_addr, Some(proxy.addr()));
    let big = vec![42; 64 * 1024];
    assert_eq!(run(round_trip(&mut conn.io, &big)).unwrap(), big);
    let want = SocksSeen {
        methods: vec![0],
        ..seen(5, "127.0.0.1", origin.port())
    };
    assert_eq!(proxy.seen(1), [want]);
}

#[test]
fn socks5_with_a_good_user_and_password() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions {
        require_auth: Some(("user".into(), "pass".into())),
    });
    // The seed README's usage, against a local proxy.
    let config = ProxyConfig::socks5(proxy.url("socks5"))
        .unwrap()
        .basic_auth("user", "pass");
    let layer = ProxyLayer::new(Dial::default(), config);

    let mut conn =
        run(layer.connect(uri(&format!("http://127.0.0.1:{}/", origin.port())))).unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"signed in")).unwrap(),
        b"signed in"
    );
    let record = &proxy.seen(1)[0];
    assert_eq!(record.methods, [0, 2]);
    assert_eq!(record.user.as_deref(), Some("user"));
    assert_eq!(record.password.as_deref(), Some("pass"));
    // The credentials stay in the handshake: the origin sees only the tunnel's bytes.
    assert_eq!(origin.received(), b"signed in");
}

#[test]
fn socks5_with_a_bad_password_or_none_is_refused() {
    let proxy = SocksProxy::start(SocksOptions {
        require_auth: Some(("user".into(), "pass".into())),
    });
    let dst = uri("https://127.0.0.1:9/");

    let config = ProxyConfig::all(format!("socks5://user:wrong@{}", proxy.addr())).unwrap();
    let err = run(ProxyLayer::new(Dial::default(), config).connect(dst.clone())).unwrap_err();
    assert!(err.is_proxy(), "{err:?}");
    assert!(
        err.to_string()
            .contains("rejected the user name or password"),
        "{err}"
    );
    assert_eq!(proxy.seen(1)[0].password.as_deref(), Some("wrong"));

    let config = ProxyConfig::socks5(proxy.url("socks5")).unwrap();
    let err = run(ProxyLayer::new(Dial::default(), config).connect(dst)).unwrap_err();
    assert!(err.is_proxy(), "{err:?}");
    assert!(err.to_string().contains("requires authentication"), "{err}");
}

#[test]
fn socks5_resolves_locally_and_sends_the_address() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions::default());
    let (resolver, calls) = counting_resolver();
    let config = ProxyConfig::socks5(proxy.url("socks5")).unwrap();
    let layer = ProxyLayer::new(Dial::default(), config).resolver(resolver);

    let mut conn =
        run(layer.connect(uri(&format!("https://origin.test:{}/", origin.port())))).unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"local dns")).unwrap(),
        b"local dns"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.seen(1)[0].host, "127.0.0.1");

    // A name the resolver does not know is a DNS error before any connection.
    let dial = Dial::default();
    let (resolver, _) = counting_resolver();
    let layer = ProxyLayer::new(
        dial.clone(),
        ProxyConfig::socks5(proxy.url("socks5")).unwrap(),
    )
    .resolver(resolver);
    let err = run(layer.connect(uri("https://unknown.test/"))).unwrap_err();
    assert!(err.is_dns(), "{err:?}");
    assert!(dial.asked().is_empty());
}

#[test]
fn socks5h_sends_the_name_and_never_resolves_locally() {
    let origin = Origin::start();
    let proxy = SocksProxy::start(SocksOptions::default());
    let (resolver, calls) = counting_resolver();
    let config = ProxyConfig::socks5h(proxy.url("socks5h")).unwrap();
    let layer = ProxyLayer::new(Dial::default(), config).resolver(resolver);

    let mut conn =
        run(layer.connect(uri(&format!("https://origin.test:{}/", origin.port())))).unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"remote dns")).unwrap(),
        b"remote dns"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    assert_eq!(proxy.seen(1)[0].host, "origin.test");
}

#[test]
fn socks5_reports_the_proxy_reply_code() {
    let proxy = SocksProxy::start(SocksOptions::default());
    let layer = ProxyLayer::new(
        Dial::default(),
        ProxyConfig::socks5h(proxy.url("socks5h")).unwrap(),
    );
    let err = run(layer.connect(uri("https://elsewhere.test/"))).unwrap_err();
    assert!(err.is_proxy(), "{err:?}");
    assert!(
        err.to_string().contains("host unreachable (reply code 4)"),
        "{err}"
    );
}

#[test]
fn long_socks5_host_name_is_rejected_before_connecting() {
    let proxy = SocksProxy::start(SocksOptions::default());
    let dial = Dial::default();
    let (resolver, calls) = counting_resolver();
    let layer = ProxyLayer::new(
        dial.clone(),
        ProxyConfig::socks5h(proxy.url("socks5h")).unwrap(),
    )
    .resolver(resolver);

    let label = "a".repeat(60);
    let name = format!("{label}.{label}.{label}.{label}.{label}.test");
    assert!(name.len() > 255);
    let err = run(layer.connect(uri(&format!("https://{name}/")))).unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert!(err.to_string().contains("1 to 255 bytes"), "{err}");
    assert!(dial.asked().is_empty(), "connected: {:?}", dial.asked());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn long_socks5_credentials_are_rejected_before_connecting() {
    let proxy = SocksProxy::start(SocksOptions::default());
    let dial = Dial::default();
    let long = "x".repeat(256);
    for (user, password) in [(long.as_str(), "p"), ("u", long.as_str())] {
        let config = ProxyConfig::socks5h(proxy.url("socks5h"))
            .unwrap()
            .basic_auth(user, password);
        let err = run(ProxyLayer::new(dial.clone(), config).connect(uri("https://origin.test/")))
            .unwrap_err();
        assert!(err.is_builder(), "{err:?}");
    }
    assert!(dial.asked().is_empty());
}
