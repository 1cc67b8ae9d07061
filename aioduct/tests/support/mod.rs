//! In-process servers for the end-to-end tests: hyper on 127.0.0.1:0, HTTP/1.1, h2c or TLS
//! (rcgen certificates), each built from a closure and stopped when dropped.

#![allow(dead_code, unreachable_pub)]

mod io;
pub mod redirects;
pub mod tls;

use std::{
    convert::Infallible,
    future::Future,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::{
    Request, Response,
    body::{Frame, Incoming},
    service::service_fn,
};
use tokio::net::{TcpListener, TcpStream};

pub use io::TokioIo;

/// The body type handlers answer with.
pub type Reply = Response<BoxBody<Bytes, std::io::Error>>;

type Handler =
    Arc<dyn Fn(Request<Incoming>) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// How a test server speaks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Http1,
    /// HTTP/2 over cleartext, with a limit on concurrent streams.
    H2c {
        max_streams: u32,
    },
    /// TLS offering these ALPN protocols; HTTP/2 when the client picks h2.
    Tls {
        h2: bool,
        http1: bool,
    },
}

/// A server running on 127.0.0.1 until dropped.
pub struct Server {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    /// Dropping it stops the server's runtime thread.
    _stop: Stop,
}

impl Server {
    pub fn http1<F, Fut>(handler: F) -> Server
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        Server::start(Mode::Http1, handler)
    }

    pub fn h2c<F, Fut>(max_streams: u32, handler: F) -> Server
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        Server::start(Mode::H2c { max_streams }, handler)
    }

    pub fn start<F, Fut>(mode: Mode, handler: F) -> Server
    where
        F: Fn(Request<Incoming>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |req| Box::pin(handler(req)));
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        let acceptor = match mode {
            Mode::Tls { h2, http1 } => Some(tls::acceptor(h2, http1)),
            _ => None,
        };
        let (addr, stop) = on_own_runtime(move |listener| async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let handler = handler.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(serve(mode, stream, acceptor, handler));
            }
        });
        Server {
            addr,
            accepted,
            _stop: stop,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `https://localhost:PORT{path}` (the test certificate is for localhost).
    pub fn https_url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    /// TCP connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

/// Stops a server's runtime when dropped.
pub struct Stop(Option<tokio::sync::oneshot::Sender<()>>);

impl Drop for Stop {
    fn drop(&mut self) {
        if let Some(stop) = self.0.take() {
            let _ = stop.send(());
        }
    }
}

/// Binds 127.0.0.1:0 and runs `serve` on a tokio runtime in a thread of its own, so servers work
/// whatever runtime (or none) the client under test uses.
fn on_own_runtime<S, Fut>(serve: S) -> (SocketAddr, Stop)
where
    S: FnOnce(Listener) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = Listener::bind().await;
            ready_tx.send(listener.addr).unwrap();
            tokio::select! {
                _ = serve(listener) => {}
                _ = stop_rx => {}
            }
        });
    });
    let addr = ready_rx.recv().unwrap();
    (addr, Stop(Some(stop_tx)))
}

/// A server's listening sockets: 127.0.0.1:P and, where the port is free there too, [::1]:P.
///
/// Tests name the server `localhost` (its certificate's name), which resolves to ::1 first; with
/// both addresses ours, nothing else on the machine that happens to hold [::1]:P can answer.
pub struct Listener {
    addr: SocketAddr,
    v4: TcpListener,
    v6: Option<TcpListener>,
}

impl Listener {
    async fn bind() -> Listener {
        let mut tries = 0;
        loop {
            let v4 = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = v4.local_addr().unwrap();
            match TcpListener::bind(("::1", addr.port())).await {
                Ok(v6) => {
                    return Listener {
                        addr,
                        v4,
                        v6: Some(v6),
                    };
                }
                // No IPv6 loopback on this machine: 127.0.0.1 alone.
                Err(err) if err.kind() == std::io::ErrorKind::AddrNotAvailable => {
                    return Listener { addr, v4, v6: None };
                }
                // The port is taken on ::1; try another.
                Err(_) if tries < 50 => tries += 1,
                Err(err) => panic!("no port free on both 127.0.0.1 and ::1: {err}"),
            }
        }
    }

