//! aioduct's demo: a first run that needs no internet.
//!
//! It starts three servers in this process on 127.0.0.1: HTTP/1.1, HTTP/2 over cleartext (h2c),
//! and HTTPS with a certificate made on the spot that offers h2 and http/1.1 by ALPN. Then it
//! talks to them with aioduct's client and prints one line per request: what was sent, what came
//! back, and where the time went. It exits non-zero if any answer is wrong.
//!
//! ```text
//! cargo xtask demo
//! cargo run -p aioduct --example demo --features tokio,json,rustls-ring
//! ```
//!
//! The client half (`demo::main` and `fetch`) is what an aioduct user writes. The server half
//! below it is plain hyper over tokio, with a small I/O adapter in place of hyper-util.

#[cfg(not(all(feature = "tokio", feature = "json", feature = "rustls")))]
fn main() -> std::process::ExitCode {
    eprintln!("the demo needs the tokio, json and rustls features: run `cargo xtask demo`");
    std::process::ExitCode::FAILURE
}

#[cfg(all(feature = "tokio", feature = "json", feature = "rustls"))]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    demo::main().await.unwrap_or_else(|err| {
        eprintln!("demo failed: {err}");
        std::process::ExitCode::FAILURE
    })
}

#[cfg(all(feature = "tokio", feature = "json", feature = "rustls"))]
#[path = "../tests/support/io.rs"]
#[allow(unreachable_pub)]
mod io;

#[cfg(all(feature = "tokio", feature = "json", feature = "rustls"))]
mod demo {
    use std::{
        convert::Infallible,
        process::ExitCode,
        sync::{
            Arc,
            atomic::{AtomicUsize, Ordering::Relaxed},
        },
        time::Duration,
    };

    use aioduct::{
        Client, Error, Method, RequestBuilder, StatusCode, Version,
        runtime::TokioRuntime,
        tls::{Certificate, RustlsConnector},
    };
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
    use hyper::{Request, Response, body::Frame, server::conn, service::service_fn};
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::io::{AsyncRead, AsyncWrite};
    use tokio_rustls::TlsAcceptor;

    const HELLO: &[u8] = b"hello from aioduct's demo server\n";
    const CHUNKS: u8 = 8;

    pub(super) async fn main() -> Result<ExitCode, Error> {
        let (ca_der, acceptor) = demo_tls();
        let plain = Server::start(Proto::Http1).await;
        let h2c = Server::start(Proto::H2c).await;
        let tls = Server::start(Proto::Tls(acceptor)).await;
        let note = serde_json::json!({ "client": "aioduct", "features": ["json", "rustls"] });
        let sent: &[u8] = &serde_json::to_vec(&note).expect("a JSON value serializes");
        let stream: &[u8] = &(0..CHUNKS).flat_map(chunk).collect::<Vec<u8>>();
        let (hello, echo) = (plain.url("/hello"), plain.url("/echo"));
        let (h1, h2) = (Version::HTTP_11, Version::HTTP_2);

        // A client pools its connections and keeps them alive: make one and reuse it.
        let client = Client::<TokioRuntime>::new();
        // For HTTPS, trust the demo's own CA on top of the usual roots.
        let roots = [Certificate::from_der(ca_der)];
        let tls_client = Client::<TokioRuntime>::builder()
            .tls(RustlsConnector::with_extra_roots(&roots))
            .build();
        // h2c: HTTP/2 on a plain TCP connection, with no negotiation (prior knowledge).
        let h2c_client = Client::<TokioRuntime>::builder()
            .http2_prior_knowledge()
            .build();
        let h2c_post = h2c_client.post(h2c.url("/echo"))?.json(&note)?;

        // Each request with the HTTP version and the body it should get back. Only the first
        // request to each server opens a connection (dns, connect and tls times); the others
        // reuse it, as HTTP/1.1 keep-alive or as further streams of one HTTP/2 connection.
        let requests = [
            ("GET", client.get(&hello)?, h1, HELLO),
            ("POST", client.post(&echo)?.json(&note)?, h1, sent),
            ("GET", client.get(plain.url("/stream"))?, h1, stream),
            ("GET", client.get(&hello)?, h1, HELLO),
            ("GET", client.get(&hello)?, h1, HELLO),
            ("GET", client.get(&hello)?, h1, HELLO),
            ("GET", tls_client.get(tls.url("/hello"))?, h2, HELLO), // h2 chosen by ALPN
            ("GET", tls_client.get(tls.url("/stream"))?, h2, stream),
            ("GET", h2c_client.get(h2c.url("/hello"))?, h2, HELLO),
            ("POST", h2c_post, h2, sent),
        ];
        let total = requests.len();
        let times = ["dns", "connect", "tls", "ttfb", "total"].map(String::from);
        row("method", "url", "status", "version", "bytes", times);
        let mut wrong = 0;
        for (method, request, version, expected) in requests {
            if !fetch(method, request, version, expected).await? {
                wrong += 1;
            }
        }

        println!();
        for (name, server) in [("HTTP/1.1", &plain), ("HTTPS", &tls), ("h2c", &h2c)] {
            let (requests, accepted) =
                (server.requests.load(Relaxed), server.accepted.load(Relaxed));
            println!("{name:<8} server: {requests} requests over {accepted} TCP connection(s)");
        }
        if wrong > 0 {
            eprintln!("{wrong} of {total} responses were wrong");
            return Ok(ExitCode::FAILURE);
        }
        println!("all {total} responses were as expected");
        Ok(ExitCode::SUCCESS)
    }

