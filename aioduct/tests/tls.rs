//! HTTPS end to end: ALPN picks HTTP/2 or HTTP/1.1, trust, pooling, stalled handshakes.
#![cfg(feature = "rustls")]

mod support;

use std::time::Duration;

use aioduct::{
    Client, HttpRuntime, Version,
    tls::{Certificate, RustlsConnector},
};
use support::{Mode, Server, silent_listener, text, tls::pki};

fn trusting_client<R: HttpRuntime>() -> aioduct::ClientBuilder<R> {
    let ca = Certificate::from_der(pki().ca_der.clone());
    Client::<R>::builder().tls(RustlsConnector::with_extra_roots(&[ca]))
}

fn tls_server(h2: bool, http1: bool) -> Server {
    Server::start(Mode::Tls { h2, http1 }, |req| async move {
        text(200, format!("{:?} {}", req.version(), req.uri().path()))
    })
}

async fn alpn_negotiates_h2_when_offered<R: HttpRuntime>() {
    let server = tls_server(true, true);
    let client = trusting_client::<R>().build();
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

async fn alpn_falls_back_to_http1<R: HttpRuntime>() {
    let server = tls_server(false, true);
    let client = trusting_client::<R>().build();
    let resp = client
        .get(server.https_url("/b"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_11);
    assert_eq!(resp.text().await.unwrap(), "HTTP/1.1 /b");
}

async fn http1_only_does_not_offer_h2<R: HttpRuntime>() {
    let server = tls_server(true, true);
    let client = trusting_client::<R>().http1_only().build();
    let resp = client
        .get(server.https_url("/c"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_11);
}

async fn ip_literal_host_is_verified_against_the_ip_san<R: HttpRuntime>() {
    let server = tls_server(true, true);
    let client = trusting_client::<R>().build();
    let url = format!("https://127.0.0.1:{}/ip", server.addr().port());
    let resp = client.get(url).unwrap().send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 /ip");
}

async fn untrusted_certificate_is_a_tls_error<R: HttpRuntime>() {
    let server = tls_server(true, true);
    let client = Client::<R>::with_rustls();
    let err = client
        .get(server.https_url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(err.is_connect() || err.is_tls());

    let client = Client::<R>::builder()
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

async fn burst_to_a_new_h2_origin_shares_one_connection<R: HttpRuntime>() {
    let server = tls_server(true, true);
    let client = trusting_client::<R>().build();
    let requests = (0..50).map(|i| {
        let client = client.clone();
        let url = server.https_url(&format!("/{i}"));
        async move {
            client
                .get(url)
                .unwrap()
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    });
    let bodies = support::join_all(requests.collect()).await;
    for (i, body) in bodies.into_iter().enumerate() {
        assert_eq!(body, format!("HTTP/2.0 /{i}"));
    }
    assert_eq!(server.accepted(), 1);
}

async fn burst_to_an_http1_tls_origin_still_completes<R: HttpRuntime>() {
    let server = tls_server(false, true);
    let client = trusting_client::<R>().build();
    let requests = (0..10).map(|i| {
        let client = client.clone();
        let url = server.https_url(&format!("/{i}"));
        async move {
            client
                .get(url)
                .unwrap()
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    });
    let bodies = support::join_all(requests.collect()).await;
    for (i, body) in bodies.into_iter().enumerate() {
        assert_eq!(body, format!("HTTP/1.1 /{i}"));
    }
    assert!(server.accepted() >= 1 && server.accepted() <= 10);
}

async fn sequential_https_requests_reuse_the_connection<R: HttpRuntime>() {
    for (h2, expected) in [(true, Version::HTTP_2), (false, Version::HTTP_11)] {
        let server = tls_server(h2, true);
        let client = trusting_client::<R>().build();
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

async fn stalled_tls_handshake_is_bounded_by_connect_timeout<R: HttpRuntime>() {
    let (addr, _task) = silent_listener();
    let client = trusting_client::<R>()
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

async fn stalled_tls_handshake_is_bounded_by_total_timeout<R: HttpRuntime>() {
    let (addr, _task) = silent_listener();
    let client = trusting_client::<R>()
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

runtime_tests!(
    alpn_negotiates_h2_when_offered,
    alpn_falls_back_to_http1,
    http1_only_does_not_offer_h2,
    ip_literal_host_is_verified_against_the_ip_san,
    untrusted_certificate_is_a_tls_error,
    burst_to_a_new_h2_origin_shares_one_connection,
    burst_to_an_http1_tls_origin_still_completes,
    sequential_https_requests_reuse_the_connection,
    stalled_tls_handshake_is_bounded_by_connect_timeout,
    stalled_tls_handshake_is_bounded_by_total_timeout,
);
