//! SmolRuntime against real loopback sockets.

use std::{
    io,
    net::{TcpListener, ToSocketAddrs},
    pin::Pin,
    sync::mpsc,
    time::{Duration, Instant},
};

use aioduct_core::{Name, Runtime, Spawn, TcpOptions};
use aioduct_rt_smol::{SmolRuntime, SmolSleep, SmolStream};
use async_io::Async;
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};

/// Long enough for a loaded CI machine, short enough that a hang fails the test.
const PATIENCE: Duration = Duration::from_secs(10);

/// Runs `test` on this thread, failing instead of hanging if it takes longer than [`PATIENCE`].
fn block_on<T>(test: impl Future<Output = T>) -> T {
    future::block_on(future::or(test, async {
        async_io::Timer::after(PATIENCE).await;
        panic!("the test did not finish within {PATIENCE:?}");
    }))
}

#[test]
fn connects_with_options_and_moves_bytes_both_ways() {
    block_on(async {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let server = async {
            let (mut sock, peer) = listener.accept().await.unwrap();
            let mut buf = [0u8; 4];
            sock.read_exact(&mut buf).await.unwrap();
            sock.write_all(b"pong").await.unwrap();
            (buf, peer)
        };

        let mut options = TcpOptions::default();
        options.keepalive = Some(Duration::from_secs(30));
        options.keepalive_interval = Some(Duration::from_secs(5));
        options.keepalive_retries = Some(3);
        options.local_address = Some("127.0.0.1".parse().unwrap());
        options.fast_open = true;
        let client = async {
            let mut stream = SmolRuntime::connect(addr, &options).await.unwrap();
            stream.write_all(b"ping").await.unwrap();
            let mut reply = [0u8; 4];
            stream.read_exact(&mut reply).await.unwrap();
            (stream, reply)
        };

        let ((seen, peer), (stream, reply)) = future::zip(server, client).await;
        assert_eq!(&seen, b"ping");
        assert_eq!(&reply, b"pong");
        assert_eq!(peer, stream.local_addr().unwrap());
        assert_eq!(stream.peer_addr().unwrap(), addr);
        let socket = socket2::SockRef::from(stream.as_async().get_ref());
        assert!(socket.tcp_nodelay().unwrap());
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            socket.tcp_keepalive_time().unwrap(),
            Duration::from_secs(30)
        );
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            assert_eq!(
                socket.tcp_keepalive_interval().unwrap(),
                Duration::from_secs(5)
            );
            assert_eq!(socket.tcp_keepalive_retries().unwrap(), 3);
        }
    });
}

#[test]
fn nodelay_off_is_honoured() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = TcpOptions::default();
    options.nodelay = false;
    let stream = block_on(SmolRuntime::connect(
        listener.local_addr().unwrap(),
        &options,
    ))
    .unwrap();
    let socket = socket2::SockRef::from(stream.as_async().get_ref());
    assert!(!socket.tcp_nodelay().unwrap());
    assert!(!socket.keepalive().unwrap());
}

#[test]
fn close_shuts_down_the_write_half() {
    block_on(async {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        let server = async {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut received = Vec::new();
            // Ends only when the client's FIN arrives.
            sock.read_to_end(&mut received).await.unwrap();
            sock.write_all(b"bye").await.unwrap();
            received
        };
        let client = async {
            let mut stream = SmolRuntime::connect(addr, &TcpOptions::default())
                .await
                .unwrap();
            stream.write_all(b"request").await.unwrap();
            stream.close().await.unwrap();
            // The read half stays open after close.
            let mut reply = Vec::new();
            stream.read_to_end(&mut reply).await.unwrap();
            reply
        };
        let (received, reply) = future::zip(server, client).await;
        assert_eq!(received, b"request");
        assert_eq!(reply, b"bye");
    });
}

