//! Certificate verification, client certificates and version limits, against an in-process
//! rustls server on 127.0.0.1.

mod support;

use std::error::Error as _;

use aioduct_core::{Connector, Error};
use aioduct_tls::{Certificate, RustlsConnector, TlsVersion};
use support::{Dial, Pki, ServerOptions, TestServer, round_trip, run, uri};

fn trusting_test_ca() -> RustlsConnector {
    RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .build()
        .unwrap()
}

/// The rustls error at the source of a TLS error, as text.
fn rustls_cause(err: &Error) -> String {
    let source = err.source().expect("a TLS error has a source");
    let tls = source
        .downcast_ref::<rustls::Error>()
        .unwrap_or_else(|| panic!("source is not a rustls error: {source:?}"));
    format!("{tls:?}")
}

#[cfg(feature = "webpki-roots")]
#[test]
fn extra_roots_trust_the_test_ca_and_bytes_flow_both_ways() {
    let server = TestServer::start(ServerOptions::new());
    let tls = RustlsConnector::with_extra_roots(&[Pki::get().ca.clone()]);
    let mut conn = run(tls
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert!(conn.io.is_tls());
    assert_eq!(run(round_trip(&mut conn.io, b"ping")).unwrap(), b"ping");
    assert_eq!(
        run(round_trip(&mut conn.io, &[7; 20_000])).unwrap(),
        [7; 20_000]
    );
    assert!(server.next_seen().error.is_none());
}

#[test]
fn a_root_added_from_pem_is_trusted() {
    let server = TestServer::start(ServerOptions::new());
    let roots = Certificate::from_pem_bundle(Pki::get().ca_pem.as_bytes()).unwrap();
    let tls = RustlsConnector::builder()
        .with_extra_roots(&roots)
        .build()
        .unwrap();
    let mut conn = run(tls
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert_eq!(run(round_trip(&mut conn.io, b"hello")).unwrap(), b"hello");
}

#[test]
fn an_untrusted_certificate_fails_with_a_tls_error() {
    let server = TestServer::start(ServerOptions::new().untrusted());
    let err = run(trusting_test_ca()
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(!err.is_connect());
    assert!(rustls_cause(&err).contains("UnknownIssuer"), "{err:?}");
}

#[test]
fn danger_accept_invalid_certs_accepts_the_untrusted_certificate() {
    let server = TestServer::start(ServerOptions::new().untrusted());
    let layer = RustlsConnector::danger_accept_invalid_certs().layer(Dial::to(&server));
    let mut conn = run(layer.connect(uri("https://localhost/"))).unwrap();
    assert_eq!(run(round_trip(&mut conn.io, b"anyway")).unwrap(), b"anyway");
    // The names are still read, for what they are worth.
    assert_eq!(conn.info.peer_names.as_deref().unwrap(), ["localhost"]);

    // Any name goes, too.
    let conn = run(layer.connect(uri("https://not-the-name.test/"))).unwrap();
    assert!(conn.io.is_tls());
}

#[test]
fn danger_accept_invalid_certs_still_checks_handshake_signatures() {
    let server = TestServer::start(ServerOptions::new().impostor());
    let layer = RustlsConnector::danger_accept_invalid_certs().layer(Dial::to(&server));
    let err = run(layer.connect(uri("https://localhost/"))).unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(rustls_cause(&err).contains("BadSignature"), "{err:?}");
}

#[test]
fn a_certificate_for_another_name_fails() {
    let server = TestServer::start(ServerOptions::new());
    let err = run(trusting_test_ca()
        .layer(Dial::to(&server))
        .connect(uri("https://wrong.test/")))
    .unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(rustls_cause(&err).contains("NotValidForName"), "{err:?}");
}

#[test]
fn an_ip_literal_is_verified_against_the_ip_address_entries() {
    let server = TestServer::start(ServerOptions::new());
    let layer = trusting_test_ca().layer(Dial::to(&server));
    let mut conn = run(layer.connect(uri("https://127.0.0.1:8443/"))).unwrap();
    assert_eq!(run(round_trip(&mut conn.io, b"ip")).unwrap(), b"ip");
    // IP addresses are never sent as SNI.
    assert_eq!(server.next_seen().sni, None);

    // An address the certificate does not list fails.
    let err = run(layer.connect(uri("https://127.0.0.2/"))).unwrap_err();
    assert!(err.is_tls(), "{err:?}");
}

#[test]
fn an_invalid_host_name_is_a_builder_error_before_connecting() {
    let server = TestServer::start(ServerOptions::new());
    let dial = Dial::to(&server);
    let made = dial.made.clone();
    let layer = trusting_test_ca().layer(dial);
    let err = run(layer.connect(uri("https://bad_name!/"))).unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert_eq!(made.load(std::sync::atomic::Ordering::SeqCst), 0);

    let err = run(trusting_test_ca().handshake("a..b", futures_lite::io::Cursor::new(Vec::new())))
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
}

#[test]
fn client_auth_fails_without_an_identity_and_succeeds_with_one() {
    let server = TestServer::start(ServerOptions::new().require_client_auth());

    // TLS 1.3 clients finish their side of the handshake before the server checks the client
    // certificate, so the refusal shows on the handshake or on the first read.
    let layer = trusting_test_ca().layer(Dial::to(&server));
    let outcome = run(async {
        let mut conn = layer.connect(uri("https://localhost/")).await?;
        round_trip(&mut conn.io, b"let me in")
            .await
            .map_err(|err| Error::new(aioduct_core::ErrorKind::Tls, Some(err)))
    });
    assert!(outcome.is_err(), "the server let an anonymous client in");
    let seen = server.next_seen();
    assert!(
        seen.error.unwrap().contains("no certificate"),
        "server error"
    );

    // Over TLS 1.2 the server's verdict comes before the handshake ends.
    let tls12 = RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .max_tls_version(TlsVersion::Tls12)
        .build()
        .unwrap();
    let err = run(tls12
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    let _ = server.next_seen();

    let with_identity = RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .identity(Pki::get().client_identity())
        .build()
        .unwrap();
    let mut conn = run(with_identity
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert_eq!(
        run(round_trip(&mut conn.io, b"let me in")).unwrap(),
        b"let me in"
    );
    assert_eq!(server.next_seen().client_certs, 1);
}

#[test]
fn min_tls13_refuses_a_tls12_only_server() {
    let server = TestServer::start(ServerOptions::new().tls12_only());
    let tls13 = RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .min_tls_version(TlsVersion::Tls13)
        .build()
        .unwrap();
    let err = run(tls13
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap_err();
    assert!(err.is_tls(), "{err:?}");

    // The same server is fine with the default range, which speaks TLS 1.2.
    let mut conn = run(trusting_test_ca()
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert_eq!(conn.io.tls_info().unwrap().version, Some(TlsVersion::Tls12));
    assert_eq!(run(round_trip(&mut conn.io, b"1.2")).unwrap(), b"1.2");
}

#[test]
fn max_tls12_negotiates_tls12_and_the_default_negotiates_tls13() {
    let server = TestServer::start(ServerOptions::new());
    let tls12 = RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .max_tls_version(TlsVersion::Tls12)
        .build()
        .unwrap();
    let conn = run(tls12
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert_eq!(conn.io.tls_info().unwrap().version, Some(TlsVersion::Tls12));
    let conn = run(trusting_test_ca()
        .layer(Dial::to(&server))
        .connect(uri("https://localhost/")))
    .unwrap();
    assert_eq!(conn.io.tls_info().unwrap().version, Some(TlsVersion::Tls13));
}

#[test]
fn builder_misuse_is_reported_not_panicked() {
    let err = RustlsConnector::builder().build().unwrap_err();
    assert!(err.is_builder(), "no roots: {err:?}");

    let err = RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .min_tls_version(TlsVersion::Tls13)
        .max_tls_version(TlsVersion::Tls12)
        .build()
        .unwrap_err();
    assert!(err.is_builder(), "min above max: {err:?}");

    let err = RustlsConnector::builder()
        .add_root_certificate(Certificate::from_der(b"not DER".to_vec()))
        .build()
        .unwrap_err();
    assert!(err.is_tls(), "bad root: {err:?}");

    // A key that does not belong to the certificate.
    let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let chain = Pki::get().ca_pem.clone();
    let identity = aioduct_tls::Identity::from_pem(chain.as_bytes(), other.as_bytes()).unwrap();
    let err = RustlsConnector::builder()
        .add_root_certificate(Pki::get().ca.clone())
        .identity(identity)
        .build()
        .unwrap_err();
    assert!(err.is_tls(), "mismatched key: {err:?}");
}