    /// Sends a request, reads its body chunk by chunk (which completes the timings), prints one
    /// line, and tells whether the status, the HTTP version and the body are the expected ones.
    async fn fetch(
        method: &str,
        request: RequestBuilder<TokioRuntime>,
        version: Version,
        expected: &[u8],
    ) -> Result<bool, Error> {
        let mut response = request.send().await?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            body.extend_from_slice(&chunk);
        }
        let t = response.timings();
        row(
            method,
            &response.url().to_string(),
            response.status().as_str(),
            &format!("{:?}", response.version()),
            &body.len().to_string(),
            [t.dns, t.connect, t.tls, t.ttfb, t.total].map(ms),
        );
        let right = response.status() == StatusCode::OK
            && response.version() == version
            && body == expected;
        if !right {
            println!(
                "       ^ expected 200 over {version:?} with {} bytes",
                expected.len()
            );
        }
        Ok(right)
    }

    /// Prints one aligned line of the table; the five times are in milliseconds.
    fn row(method: &str, url: &str, status: &str, version: &str, bytes: &str, times: [String; 5]) {
        let times = times.map(|time| format!("{time:>8}")).join(" ");
        println!("{method:<6} {url:<32} {status:>6} {version:<8} {bytes:>6} {times}");
    }

    /// Milliseconds with two decimals, or `-` for a phase that did not happen.
    fn ms(time: Option<Duration>) -> String {
        match time {
            Some(time) => format!("{:.2}", time.as_secs_f64() * 1e3),
            None => "-".to_owned(),
        }
    }

    // The server half: hyper's own server connections over tokio, one task per connection.

    enum Proto {
        Http1,
        H2c,
        Tls(TlsAcceptor),
    }

    struct Server {
        base: String,
        accepted: Arc<AtomicUsize>,
        requests: Arc<AtomicUsize>,
    }

    impl Server {
        /// Listens on a free port of 127.0.0.1 until the program ends.
        async fn start(proto: Proto) -> Server {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await;
            let listener = listener.expect("a free port on 127.0.0.1");
            let addr = listener.local_addr().expect("a bound address");
            // The certificate is for `localhost`, so HTTPS URLs use that name.
            let base = match proto {
                Proto::Tls(_) => format!("https://localhost:{}", addr.port()),
                _ => format!("http://{addr}"),
            };
            let server = Server {
                base,
                accepted: Arc::new(AtomicUsize::new(0)),
                requests: Arc::new(AtomicUsize::new(0)),
            };
            let (accepted, requests) = (server.accepted.clone(), server.requests.clone());
            let proto = Arc::new(proto);
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    accepted.fetch_add(1, Relaxed);
                    // Without it, Nagle's algorithm holds small HTTP/2 frames back for ~40 ms.
                    let _ = tcp.set_nodelay(true);
                    let (proto, requests) = (proto.clone(), requests.clone());
                    tokio::spawn(async move {
                        match &*proto {
                            Proto::Http1 => serve(tcp, false, requests).await,
                            Proto::H2c => serve(tcp, true, requests).await,
                            Proto::Tls(acceptor) => {
                                if let Ok(tls) = acceptor.accept(tcp).await {
                                    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                                    serve(tls, h2, requests).await;
                                }
                            }
                        }
                    });
                }
            });
            server
        }

        fn url(&self, path: &str) -> String {
            format!("{}{path}", self.base)
        }
    }

    /// Serves HTTP/1.1 or HTTP/2 on one connection until it closes. Errors (a client hanging
    /// up, say) end it quietly.
    async fn serve<T>(io: T, h2: bool, requests: Arc<AtomicUsize>)
    where
        T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let service = service_fn(move |req| {
            requests.fetch_add(1, Relaxed);
            route(req)
        });
        let _ = if h2 {
            let http2 = conn::http2::Builder::new(Exec);
            http2
                .serve_connection(crate::io::TokioIo::new(io), service)
                .await
        } else {
            let http1 = conn::http1::Builder::new();
            http1
                .serve_connection(crate::io::TokioIo::new(io), service)
                .await
        };
    }

    type Body = BoxBody<Bytes, Infallible>;

    async fn route(req: Request<hyper::body::Incoming>) -> Result<Response<Body>, Infallible> {
        let reply = |status: StatusCode, body: Bytes| {
            let mut response = Response::new(Full::new(body).boxed());
            *response.status_mut() = status;
            Ok(response)
        };
        match (req.method().clone(), req.uri().path()) {
            (Method::GET, "/hello") => reply(StatusCode::OK, Bytes::from_static(HELLO)),
            (Method::POST, "/echo") => match req.into_body().collect().await {
                Ok(body) => reply(StatusCode::OK, body.to_bytes()),
                Err(_) => reply(StatusCode::BAD_REQUEST, Bytes::new()),
            },
            (Method::GET, "/stream") => {
                // Chunks a few milliseconds apart: the gap between ttfb and total.
                let chunks = futures_lite::stream::unfold(0, |i| async move {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    (i < CHUNKS).then(|| (Ok(Frame::data(chunk(i))), i + 1))
                });
                Ok(Response::new(StreamBody::new(chunks).boxed()))
            }
            _ => reply(StatusCode::NOT_FOUND, Bytes::new()),
        }
    }

    /// The `i`th chunk `/stream` sends: 4 KiB of one letter.
    fn chunk(i: u8) -> Bytes {
        Bytes::from(vec![b'a' + i; 4096])
    }

    /// A throwaway CA, and a certificate it signs for `localhost`, served with ALPN h2 and
    /// http/1.1. Returns the CA (for the client to trust) and the server's TLS acceptor.
    fn demo_tls() -> (Vec<u8>, TlsAcceptor) {
        let ca_key = KeyPair::generate().expect("a key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "aioduct demo CA");
        let ca_cert = ca.self_signed(&ca_key).expect("a CA certificate");
        let leaf_key = KeyPair::generate().expect("a key");
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .and_then(|leaf| leaf.signed_by(&leaf_key, &Issuer::from_params(&ca, &ca_key)))
            .expect("a certificate for localhost");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|config| {
                let chain = vec![leaf.der().clone(), ca_cert.der().clone()];
                config.with_no_client_auth().with_single_cert(chain, key)
            })
            .expect("a TLS server configuration");
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        (ca_cert.der().to_vec(), TlsAcceptor::from(Arc::new(config)))
    }

    /// Spawns the tasks of hyper's HTTP/2 server on tokio.
    #[derive(Clone, Copy)]
    struct Exec;

    impl<F: Future<Output: Send> + Send + 'static> hyper::rt::Executor<F> for Exec {
        fn execute(&self, future: F) {
            tokio::spawn(future);
        }
    }
}