/// After a read that did not fill its buffer the stream waits for readiness before reading
/// again: bytes that arrived in the meantime, bytes that arrive later and the end of the stream
/// must all still be read, by both read paths.
#[test]
fn reads_after_a_short_read_miss_nothing() {
    let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let (read_first, first_read) = mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        use std::io::Write;
        let (mut sock, _) = listener.accept().unwrap();
        sock.write_all(b"abc").unwrap();
        first_read.recv().unwrap();
        // In the client's socket before its next read.
        sock.write_all(b"def").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        // Only after the client is waiting for readiness.
        sock.write_all(b"ghi").unwrap();
    });
    block_on(async {
        let mut stream = SmolRuntime::connect(addr, &TcpOptions::default())
            .await
            .unwrap();
        let mut buf = [0u8; 64];
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"abc");
        read_first.send(()).unwrap();
        async_io::Timer::after(Duration::from_millis(30)).await;
        let n = stream.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"def");
        let mut uninit = [std::mem::MaybeUninit::<u8>::uninit(); 64];
        let n = std::future::poll_fn(|cx| {
            aioduct_core::io::ReadUninit::poll_read_uninit(Pin::new(&mut stream), cx, &mut uninit)
        })
        .await
        .unwrap();
        let read: Vec<u8> = uninit[..n]
            .iter()
            // SAFETY: the first `n` bytes were written by the read.
            .map(|byte| unsafe { byte.assume_init() })
            .collect();
        assert_eq!(read, b"ghi");
        assert_eq!(
            stream.read(&mut buf).await.unwrap(),
            0,
            "the end of the stream"
        );
    });
    server.join().unwrap();
}

#[test]
fn refused_connection_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = block_on(SmolRuntime::connect(addr, &TcpOptions::default())).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
}

#[test]
fn local_address_that_is_not_ours_fails_to_bind() {
    let mut options = TcpOptions::default();
    // TEST-NET-3: never assigned to this machine, so bind() must fail before any packet is sent.
    options.local_address = Some("203.0.113.7".parse().unwrap());
    let err = block_on(SmolRuntime::connect(
        "127.0.0.1:9".parse().unwrap(),
        &options,
    ))
    .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AddrNotAvailable);
}

#[test]
fn unknown_interface_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut options = TcpOptions::default();
    options.interface = Some("aioduct-none0".into());
    let result = block_on(SmolRuntime::connect(
        listener.local_addr().unwrap(),
        &options,
    ));
    let err = result.unwrap_err();
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    assert_eq!(err.kind(), io::ErrorKind::Unsupported);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    assert_ne!(err.kind(), io::ErrorKind::Unsupported);
}

#[test]
fn resolves_localhost_with_the_port_in_resolver_order() {
    let addrs = block_on(SmolRuntime::resolve(Name::new("localhost"), 8080)).unwrap();
    assert!(!addrs.is_empty());
    assert!(
        addrs
            .as_slice()
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 8080)
    );
    let system: Vec<_> = ("localhost", 8080).to_socket_addrs().unwrap().collect();
    assert_eq!(addrs.as_slice(), system.as_slice());
}

#[test]
fn sleep_waits_at_least_its_duration() {
    let start = Instant::now();
    block_on(SmolRuntime::sleep(Duration::from_millis(20)));
    assert!(start.elapsed() >= Duration::from_millis(20));
}

#[test]
fn spawned_tasks_run_in_the_background() {
    let (tx, rx) = mpsc::channel();
    // Nothing here drives the task: the executor threads do, timer included.
    SmolRuntime::spawn(async move {
        SmolRuntime::sleep(Duration::from_millis(5)).await;
        tx.send(7).unwrap();
    });
    assert_eq!(rx.recv_timeout(PATIENCE).unwrap(), 7);
}

#[test]
fn a_panicking_task_does_not_stop_the_executor() {
    SmolRuntime::spawn(async {
        panic!("this task panics on purpose");
    });
    let (tx, rx) = mpsc::channel();
    SmolRuntime::spawn(async move {
        tx.send(()).unwrap();
    });
    rx.recv_timeout(PATIENCE).unwrap();
}

#[test]
fn futures_and_types_are_send() {
    fn send_static<T: Send + 'static>(value: T) -> T {
        value
    }
    fn send_sync_unpin<T: Send + Sync + Unpin + 'static>() {}

    let options = TcpOptions::default();
    let connect = send_static(SmolRuntime::connect(
        "127.0.0.1:9".parse().unwrap(),
        &options,
    ));
    // The connect future does not borrow the options.
    drop(options);
    let resolve = send_static(SmolRuntime::resolve(Name::new("localhost"), 80));
    drop((connect, resolve));
    send_sync_unpin::<SmolStream>();
    send_sync_unpin::<SmolSleep>();
}
