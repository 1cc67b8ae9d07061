//! TokioRuntime against real loopback sockets.

use std::time::Duration;

use aioduct_core::{Name, Runtime, Spawn, TcpOptions};
use aioduct_rt_tokio::TokioRuntime;
use futures_lite::{AsyncReadExt, AsyncWriteExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[tokio::test]
async fn connects_with_options_and_moves_bytes_both_ways() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut sock, peer) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4];
        sock.read_exact(&mut buf).await.unwrap();
        sock.write_all(b"pong").await.unwrap();
        (buf, peer)
    });

    let mut options = TcpOptions::default();
    options.keepalive = Some(Duration::from_secs(30));
    options.keepalive_interval = Some(Duration::from_secs(5));
    options.keepalive_retries = Some(3);
    options.local_address = Some("127.0.0.1".parse().unwrap());
    options.fast_open = true;
    let mut stream = TokioRuntime::connect(addr, &options).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await.unwrap();

    let (seen, peer) = server.await.unwrap();
    assert_eq!(&seen, b"ping");
    assert_eq!(&reply, b"pong");
    assert_eq!(peer, stream.local_addr().unwrap());
    let socket = socket2::SockRef::from(stream_ref(&stream));
    assert!(socket.tcp_nodelay().unwrap());
    assert!(socket.keepalive().unwrap());
    assert_eq!(
        socket.tcp_keepalive_time().unwrap(),
        Duration::from_secs(30)
    );
}

fn stream_ref(stream: &aioduct_rt_tokio::TokioStream) -> &tokio::net::TcpStream {
    // The stream is a thin wrapper; reach the socket through its public accessor.
    stream.as_tokio()
}

#[tokio::test]
async fn refused_connection_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = TokioRuntime::connect(addr, &TcpOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn local_address_that_is_not_ours_fails_to_bind() {
    let mut options = TcpOptions::default();
    // TEST-NET-3: never assigned to this machine, so bind() must fail before any packet is sent.
    options.local_address = Some("203.0.113.7".parse().unwrap());
    let err = TokioRuntime::connect("127.0.0.1:9".parse().unwrap(), &options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::AddrNotAvailable);
}

#[tokio::test]
async fn resolves_localhost_and_sleeps() {
    let addrs = TokioRuntime::resolve(Name::new("localhost"), 8080)
        .await
        .unwrap();
    assert!(!addrs.is_empty());
    assert!(
        addrs
            .as_slice()
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 8080)
    );

    let start = std::time::Instant::now();
    TokioRuntime::sleep(Duration::from_millis(20)).await;
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[tokio::test]
async fn spawned_tasks_run() {
    let (tx, rx) = tokio::sync::oneshot::channel();
    TokioRuntime::spawn(async move {
        tx.send(7).unwrap();
    });
    assert_eq!(rx.await.unwrap(), 7);
}
