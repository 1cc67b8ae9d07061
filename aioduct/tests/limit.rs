//! Request-rate and download-speed limits end to end. Only generous lower bounds on time: a
//! limiter must hold requests back, never faster than its rate.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use aioduct::{
    Client, SendRuntime,
    middleware::limit::{BandwidthLimiter, RateLimiter},
};
use support::{Server, text};

fn counting_server() -> (Server, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let count = hits.clone();
    let server = Server::http1(move |_req| {
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        async move { text(200, n.to_string()) }
    });
    (server, hits)
}

async fn rate_limit_holds_requests_back<R: SendRuntime>() {
    let (server, hits) = counting_server();
    // 2 per 200 ms: two at once, then one every 100 ms, so five take at least 300 ms.
    let client = Client::<R>::builder()
        .rate_limit(RateLimiter::new(2, Duration::from_millis(200)))
        .build();
    let started = Instant::now();
    for i in 1..=5 {
        let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
        assert_eq!(resp.text().await.unwrap(), i.to_string());
    }
    let took = started.elapsed();
    assert_eq!(hits.load(Ordering::SeqCst), 5);
    assert!(
        took >= Duration::from_millis(290),
        "five requests in {took:?}"
    );
}

async fn rate_limiter_is_shared_by_clients<R: SendRuntime>() {
    let (server, hits) = counting_server();
    let limiter = RateLimiter::new(1, Duration::from_millis(100)).burst(1);
    let a = Client::<R>::builder().rate_limit(limiter.clone()).build();
    let b = Client::<R>::builder().rate_limit(limiter).build();
    let started = Instant::now();
    for client in [&a, &b, &a, &b] {
        client.get(server.url("/")).unwrap().send().await.unwrap();
    }
    let took = started.elapsed();
    assert_eq!(hits.load(Ordering::SeqCst), 4);
    assert!(
        took >= Duration::from_millis(290),
        "four requests in {took:?}"
    );
}

async fn download_speed_is_limited_and_bytes_intact<R: SendRuntime>() {
    let content: Vec<u8> = (0..256 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    let served = bytes::Bytes::from(content.clone());
    let server = Server::http1(move |_req| {
        let body = served.clone();
        async move { text(200, body) }
    });
    // 256 KiB at 512 KiB/s, with the default burst of a tenth of a second: about 400 ms.
    let client = Client::<R>::builder()
        .max_download_speed(512 * 1024)
        .build();
    let started = Instant::now();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.content_length(), Some(256 * 1024));
    let body = resp.bytes().await.unwrap();
    let took = started.elapsed();
    assert_eq!(body.len(), content.len());
    assert!(body == content, "the body arrived changed");
    assert!(took >= Duration::from_millis(350), "256 KiB in {took:?}");
}

async fn bandwidth_limiter_is_shared_by_requests<R: SendRuntime>() {
    let server = Server::http1(|_req| async { text(200, vec![b'x'; 64 * 1024]) });
    // 256 KiB/s with a 16 KiB burst: four concurrent 64 KiB bodies draw from one bucket and
    // need (256 - 16) / 256 s, about 940 ms, together.
    let client = Client::<R>::builder()
        .bandwidth_limit(BandwidthLimiter::new(256 * 1024).burst(16 * 1024))
        .build();
    let started = Instant::now();
    let requests: Vec<_> = (0..4)
        .map(|_| {
            let client = client.clone();
            let url = server.url("/");
            async move {
                let resp = client.get(url).unwrap().send().await.unwrap();
                resp.bytes().await.unwrap().len()
            }
        })
        .collect();
    let lens = support::join_all(requests).await;
    let took = started.elapsed();
    assert_eq!(lens, [64 * 1024; 4]);
    assert!(took >= Duration::from_millis(850), "4 x 64 KiB in {took:?}");
}

send_runtime_tests!(
    rate_limit_holds_requests_back,
    rate_limiter_is_shared_by_clients,
    download_speed_is_limited_and_bytes_intact,
    bandwidth_limiter_is_shared_by_requests,
);
