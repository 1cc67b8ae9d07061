//! Test support: a throwaway PKI, an in-process TLS echo server on 127.0.0.1, and a TCP
//! connector that dials it.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use std::{
    future::Future,
    io,
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc,
    },
    thread,
    time::Duration,
};

use aioduct_core::{Connected, Connector, Error, ErrorKind, http::Uri};
use aioduct_tls::{Certificate, Identity};
use async_io::{Async, Timer};
use futures_lite::{AsyncReadExt, AsyncWriteExt, future};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::{
    HandshakeKind, ProtocolVersion, RootCertStore, ServerConfig, SupportedProtocolVersion,
    crypto::CryptoProvider,
    server::WebPkiClientVerifier,
    sign::{CertifiedKey, SingleCertAndKey},
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The certificates of every test: made once per test binary.
pub(crate) struct Pki {
    /// The CA that signs the trusted server and the client certificate.
    pub(crate) ca: Certificate,
    /// The CA certificate in PEM.
    pub(crate) ca_pem: String,
    server: Leaf,
    /// A server certificate for the same names, from a CA nobody trusts.
    untrusted: Leaf,
    client: Leaf,
}

struct Leaf {
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
    pem: String,
    key_pem: String,
}

impl Pki {
    pub(crate) fn get() -> &'static Pki {
        static PKI: OnceLock<Pki> = OnceLock::new();
        PKI.get_or_init(Pki::generate)
    }

    fn generate() -> Pki {
        let server_names = ["localhost", "127.0.0.1"];
        let (ca_pem, ca) = certificate_authority("aioduct test CA");
        let (_, other_ca) = certificate_authority("untrusted CA");
        Pki {
            ca: Certificate::from_pem(ca_pem.as_bytes()).unwrap(),
            ca_pem,
            server: leaf(&ca, &server_names, ExtendedKeyUsagePurpose::ServerAuth),
            untrusted: leaf(
                &other_ca,
                &server_names,
                ExtendedKeyUsagePurpose::ServerAuth,
            ),
            client: leaf(&ca, &["client.test"], ExtendedKeyUsagePurpose::ClientAuth),
        }
    }

    /// The client identity for mutual TLS, parsed from PEM as a user would.
    pub(crate) fn client_identity(&self) -> Identity {
        Identity::from_pem(self.client.pem.as_bytes(), self.client.key_pem.as_bytes()).unwrap()
    }
}

/// A self-signed CA: its certificate in PEM, and the issuer that signs with it.
fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