    /// The next connection on either address.
    pub async fn accept(&self) -> std::io::Result<(TcpStream, SocketAddr)> {
        match &self.v6 {
            None => self.v4.accept().await,
            Some(v6) => tokio::select! {
                accepted = self.v4.accept() => accepted,
                accepted = v6.accept() => accepted,
            },
        }
    }
}

/// Serves one accepted connection in the server's mode.
async fn serve(
    mode: Mode,
    stream: TcpStream,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    handler: Handler,
) {
    let service = service_fn(move |req| {
        let handler = handler.clone();
        async move { Ok::<_, Infallible>(handler(req).await) }
    });
    match (mode, acceptor) {
        (Mode::Tls { .. }, Some(acceptor)) => {
            let Ok(tls) = acceptor.accept(stream).await else {
                return;
            };
            let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
            let io = TokioIo::new(tls);
            if h2 {
                let _ = hyper::server::conn::http2::Builder::new(Exec)
                    .serve_connection(io, service)
                    .await;
            } else {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(io, service)
                    .await;
            }
        }
        (Mode::H2c { max_streams }, _) => {
            let _ = hyper::server::conn::http2::Builder::new(Exec)
                .max_concurrent_streams(max_streams)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        }
        _ => {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        }
    }
}

/// Spawns hyper's HTTP/2 server tasks on tokio.
#[derive(Clone, Copy)]
struct Exec;

impl<F> hyper::rt::Executor<F> for Exec
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        tokio::spawn(future);
    }
}

/// A reply with `status` and a text body.
pub fn text(status: u16, body: impl Into<Bytes>) -> Reply {
    Response::builder()
        .status(status)
        .body(
            Full::new(body.into())
                .map_err(|e: Infallible| match e {})
                .boxed(),
        )
        .unwrap()
}

/// A reply that sends `chunks`, waiting `gap` before each one.
pub fn drip(chunks: Vec<&'static str>, gap: Duration) -> Reply {
    let stream = futures_lite::stream::unfold(chunks.into_iter(), move |mut rest| async move {
        let chunk = rest.next()?;
        tokio::time::sleep(gap).await;
        Some((Ok(Frame::data(Bytes::from_static(chunk.as_bytes()))), rest))
    });
    Response::new(BodyExt::boxed(StreamBody::new(stream)))
}

/// The request body, read whole.
pub async fn read_body(req: Request<Incoming>) -> (hyper::http::request::Parts, Bytes) {
    let (parts, body) = req.into_parts();
    (parts, body.collect().await.unwrap().to_bytes())
}

/// A TCP listener that accepts connections and never answers.
pub fn silent_listener() -> (SocketAddr, Stop) {
    on_own_runtime(|listener| async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    })
}

/// A server that answers with what it saw: method, path and query, and a few headers.
pub fn echo_server() -> Server {
    Server::http1(|req| async move {
        let (parts, body) = read_body(req).await;
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let report = format!(
            "{} {}\nhost={}\nua={}\naccept={}\nauth={}\nctype={}\nx-test={}\nlen={}\nbody={}",
            parts.method,
            parts.uri,
            header("host"),
            header("user-agent"),
            header("accept"),
            header("authorization"),
            header("content-type"),
            header("x-test"),
            body.len(),
            String::from_utf8_lossy(&body),
        );
        text(200, report)
    })
}

/// Runs a test body on a multi-threaded tokio runtime.
pub fn run_tokio<F: Future<Output = ()>>(test: F) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

/// Runs a test body on smol's reactor (async-io).
pub fn run_smol<F: Future<Output = ()>>(test: F) {
    async_io::block_on(test);
}

