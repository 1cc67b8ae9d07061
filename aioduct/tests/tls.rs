//! HTTPS end to end: ALPN picks HTTP/2 or HTTP/1.1, trust, pooling, stalled handshakes.
#![cfg(feature = "rustls")]

mod support;

use std::time::Duration;

use aioduct::{
    Client, Version,
    runtime::TokioRuntime,
    tls::{Certificate, RustlsConnector},
};
use support::{Mode, Server, silent_listener, text, tls::pki};

type TestClient = Client<TokioRuntime>;

fn trusting_client() -> aioduct::ClientBuilder<TokioRuntime> {
    let ca = Certificate::from_der(pki().ca_der.clone());
    TestClient::builder().tls(RustlsConnector::with_extra_roots(&[ca]))
}

fn tls_server(h2: bool, http1: bool) -> Server {
    Server::start(Mode::Tls { h2, http1 }, |req| async move {
        text(200, format!("{:?} {}", req.version(), req.uri().path()))
    })
}

#[tokio::test]
async fn alpn_negotiates_h2_when_offered() {
    let server = tls_server(true, true);
    let client = trusting_client().build();
    let resp = client
        .get(server.https_url("/a"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_2);
    let timings = resp.timings();
    assert!(
        timings.tls.is_some() && timings.connect.is_some(),
        "{timings:?}"
    );
    assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 /a");
}

#[tokio::test]
async fn alpn_falls_back_to_http1() {
    let server = tls_server(false, true);
    let client = trusting_client().build();
    let resp = client
        .get(server.https_url("/b"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_11);
    assert_eq!(resp.text().await.unwrap(), "HTTP/1.1 /b");
}

#[tokio::test]
async fn http1_only_does_not_offer_h2() {
    let server = tls_server(true, true);
    let client = trusting_client().http1_only().build();
    let resp = client
        .get(server.https_url("/c"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_11);
}

#[tokio::test]
async fn ip_literal_host_is_verified_against_the_ip_san() {
    let server = tls_server(true, true);
    let client = trusting_client().build();
    let url = format!("https://127.0.0.1:{}/ip", server.addr().port());
    let resp = client.get(url).unwrap().send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 /ip");
}

#[tokio::test]
async fn untrusted_certificate_is_a_tls_error() {
    let server = tls_server(true, true);
    let client = TestClient::with_rustls();
    let err = client
        .get(server.https_url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(err.is_connect() || err.is_tls());

    let client = TestClient::builder()
        .tls(RustlsConnector::danger_accept_invalid_certs())
        .build();
    let resp = client
        .get(server.https_url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn burst_to_a_new_h2_origin_shares_one_connection() {
    let server = tls_server(true, true);
    let client = trusting_client().build();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = client.clone();
        let url = server.https_url(&format!("/{i}"));
        tasks.push(tokio::spawn(async move {
            client
                .get(url)
                .unwrap()
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), format!("HTTP/2.0 /{i}"));
    }
    assert_eq!(server.accepted(), 1);
}

#[tokio::test]
async fn burst_to_an_http1_tls_origin_still_completes() {
    let server = tls_server(false, true);
    let client = trusting_client().build();
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = client.clone();
        let url = server.https_url(&format!("/{i}"));
        tasks.push(tokio::spawn(async move {
            client
                .get(url)
                .unwrap()
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        assert_eq!(task.await.unwrap(), format!("HTTP/1.1 /{i}"));
    }
    assert!(server.accepted() >= 1 && server.accepted() <= 10);
}

#[tokio::test]
async fn sequential_https_requests_reuse_the_connection() {
    for (h2, expected) in [(true, Version::HTTP_2), (false, Version::HTTP_11)] {
        let server = tls_server(h2, true);
        let client = trusting_client().build();
        for _ in 0..5 {
            let resp = client
                .get(server.https_url("/"))
                .unwrap()
                .send()
                .await
                .unwrap();
            assert_eq!(resp.version(), expected);
            resp.bytes().await.unwrap();
        }
        assert_eq!(server.accepted(), 1, "h2 offered: {h2}");
    }
}

#[tokio::test]
async fn stalled_tls_handshake_is_bounded_by_connect_timeout() {
    let (addr, _task) = silent_listener();
    let client = trusting_client()
        .connect_timeout(Duration::from_millis(200))
        .build();
    let started = std::time::Instant::now();
    let err = client
        .get(format!("https://localhost:{}/", addr.port()))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn stalled_tls_handshake_is_bounded_by_total_timeout() {
    let (addr, _task) = silent_listener();
    let client = trusting_client()
        .timeout(Duration::from_millis(200))
        .build();
    let err = client
        .get(format!("https://localhost:{}/", addr.port()))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}
