//! Test support: in-process servers on 127.0.0.1 (an echo origin, an HTTP CONNECT proxy, a SOCKS
//! 4/4a/5 proxy), a connector that dials loopback only, and a resolver that counts its calls.
//! The servers are small blocking implementations on std threads; they stop on drop.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports, unreachable_pub)]

mod connect_proxy;
mod origin;
mod socks_server;

use std::{
    future::Future,
    io,
    net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
    time::Duration,
};

use aioduct_core::{
    Addrs, BoxError, Connected, Connector, Error, ErrorKind, Name, Resolve, http::Uri,
};
use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};

pub use connect_proxy::{ConnectProxy, ConnectProxyOptions};
pub use origin::Origin;
pub use socks_server::{SocksOptions, SocksProxy, SocksSeen};

/// Accepts connections on 127.0.0.1 and hands each to `handle` on its own thread, until dropped.
pub struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
}

impl Listener {
    pub fn start(handle: impl Fn(TcpStream) + Send + Sync + 'static) -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let handle = Arc::new(handle);
        let stopped = stop.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let handle = handle.clone();
                    thread::spawn(move || handle(conn));
                }
            }
        });
        Listener { addr, stop }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Copies bytes both ways between `a` and `b` until both directions end.
pub fn splice(a: TcpStream, b: TcpStream) {
    let (a2, b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
    let forward = thread::spawn(move || {
        let _ = io::copy(&mut &a2, &mut &b2);
        let _ = b2.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut &b, &mut &a);
    let _ = a.shutdown(Shutdown::Write);
    let _ = forward.join();
}

/// The address a test proxy connects to for `host`: loopback only, names from a fixed table.
/// Nothing ever leaves the machine.
pub fn proxy_resolve(host: &str, port: u16) -> Option<SocketAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip = match host {
        "origin.test" | "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => host.parse().ok().filter(|ip: &IpAddr| ip.is_loopback())?,
    };
    Some(SocketAddr::new(ip, port))
}

/// A connector that dials the loopback address in the URI it is asked for, and remembers the
/// URIs.
#[derive(Clone, Default)]
pub struct Dial {
    asked: Arc<Mutex<Vec<Uri>>>,
}

impl Dial {
    /// The URIs this connector was asked for, as text.
    pub fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

impl Connector for Dial {
    type Io = Async<TcpStream>;

    async fn connect(&self, dst: Uri) -> Result<Connected<Self::Io>, Error> {
        self.asked.lock().unwrap().push(dst.clone());
        let host = dst.host().unwrap_or_default();
        let ip: IpAddr = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
            .filter(IpAddr::is_loopback)
            .ok_or_else(|| {
                Error::msg(ErrorKind::Connect, "the test dialer reaches loopback only")
            })?;
        let addr = SocketAddr::new(ip, dst.port_u16().expect("test URIs have ports"));
        let tcp = Async::<TcpStream>::connect(addr)
            .await
            .map_err(|err| Error::new(ErrorKind::Connect, Some(err)))?;
        let mut connected = Connected::new(tcp);
        connected.info.remote_addr = Some(addr);
        Ok(connected)
    }
}

/// A resolver that knows `origin.test` (127.0.0.1) and counts its calls.
pub fn counting_resolver() -> (Arc<dyn Resolve>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let resolver = move |name: Name| {
        counter.fetch_add(1, Ordering::SeqCst);
        let known = name.as_str() == "origin.test";
        async move {
            if known {
                Ok(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 1], 0))]))
            } else {
                Err(BoxError::from(format!("unknown test name {name}")))
            }
        }
    };
    (Arc::new(resolver), calls)
}

/// Writes `message` and reads the same number of bytes back.
pub async fn round_trip<S>(stream: &mut S, message: &[u8]) -> io::Result<Vec<u8>>
where
    S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin,
{
    stream.write_all(message).await?;
    stream.flush().await?;
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back).await?;
    Ok(back)
}

/// Runs `fut` to completion on this thread, failing the test if it takes over ten seconds.
pub fn run<T>(fut: impl Future<Output = T>) -> T {
    async_io::block_on(future::or(fut, async {
        Timer::after(Duration::from_secs(10)).await;
        panic!("test timed out")
    }))
}

/// Parses a URI written by a test.
pub fn uri(text: &str) -> Uri {
    text.parse().unwrap()
}
