//! CompioRuntime against real loopback sockets, on compio's own runtime.

use std::{
    cell::Cell,
    future::Future,
    io::{ErrorKind, IoSlice},
    net::SocketAddr,
    rc::Rc,
    time::{Duration, Instant},
};

use aioduct_core::{Name, Runtime, Spawn, TcpOptions};
use aioduct_rt_compio::{CompioRuntime, CompioSleep, CompioStream};
use compio::{
    io::{AsyncReadExt as _, AsyncWrite as _, AsyncWriteExt as _},
    net::TcpListener,
};
use futures_lite::{AsyncReadExt, AsyncWriteExt};

async fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

#[compio::test]
async fn connects_with_options_and_moves_bytes_both_ways() {
    let (listener, addr) = listener().await;
    let server = compio::runtime::spawn(async move {
        let (mut sock, peer) = listener.accept().await.unwrap();
        let (res, ping) = sock.read_exact(Vec::with_capacity(4)).await.into();
        res.unwrap();
        sock.write_all(b"pong").await.0.unwrap();
        (ping, peer)
    });

    let mut options = TcpOptions::default();
    options.keepalive = Some(Duration::from_secs(30));
    options.keepalive_interval = Some(Duration::from_secs(5));
    options.keepalive_retries = Some(3);
    options.local_address = Some("127.0.0.1".parse().unwrap());
    options.fast_open = true;
    let mut stream = CompioRuntime::connect(addr, &options).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    stream.flush().await.unwrap();
    let mut reply = [0u8; 4];
    stream.read_exact(&mut reply).await.unwrap();

    let (ping, peer) = server.await.unwrap();
    assert_eq!(ping, b"ping");
    assert_eq!(&reply, b"pong");
    assert_eq!(stream.peer_addr().unwrap(), addr);
    assert_eq!(peer, stream.local_addr().unwrap());

    let socket = socket2::SockRef::from(stream.as_compio());
    assert!(socket.tcp_nodelay().unwrap());
    assert!(socket.keepalive().unwrap());
    assert_eq!(
        socket.tcp_keepalive_time().unwrap(),
        Duration::from_secs(30)
    );
    assert_eq!(
        socket.tcp_keepalive_interval().unwrap(),
        Duration::from_secs(5)
    );
    assert_eq!(socket.tcp_keepalive_retries().unwrap(), 3);
    #[cfg(target_os = "linux")]
    assert_eq!(fast_open_connect(&stream), 1);
}

/// Reads `TCP_FASTOPEN_CONNECT` back; socket2 has no getter for it.
#[cfg(target_os = "linux")]
fn fast_open_connect(stream: &CompioStream) -> libc::c_int {
    use std::os::fd::AsRawFd;

    let mut value: libc::c_int = -1;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: a valid fd, and pointers to a c_int and its length that outlive the call.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_compio().as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_FASTOPEN_CONNECT,
            std::ptr::from_mut(&mut value).cast(),
            &mut len,
        )
    };
    assert_eq!(rc, 0, "{}", std::io::Error::last_os_error());
    value
}

#[compio::test]
async fn nodelay_off_is_applied() {
    let (_listener, addr) = listener().await;
    let mut options = TcpOptions::default();
    options.nodelay = false;
    let stream = CompioRuntime::connect(addr, &options).await.unwrap();
    let socket = socket2::SockRef::from(stream.as_compio());
    assert!(!socket.tcp_nodelay().unwrap());
    assert!(!socket.keepalive().unwrap());
}

#[compio::test]
async fn a_megabyte_echoes_back_with_vectored_writes_and_close() {
    let (listener, addr) = listener().await;
    let server = compio::runtime::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let (res, data) = sock.read_to_end(Vec::new()).await.into();
        res.unwrap();
        sock.write_all(data).await.0.unwrap();
        sock.shutdown().await.unwrap();
    });

    let body: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut stream = CompioRuntime::connect(addr, &TcpOptions::default())
        .await
        .unwrap();
    // Head and body as two slices, the way hyper writes a message: both fit in the buffer, so
    // one call takes both.
    let head = b"HEAD\r\n\r\n";
    let n = stream
        .write_vectored(&[IoSlice::new(head), IoSlice::new(&body[..1000])])
        .await
        .unwrap();
    assert_eq!(n, head.len() + 1000);
    // The rest is larger than the write buffer may hold, so it goes out in several flushes.
    stream.write_all(&body[1000..]).await.unwrap();
    // Closing flushes what is buffered, then shuts the write side down: the server sees EOF.
    stream.close().await.unwrap();

    let mut echoed = Vec::new();
    stream.read_to_end(&mut echoed).await.unwrap();
    server.await.unwrap();
    assert_eq!(echoed.len(), head.len() + body.len());
    assert_eq!(&echoed[..head.len()], head);
    assert!(echoed[head.len()..] == body[..], "echoed bytes differ");
}

