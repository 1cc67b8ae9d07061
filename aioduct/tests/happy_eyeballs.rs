//! Happy Eyeballs (RFC 8305) against addresses on this machine that hang, refuse or answer.

mod support;

use std::{
    net::{SocketAddr, TcpListener},
    time::{Duration, Instant},
};

use aioduct::{
    Client, HttpRuntime,
    core::{Addrs, BoxError, Name},
};

/// A resolver that answers `addrs` for every name, in this order.
fn fixed(addrs: Vec<SocketAddr>) -> impl Fn(Name) -> std::future::Ready<Result<Addrs, BoxError>> {
    move |_name| std::future::ready(Ok(addrs.iter().copied().collect()))
}

/// A server on [::1]:P, and P. Skips nothing: a machine without IPv6 loopback fails loudly.
fn v6_server() -> (u16, TcpListener) {
    let listener = TcpListener::bind("[::1]:0").expect("IPv6 loopback is needed for this test");
    (listener.local_addr().unwrap().port(), listener)
}

/// A server on [::1]:P whose port P is free on 127.0.0.1 too (another process may hold it there:
/// then another P is tried).
fn v6_server_free_on_v4(mut on_v4: impl FnMut(u16) -> bool) -> (u16, TcpListener) {
    for _ in 0..50 {
        let (port, listener) = v6_server();
        if on_v4(port) {
            return (port, listener);
        }
    }
    panic!("no loopback port free on both ::1 and 127.0.0.1");
}

async fn a_hanging_first_address_loses_to_the_next_after_the_attempt_delay<R: HttpRuntime>() {
    let mut hole = None;
    let (port, listener) = v6_server_free_on_v4(|port| {
        // 127.0.0.1:P never answers (its accept queue is full).
        hole = support::try_black_hole(format!("127.0.0.1:{port}").parse().unwrap()).ok();
        hole.is_some()
    });
    let (hole, _held) = hole.expect("bound");
    support::raw_http_server(listener, "from v6");
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();

    let client = Client::<R>::builder()
        .resolver(fixed(vec![hole, v6]))
        .connect_timeout(Duration::from_secs(30))
        .happy_eyeballs_delay(Duration::from_millis(100))
        .build();
    let started = Instant::now();
    let resp = client
        .get(format!("http://dual.test:{port}/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    // Without racing, the hanging address would hold the request for the 30 s connect timeout.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(resp.remote_addr(), Some(v6));
    assert_eq!(resp.text().await.unwrap(), "from v6");
}

async fn a_refusing_first_address_falls_through_at_once<R: HttpRuntime>() {
    let (port, listener) =
        v6_server_free_on_v4(|port| TcpListener::bind(("127.0.0.1", port)).is_ok());
    support::raw_http_server(listener, "second");
    let refused: SocketAddr = {
        // Nothing listens on 127.0.0.1:P once this is dropped (P is taken on ::1 only).
        format!("127.0.0.1:{port}").parse().unwrap()
    };
    let v6: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let client = Client::<R>::builder()
        .resolver(fixed(vec![refused, v6]))
        .happy_eyeballs_delay(Duration::from_secs(60))
        .timeout(Duration::from_secs(20))
        .build();
    // The delay is a minute: only an immediate fall-through after the refusal can succeed in time.
    let resp = client
        .get(format!("http://dual.test:{port}/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "second");
}

async fn every_failed_address_is_reported<R: HttpRuntime>() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let a: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let b: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let client = Client::<R>::builder().resolver(fixed(vec![a, b])).build();
    let err = client
        .get(format!("http://gone.test:{port}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    let text = format!("{err}");
    assert!(
        text.contains(&a.to_string()) && text.contains(&b.to_string()),
        "{text}"
    );
}

runtime_tests!(
    a_hanging_first_address_loses_to_the_next_after_the_attempt_delay,
    a_refusing_first_address_falls_through_at_once,
    every_failed_address_is_reported,
);