/// Runs a test body on a compio runtime (io_uring).
#[cfg(feature = "compio")]
pub fn run_compio<F: Future<Output = ()>>(test: F) {
    aioduct::runtime::CompioRuntime::block_on(test).unwrap();
}

/// Waits for all `futures`, polled concurrently in one task; results in input order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future completed"))
        .collect()
}

/// Like [`runtime_tests!`] for tests that need `R: SendRuntime` (middleware, tower): tokio and
/// smol.
#[macro_export]
macro_rules! send_runtime_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "tokio")]
        mod tokio_rt {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_tokio(super::$name::<aioduct::runtime::TokioRuntime>());
                }
            )*
        }
        #[cfg(feature = "smol")]
        mod smol_rt {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_smol(super::$name::<aioduct::runtime::SmolRuntime>());
                }
            )*
        }
    };
}

/// Declares each listed generic test (`async fn name<R: HttpRuntime>()`) once per runtime the
/// build has: `tokio_rt::name`, `smol_rt::name`, `compio_rt::name`. One source, every runtime.
#[macro_export]
macro_rules! runtime_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "tokio")]
        mod tokio_rt {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_tokio(super::$name::<aioduct::runtime::TokioRuntime>());
                }
            )*
        }
        #[cfg(feature = "compio")]
        mod compio_rt {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_compio(super::$name::<aioduct::runtime::CompioRuntime>());
                }
            )*
        }
        #[cfg(feature = "smol")]
        mod smol_rt {
            $(
                #[test]
                fn $name() {
                    $crate::support::run_smol(super::$name::<aioduct::runtime::SmolRuntime>());
                }
            )*
        }
    };
}

/// A listener on `addr` whose accept queue is full: the kernel drops further SYNs, so a connect to
/// it hangs, on loopback, never leaving the machine. Returns the bound address and the sockets
/// that must stay alive.
pub fn black_hole(addr: SocketAddr) -> (SocketAddr, Vec<socket2::Socket>) {
    try_black_hole(addr).unwrap()
}

/// [`black_hole`], or the error binding `addr` (a fixed port may be taken).
pub fn try_black_hole(addr: SocketAddr) -> std::io::Result<(SocketAddr, Vec<socket2::Socket>)> {
    use socket2::{Domain, Socket, Type};
    let listener = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
    listener.bind(&addr.into())?;
    listener.listen(0).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let mut held = vec![listener];
    // Fill the queue; these connects complete or linger, and are never accepted.
    for _ in 0..4 {
        let s = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
        s.set_nonblocking(true).unwrap();
        let _ = s.connect(&addr.into());
        held.push(s);
    }
    std::thread::sleep(Duration::from_millis(50));
    Ok((addr, held))
}

/// A minimal HTTP/1.1 server on `listener` (any address family) answering `body` to every
/// request, one thread per connection.
pub fn raw_http_server(listener: std::net::TcpListener, body: &'static str) {
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    raw_http_replies(listener, reply.into_bytes());
}

/// A raw HTTP/1.1 server on `listener` writing `reply` (head and body, as they are) after each
/// request head it reads, one thread per connection.
pub fn raw_http_replies(listener: std::net::TcpListener, reply: Vec<u8>) {
    use std::io::{Read, Write};
    let reply: Arc<[u8]> = reply.into();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut sock) = stream else { return };
            let reply = reply.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let mut seen = Vec::new();
                loop {
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    seen.clear();
                    if sock.write_all(&reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
}

/// A TLS front for a plain TCP service at `backend`: it accepts TLS with the test certificate
/// (ALPN http/1.1 only) and splices the plaintext to `backend`. Put before a test proxy, it makes
/// an `https://` proxy.
pub fn tls_front(backend: SocketAddr) -> (SocketAddr, Stop) {
    let acceptor = tls::acceptor(false, true);
    on_own_runtime(move |listener| async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let Ok(mut plain) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
            });
        }
    })
}
