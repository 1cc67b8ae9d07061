//! Connect, read and total timeouts against servers that stall.

mod support;

use std::time::Duration;

use aioduct::{Client, HttpRuntime};
use support::{Server, drip, silent_listener, text};

async fn connect_timeout_bounds_a_connect_that_never_completes<R: HttpRuntime>() {
    let (addr, _held) = support::black_hole("127.0.0.1:0".parse().unwrap());
    let client = Client::<R>::builder()
        .connect_timeout(Duration::from_millis(200))
        .build();
    let started = std::time::Instant::now();
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn total_timeout_bounds_waiting_for_the_head<R: HttpRuntime>() {
    let (addr, _task) = silent_listener();
    let client = Client::<R>::builder()
        .timeout(Duration::from_millis(200))
        .build();
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(
        err.url().map(|u| u.to_string()),
        Some(format!("http://{addr}/"))
    );
}

async fn per_request_timeout_overrides_the_client<R: HttpRuntime>() {
    let (addr, _task) = silent_listener();
    let client = Client::<R>::builder()
        .timeout(Duration::from_secs(60))
        .build();
    let started = std::time::Instant::now();
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .timeout(Duration::from_millis(150))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

async fn total_timeout_covers_reading_the_body<R: HttpRuntime>() {
    // Each chunk comes quickly enough for a read timeout, but the whole body is too slow.
    let server = Server::http1(|_req| async {
        drip(
            vec!["a", "b", "c", "d", "e", "f", "g", "h"],
            Duration::from_millis(60),
        )
    });
    let client = Client::<R>::builder()
        .timeout(Duration::from_millis(250))
        .read_timeout(Duration::from_secs(5))
        .build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

async fn read_timeout_fires_when_the_body_stalls<R: HttpRuntime>() {
    let server =
        Server::http1(|_req| async { drip(vec!["first", "late"], Duration::from_millis(400)) });
    let client = Client::<R>::builder()
        .read_timeout(Duration::from_millis(100))
        .build();
    let mut resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    let err = resp.chunk().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

async fn read_timeout_allows_a_slow_but_steady_body<R: HttpRuntime>() {
    let server =
        Server::http1(|_req| async { drip(vec!["a", "b", "c", "d"], Duration::from_millis(40)) });
    let client = Client::<R>::builder()
        .read_timeout(Duration::from_millis(300))
        .build();
    let body = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "abcd");
}

async fn a_timed_out_connection_is_not_reused<R: HttpRuntime>() {
    let server = Server::http1(|req| async move {
        if req.uri().path() == "/slow" {
            drip(vec!["x", "y"], Duration::from_millis(300))
        } else {
            text(200, "fast")
        }
    });
    let client = Client::<R>::builder()
        .read_timeout(Duration::from_millis(100))
        .build();
    let resp = client
        .get(server.url("/slow"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert!(resp.bytes().await.unwrap_err().is_timeout());
    let body = client
        .get(server.url("/fast"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "fast");
    assert_eq!(
        server.accepted(),
        2,
        "the broken connection must be replaced"
    );
}

runtime_tests!(
    connect_timeout_bounds_a_connect_that_never_completes,
    total_timeout_bounds_waiting_for_the_head,
    per_request_timeout_overrides_the_client,
    total_timeout_covers_reading_the_body,
    read_timeout_fires_when_the_body_stalls,
    read_timeout_allows_a_slow_but_steady_body,
    a_timed_out_connection_is_not_reused,
);