#[compio::test]
async fn refused_connection_is_an_error() {
    let addr = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let err = CompioRuntime::connect(addr, &TcpOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[compio::test]
async fn local_address_that_is_not_ours_fails_to_bind() {
    let mut options = TcpOptions::default();
    // TEST-NET-3: never assigned to this machine, so bind() fails before any packet is sent.
    options.local_address = Some("203.0.113.7".parse().unwrap());
    let err = CompioRuntime::connect("127.0.0.1:9".parse().unwrap(), &options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
}

#[cfg(target_os = "linux")]
#[compio::test]
async fn binds_to_the_loopback_interface() {
    let (_listener, addr) = listener().await;
    let mut options = TcpOptions::default();
    options.interface = Some("lo".into());
    let stream = CompioRuntime::connect(addr, &options).await.unwrap();
    let socket = socket2::SockRef::from(stream.as_compio());
    assert_eq!(socket.device().unwrap().as_deref(), Some(&b"lo"[..]));
}

#[cfg(target_os = "linux")]
#[compio::test]
async fn unknown_interface_is_an_error() {
    let mut options = TcpOptions::default();
    options.interface = Some("no-such-if0".into());
    let err = CompioRuntime::connect("127.0.0.1:9".parse().unwrap(), &options)
        .await
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENODEV));
}

#[compio::test]
async fn resolves_localhost_and_ip_literals() {
    let addrs = CompioRuntime::resolve(Name::new("localhost"), 8080)
        .await
        .unwrap();
    assert!(!addrs.is_empty());
    assert!(
        addrs
            .as_slice()
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 8080)
    );

    let addrs = CompioRuntime::resolve(Name::new("::1"), 443).await.unwrap();
    assert_eq!(addrs.as_slice(), ["[::1]:443".parse().unwrap()]);
}

#[compio::test]
async fn sleep_waits_at_least_its_duration() {
    let start = Instant::now();
    CompioRuntime::sleep(Duration::from_millis(30)).await;
    assert!(start.elapsed() >= Duration::from_millis(30));

    // An unbounded sleep is clamped rather than overflowing `Instant`.
    let forever = CompioRuntime::sleep(Duration::MAX);
    assert!(forever.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
}

#[compio::test]
async fn spawned_non_send_task_runs_detached() {
    let ran = Rc::new(Cell::new(false));
    let flag = Rc::clone(&ran);
    // The task outlives `spawn`'s return: a dropped compio JoinHandle would cancel it.
    CompioRuntime::spawn(async move {
        CompioRuntime::sleep(Duration::from_millis(5)).await;
        flag.set(true);
    });
    for _ in 0..500 {
        if ran.get() {
            break;
        }
        CompioRuntime::sleep(Duration::from_millis(2)).await;
    }
    assert!(ran.get());
    assert_eq!(Rc::strong_count(&ran), 1, "the task dropped its Rc");
}

/// The driver doing the I/O is io_uring: this fails if compio fell back to its polling driver.
#[cfg(target_os = "linux")]
#[test]
fn io_uring_driver_is_in_use() {
    assert_eq!(CompioRuntime::driver_name(), None);
    assert!(!CompioRuntime::is_io_uring());

    let runtime = compio::runtime::Runtime::new().expect("io_uring runtime");
    assert_eq!(runtime.driver_type(), compio::driver::DriverType::IoUring);
    runtime.block_on(async {
        assert_eq!(CompioRuntime::driver_name(), Some("io_uring"));
        assert!(CompioRuntime::is_io_uring());
        // And the same runtime connects: the connect went through io_uring.
        let (_listener, addr) = listener().await;
        CompioRuntime::connect(addr, &TcpOptions::default())
            .await
            .unwrap();
    });
}

/// Compile-time checks: `Spawn` takes `!Send` futures, and the stream and sleep are `!Send`
/// (thread-per-core), which the core allows.
#[test]
fn spawn_accepts_non_send_futures() {
    fn spawnable<F: Future<Output = ()>>(_: &F)
    where
        CompioRuntime: Spawn<F>,
    {
    }
    let local = Rc::new(());
    spawnable(&async move { drop(local) });

    // `NotSend::<_>::check()` only resolves when exactly one impl applies; a `Send` type would
    // match both and fail to compile.
    trait NotSend<A> {
        fn check() {}
    }
    impl<T: ?Sized> NotSend<()> for T {}
    impl<T: ?Sized + Send> NotSend<u8> for T {}
    <CompioStream as NotSend<_>>::check();
    <CompioSleep as NotSend<_>>::check();
}