fn leaf(issuer: &Issuer<'static, KeyPair>, names: &[&str], usage: ExtendedKeyUsagePurpose) -> Leaf {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params.extended_key_usages = vec![usage];
    let cert = params.signed_by(&key, issuer).unwrap();
    Leaf {
        der: cert.der().clone(),
        key_der: key.serialize_der(),
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// How a [`TestServer`] behaves.
#[derive(Clone)]
pub(crate) struct ServerOptions {
    alpn: Vec<Vec<u8>>,
    versions: Vec<&'static SupportedProtocolVersion>,
    client_auth: bool,
    untrusted: bool,
    stall: bool,
    plain: bool,
    impostor: bool,
}

impl ServerOptions {
    /// TLS 1.2 and 1.3, no ALPN, the trusted certificate, no client authentication.
    pub(crate) fn new() -> Self {
        ServerOptions {
            alpn: Vec::new(),
            versions: vec![&rustls::version::TLS13, &rustls::version::TLS12],
            client_auth: false,
            untrusted: false,
            stall: false,
            plain: false,
            impostor: false,
        }
    }

    /// The ALPN protocols the server accepts, in its order of preference.
    pub(crate) fn alpn(mut self, ids: &[&[u8]]) -> Self {
        self.alpn = ids.iter().map(|id| id.to_vec()).collect();
        self
    }

    /// Speaks TLS 1.2 only.
    pub(crate) fn tls12_only(mut self) -> Self {
        self.versions = vec![&rustls::version::TLS12];
        self
    }

    /// Requires a client certificate signed by the test CA.
    pub(crate) fn require_client_auth(mut self) -> Self {
        self.client_auth = true;
        self
    }

    /// Presents the certificate from the untrusted CA.
    pub(crate) fn untrusted(mut self) -> Self {
        self.untrusted = true;
        self
    }

    /// Accepts TCP connections and never says a word.
    pub(crate) fn stall(mut self) -> Self {
        self.stall = true;
        self
    }

    /// Presents the untrusted certificate but signs the handshake with an unrelated key, as an
    /// impostor that copied a certificate would.
    pub(crate) fn impostor(mut self) -> Self {
        self.untrusted = true;
        self.impostor = true;
        self
    }

    /// Echoes over plain TCP, without TLS.
    pub(crate) fn plain(mut self) -> Self {
        self.plain = true;
        self
    }

    fn config(&self) -> Arc<ServerConfig> {
        let pki = Pki::get();
        let leaf = if self.untrusted {
            &pki.untrusted
        } else {
            &pki.server
        };
        let builder = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&self.versions)
            .unwrap();
        let builder = if self.client_auth {
            let mut roots = RootCertStore::empty();
            roots
                .add(CertificateDer::from(pki.ca.as_der().to_vec()))
                .unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key_der = if self.impostor {
            KeyPair::generate().unwrap().serialize_der()
        } else {
            leaf.key_der.clone()
        };
        let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(key_der));
        // `CertifiedKey::new` does not check that the key matches, which the impostor needs.
        let signing_key = provider().key_provider.load_private_key(key).unwrap();
        let certified = CertifiedKey::new(vec![leaf.der.clone()], signing_key);
        let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
        config.alpn_protocols = self.alpn.clone();
        Arc::new(config)
    }
}

#[cfg(feature = "ring")]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// What the server saw of one connection.
#[derive(Debug)]
pub(crate) struct Seen {
    /// The SNI the client sent.
    pub(crate) sni: Option<String>,
    /// The ALPN protocol agreed.
    pub(crate) alpn: Option<Vec<u8>>,
    /// True when the client resumed an earlier session.
    pub(crate) resumed: bool,
    /// The TLS version agreed.
    pub(crate) version: Option<ProtocolVersion>,
    /// How many certificates the client presented.
    pub(crate) client_certs: usize,
    /// Why the handshake failed, if it did.
    pub(crate) error: Option<String>,
}

/// A TLS echo server on 127.0.0.1 that stops when dropped.
pub(crate) struct TestServer {
    addr: SocketAddr,
    seen: mpsc::Receiver<Seen>,
    stop: Arc<AtomicBool>,
    accepting: Option<thread::JoinHandle<()>>,
}

impl TestServer {
    pub(crate) fn start(options: ServerOptions) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (report, seen) = mpsc::channel();
        let acceptor = futures_rustls::TlsAcceptor::from(options.config());
        let stopping = stop.clone();
        let accepting = thread::spawn(move || {
            // Stalled connections are held here, open, until the server stops.
            let mut held = Vec::new();
            for tcp in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(tcp) = tcp else { break };
                if options.stall {
                    held.push(tcp);
                    continue;
                }
                let acceptor = acceptor.clone();
                let report = report.clone();
                let plain = options.plain;
                thread::spawn(move || {
                    let tcp = Async::new(tcp).unwrap();
                    async_io::block_on(async move {
                        if plain {
                            let _ = echo(tcp).await;
                        } else {
                            serve_tls(acceptor, tcp, report).await;
                        }
                    });
                });
            }
        });
        TestServer {
            addr,
            seen,
            stop,
            accepting: Some(accepting),
        }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What the server saw of the next connection, in the order they were accepted.
    pub(crate) fn next_seen(&self) -> Seen {
        self.seen
            .recv_timeout(Duration::from_secs(10))
            .expect("the server saw no connection")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

async fn serve_tls(
    acceptor: futures_rustls::TlsAcceptor,
    tcp: Async<TcpStream>,
    report: mpsc::Sender<Seen>,
) {
    match acceptor.accept(tcp).await {
        Ok(tls) => {
            let conn = tls.get_ref().1;
            let _ = report.send(Seen {
                sni: conn.server_name().map(str::to_owned),
                alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
                resumed: conn.handshake_kind() == Some(HandshakeKind::Resumed),
                version: conn.protocol_version(),
                client_certs: conn.peer_certificates().map_or(0, <[_]>::len),
                error: None,
            });
            let _ = echo(tls).await;
        }
        Err(err) => {
            let _ = report.send(Seen {
                sni: None,
                alpn: None,
                resumed: false,
                version: None,
                client_certs: 0,
                error: Some(err.to_string()),
            });
        }
    }
}

async fn echo<S: futures_lite::AsyncRead + futures_lite::AsyncWrite + Unpin>(
    mut stream: S,
) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return stream.close().await;
        }
        stream.write_all(&buf[..n]).await?;
        stream.flush().await?;
    }
}

/// The connector below TLS in these tests: dials the test server, whatever the URI says.
pub(crate) struct Dial {
    addr: SocketAddr,
    /// How many connections were made.
    pub(crate) made: Arc<AtomicUsize>,
}

impl Dial {
    pub(crate) fn to(server: &TestServer) -> Dial {
        Dial {
            addr: server.addr(),
            made: Arc::default(),
        }
    }
}

impl Connector for Dial {
    type Io = Async<TcpStream>;

    async fn connect(&self, _dst: Uri) -> Result<Connected<Self::Io>, Error> {
        self.made.fetch_add(1, Ordering::SeqCst);
        let tcp = Async::<TcpStream>::connect(self.addr)
            .await
            .map_err(|err| Error::new(ErrorKind::Connect, Some(err)))?;
        let mut connected = Connected::new(tcp);
        connected.info.remote_addr = Some(self.addr);
        Ok(connected)
    }
}

/// Writes `message` and reads it back.
pub(crate) async fn round_trip<S>(stream: &mut S, message: &[u8]) -> io::Result<Vec<u8>>
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
pub(crate) fn run<T>(fut: impl Future<Output = T>) -> T {
    async_io::block_on(async {
        within(Duration::from_secs(10), fut)
            .await
            .expect("test timed out")
    })
}

/// `fut`'s output, or `None` when `limit` passes first.
pub(crate) async fn within<T>(limit: Duration, fut: impl Future<Output = T>) -> Option<T> {
    future::or(async { Some(fut.await) }, async {
        Timer::after(limit).await;
        None
    })
    .await
}

/// A URI value from a literal.
pub(crate) fn uri(s: &str) -> Uri {
    s.parse().unwrap()
}
