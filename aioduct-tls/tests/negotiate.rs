//! What the TLS layer negotiates and reports: ALPN, certificate names, SNI, resumption, timing,
//! plain pass-through and a stalled handshake, against an in-process server on 127.0.0.1.

mod support;

use std::time::Duration;

use aioduct_core::{Alpn, Connector};
use aioduct_tls::{RustlsConnector, TlsInfo};
use support::{Dial, Pki, ServerOptions, TestServer, round_trip, run, uri, within};

fn trusting_test_ca() -> aioduct_tls::TlsConfigBuilder {
    RustlsConnector::builder().add_root_certificate(Pki::get().ca.clone())
}

/// Connects once through the layer and echoes a message; returns the layer's and the server's
/// view of the connection.
fn connect_once(
    tls: &RustlsConnector,
    server: &TestServer,
) -> (aioduct_core::ConnectionInfo, TlsInfo) {
    let mut conn = run(tls
        .layer(Dial::to(server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert_eq!(run(round_trip(&mut conn.io, b"hi")).unwrap(), b"hi");
    let tls_info = conn.io.tls_info().unwrap();
    (conn.info, tls_info)
}

#[test]
fn alpn_agrees_on_h2_when_the_server_offers_it() {
    let server = TestServer::start(ServerOptions::new().alpn(&[b"h2", b"http/1.1"]));
    let (info, tls) = connect_once(&trusting_test_ca().build().unwrap(), &server);
    assert_eq!(info.alpn, Alpn::Http2);
    assert_eq!(tls.alpn, Alpn::Http2);
    assert_eq!(server.next_seen().alpn.as_deref(), Some(&b"h2"[..]));
}

#[test]
fn alpn_falls_back_to_http1_when_the_server_only_speaks_it() {
    let server = TestServer::start(ServerOptions::new().alpn(&[b"http/1.1"]));
    let (info, _) = connect_once(&trusting_test_ca().build().unwrap(), &server);
    assert_eq!(info.alpn, Alpn::Http1);
}

#[test]
fn alpn_is_none_when_the_server_ignores_it() {
    let server = TestServer::start(ServerOptions::new());
    let (info, _) = connect_once(&trusting_test_ca().build().unwrap(), &server);
    assert_eq!(info.alpn, Alpn::None);
}

#[test]
fn alpn_offers_only_what_was_configured() {
    let server = TestServer::start(ServerOptions::new().alpn(&[b"h2", b"http/1.1"]));
    let http1_only = trusting_test_ca().alpn(true, false).build().unwrap();
    assert_eq!(http1_only.alpn_protocols(), [b"http/1.1".to_vec()]);
    let (info, _) = connect_once(&http1_only, &server);
    assert_eq!(info.alpn, Alpn::Http1);

    let (info, _) = connect_once(&http1_only.with_alpn(false, true), &server);
    assert_eq!(info.alpn, Alpn::Http2);

    let none = trusting_test_ca().alpn(false, false).build().unwrap();
    assert!(none.alpn_protocols().is_empty());
    let (info, _) = connect_once(&none, &server);
    assert_eq!(info.alpn, Alpn::None);
}

#[test]
fn connection_info_reports_names_certificate_and_timing() {
    let server = TestServer::start(ServerOptions::new());
    let (info, tls) = connect_once(&trusting_test_ca().build().unwrap(), &server);
    let names = info.peer_names.unwrap();
    assert!(names.contains(&"localhost".to_string()), "{names:?}");
    // IP address entries are not DNS names.
    assert_eq!(&*names, ["localhost"]);
    assert_eq!(tls.peer_names, names);
    assert!(tls.peer_certificate.is_some());
    assert!(info.tls_time.is_some());
    // What the inner connector reported is kept.
    assert_eq!(info.remote_addr, Some(server.addr()));
}

#[test]
fn sni_is_sent_by_default_and_not_when_turned_off() {
    let server = TestServer::start(ServerOptions::new());
    connect_once(&trusting_test_ca().build().unwrap(), &server);
    assert_eq!(server.next_seen().sni.as_deref(), Some("localhost"));

    // Verification still uses the name.
    connect_once(&trusting_test_ca().sni(false).build().unwrap(), &server);
    assert_eq!(server.next_seen().sni, None);
}

#[test]
fn a_second_handshake_to_the_same_server_is_resumed() {
    let server = TestServer::start(ServerOptions::new());
    let tls = trusting_test_ca().build().unwrap();

    // Reading after the handshake (the echo) takes in the server's session tickets.
    let (_, first) = connect_once(&tls, &server);
    assert!(!first.resumed);
    assert!(!server.next_seen().resumed);

    // A clone shares the session cache.
    let (info, second) = connect_once(&tls.clone(), &server);
    assert!(second.resumed);
    assert!(server.next_seen().resumed);
    // A resumed TLS 1.3 session still reports the certificate's names.
    assert_eq!(info.peer_names.as_deref().unwrap(), ["localhost"]);
}

#[test]
fn a_second_handshake_is_full_when_resumption_is_off() {
    let server = TestServer::start(ServerOptions::new());
    let tls = trusting_test_ca().session_cache(0).build().unwrap();
    connect_once(&tls, &server);
    connect_once(&tls, &server);
    assert!(!server.next_seen().resumed);
    assert!(!server.next_seen().resumed);
}

#[test]
fn the_low_level_handshake_works_over_any_stream() {
    let server = TestServer::start(ServerOptions::new().alpn(&[b"h2"]));
    let tls = trusting_test_ca().build().unwrap();
    let (mut stream, info) = run(async {
        let tcp = async_io::Async::<std::net::TcpStream>::connect(server.addr())
            .await
            .unwrap();
        tls.handshake("localhost", tcp).await
    })
    .unwrap();
    assert_eq!(info.alpn, Alpn::Http2);
    assert_eq!(run(round_trip(&mut stream, b"raw")).unwrap(), b"raw");
}

#[test]
fn plain_http_passes_through_untouched() {
    let server = TestServer::start(ServerOptions::new().plain());
    let layer = trusting_test_ca().build().unwrap().layer(Dial::to(&server));
    for dst in ["http://localhost/", "ws://localhost/"] {
        let mut conn = run(layer.connect(uri(dst))).unwrap();
        assert!(!conn.io.is_tls());
        assert!(conn.io.tls_info().is_none());
        assert_eq!(conn.info.alpn, Alpn::None);
        assert!(conn.info.peer_names.is_none());
        assert!(conn.info.tls_time.is_none());
        // The plain echo server gets exactly our bytes: no TLS record around them.
        assert_eq!(
            run(round_trip(&mut conn.io, b"GET / HTTP/1.1\r\n\r\n")).unwrap(),
            b"GET / HTTP/1.1\r\n\r\n"
        );
    }
}

#[test]
fn a_stalled_handshake_stays_pending_without_error_or_panic() {
    let server = TestServer::start(ServerOptions::new().stall());
    let layer = trusting_test_ca().build().unwrap().layer(Dial::to(&server));
    let outcome = run(within(
        Duration::from_millis(300),
        layer.connect(uri("https://localhost/")),
    ));
    assert!(
        outcome.is_none(),
        "the handshake ended: {:?}",
        outcome.map(|r| r.map(|_| ()))
    );
}
