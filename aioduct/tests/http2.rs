//! HTTP/2 over cleartext (prior knowledge): multiplexing on one connection, settings, versions.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use aioduct::{Client, Http2Config, HttpRuntime, StatusCode, Version};
use support::{Server, read_body, text};

fn version_server(max_streams: u32) -> Server {
    Server::h2c(max_streams, |req| async move {
        let version = format!("{:?}", req.version());
        let (_, body) = read_body(req).await;
        text(200, format!("{version} {}", body.len()))
    })
}

async fn prior_knowledge_speaks_h2_to_http_urls<R: HttpRuntime>() {
    let server = version_server(100);
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    let resp = client
        .post(server.url("/"))
        .unwrap()
        .body(vec![7u8; 100_000])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_2);
    assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 100000");
}

async fn per_request_version_selects_h2c<R: HttpRuntime>() {
    let server = version_server(100);
    let client = Client::<R>::new();
    let resp = client
        .get(server.url("/"))
        .unwrap()
        .version(Version::HTTP_2)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), Version::HTTP_2);
    assert_eq!(resp.status(), StatusCode::OK);
}

async fn hundred_concurrent_requests_share_one_connection_with_one_stream_allowed<
    R: HttpRuntime,
>() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (now, max) = (in_flight.clone(), peak.clone());
    let server = Server::h2c(1, move |req| {
        let (now, max) = (now.clone(), max.clone());
        async move {
            let current = now.fetch_add(1, Ordering::SeqCst) + 1;
            max.fetch_max(current, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1)).await;
            now.fetch_sub(1, Ordering::SeqCst);
            text(200, req.uri().path().to_owned())
        }
    });
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    let requests = (0..100).map(|i| {
        let client = client.clone();
        let url = server.url(&format!("/{i}"));
        async move {
            let resp = client.get(url).unwrap().send().await.unwrap();
            assert_eq!(resp.version(), Version::HTTP_2);
            resp.text().await.unwrap()
        }
    });
    let bodies = support::join_all(requests.collect()).await;
    for (i, body) in bodies.into_iter().enumerate() {
        assert_eq!(body, format!("/{i}"));
    }
    assert_eq!(
        server.accepted(),
        1,
        "all requests must share one connection"
    );
    assert_eq!(
        peak.load(Ordering::SeqCst),
        1,
        "the server's stream limit holds"
    );
}

async fn sequential_h2_requests_reuse_the_connection<R: HttpRuntime>() {
    let server = version_server(100);
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    for _ in 0..10 {
        let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
        resp.bytes().await.unwrap();
    }
    assert_eq!(server.accepted(), 1);
}

async fn large_h2_download_is_not_throttled_into_a_stall<R: HttpRuntime>() {
    const SIZE: usize = 16 * 1024 * 1024;
    let server = Server::h2c(100, |_req| async { text(200, vec![0x5a_u8; SIZE]) });
    let client = Client::<R>::builder()
        .http2_prior_knowledge()
        .http2(
            Http2Config::new()
                .initial_stream_window_size(4 * 1024 * 1024)
                .initial_connection_window_size(8 * 1024 * 1024)
                .max_frame_size(64 * 1024)
                .keep_alive_interval(Duration::from_secs(20))
                .keep_alive_while_idle(true),
        )
        .build();
    let body = client
        .get(server.url("/big"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), SIZE);
    assert!(body.iter().all(|&b| b == 0x5a));
}

async fn keepalive_pings_keep_an_idle_connection_usable<R: HttpRuntime>() {
    let server = version_server(100);
    let client = Client::<R>::builder()
        .http2_prior_knowledge()
        .http2(
            Http2Config::new()
                .keep_alive_interval(Duration::from_millis(50))
                .keep_alive_timeout(Duration::from_secs(5))
                .keep_alive_while_idle(true)
                .adaptive_window(true),
        )
        .build();
    client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    R::sleep(Duration::from_millis(300)).await;
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.text().await.unwrap(), "HTTP/2.0 0");
    assert_eq!(server.accepted(), 1);
}

async fn http1_only_server_fails_clearly_under_prior_knowledge<R: HttpRuntime>() {
    let server = Server::http1(|_req| async { text(200, "h1") });
    let client = Client::<R>::builder()
        .http2_prior_knowledge()
        .timeout(Duration::from_secs(5))
        .build();
    let err = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "must fail fast, not hang: {err:?}");
    assert!(err.is_connect() || err.is_request(), "{err:?}");
}

runtime_tests!(
    prior_knowledge_speaks_h2_to_http_urls,
    per_request_version_selects_h2c,
    hundred_concurrent_requests_share_one_connection_with_one_stream_allowed,
    sequential_h2_requests_reuse_the_connection,
    large_h2_download_is_not_throttled_into_a_stall,
    keepalive_pings_keep_an_idle_connection_usable,
    http1_only_server_fails_clearly_under_prior_knowledge,
);
