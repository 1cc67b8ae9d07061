//! The connector stack: DNS and TCP, then TLS for https.

use std::{
    fmt,
    future::Future,
    io,
    marker::PhantomData,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};

use aioduct_core::{
    Addrs, Connected, ConnectionInfo, Connector, Error, ErrorKind, Name, Resolve, Runtime,
    TcpOptions,
};
#[cfg(feature = "proxy")]
use aioduct_proxy::{ProxyLayer, ProxySettings, Route};
#[cfg(feature = "rustls")]
use aioduct_tls::{MaybeTls, TlsLayer};
use http::{HeaderValue, Uri};

/// The byte stream of a connection: TLS to the origin or not, over TLS to an `https://` proxy or
/// not, over TCP.
#[cfg(all(feature = "rustls", feature = "proxy"))]
pub(crate) type Io<R> = MaybeTls<MaybeTls<<R as Runtime>::TcpStream>>;
/// The byte stream of a connection: TLS to the origin or not, over TCP (no proxies here).
#[cfg(all(feature = "rustls", not(feature = "proxy")))]
pub(crate) type Io<R> = MaybeTls<<R as Runtime>::TcpStream>;
/// The byte stream of a connection: plain TCP (this build has no TLS).
#[cfg(not(feature = "rustls"))]
pub(crate) type Io<R> = <R as Runtime>::TcpStream;

/// The layers of a direct connection: TCP, then TLS to the origin.
#[cfg(all(feature = "rustls", feature = "proxy"))]
type Direct<R> = TlsLayer<Plain<TcpConnector<R>>>;
/// The layers of a direct connection: TCP, then TLS to the origin.
#[cfg(all(feature = "rustls", not(feature = "proxy")))]
type Direct<R> = TlsLayer<TcpConnector<R>>;
/// The layers of a direct connection (this build has no TLS).
#[cfg(not(feature = "rustls"))]
type Direct<R> = TcpConnector<R>;
/// The layers of a proxied connection: TCP, TLS to an `https://` proxy, the proxy's tunnel or
/// forwarding, then TLS to the origin inside the tunnel.
#[cfg(all(feature = "rustls", feature = "proxy"))]
type Proxied<R> = TlsLayer<ProxyLayer<TlsLayer<TcpConnector<R>>>>;
/// The layers of a proxied connection (this build has no TLS).
#[cfg(all(not(feature = "rustls"), feature = "proxy"))]
type Proxied<R> = ProxyLayer<TcpConnector<R>>;

/// What the pool keys a proxied connection by: the proxy, credentials included.
#[cfg(feature = "proxy")]
pub(crate) type ProxyKey = aioduct_proxy::ProxyConfig;
/// What the pool keys a proxied connection by: nothing, since this build has no proxies (the
/// `proxy` feature is off).
#[cfg(not(feature = "proxy"))]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ProxyKey {}

/// The proxies of a client and the resolver that finds SOCKS4 and `socks5` targets.
#[cfg(feature = "proxy")]
pub(crate) type Proxies = (ProxySettings, Option<Arc<dyn Resolve>>);
/// The proxies of a client: none, since this build has no proxies.
#[cfg(not(feature = "proxy"))]
pub(crate) type Proxies = ();

/// How a request travels to its origin, as far as the pool and the request's form care.
pub(crate) struct Via<'a> {
    /// The proxy its connection goes through: connections through different proxies (or
    /// credentials) are pooled apart.
    pub(crate) proxy: Option<&'a ProxyKey>,
    /// `Some` when an HTTP proxy forwards the request, holding its `Proxy-Authorization`.
    pub(crate) forward: Option<Option<HeaderValue>>,
}

/// The connectors of one client. Direct and proxied connections take separate stacks, so TLS to
/// a proxy is only ever attempted towards a proxy.
pub(crate) struct Stack<R: Runtime> {
    direct: Direct<R>,
    #[cfg(feature = "proxy")]
    proxied: Proxied<R>,
}

impl<R: Runtime> Stack<R> {
    pub(crate) fn new(
        tcp: TcpConnector<R>,
        proxies: Proxies,
        #[cfg(feature = "rustls")] tls: aioduct_tls::RustlsConnector,
    ) -> Self {
        #[cfg(feature = "proxy")]
        let proxied = {
            let (settings, resolver) = proxies;
            // A proxy speaks HTTP/1.1 (CONNECT, forwarding) whatever the origin does.
            #[cfg(feature = "rustls")]
            let to_proxy = tls.with_alpn(true, false).layer(tcp.clone());
            #[cfg(not(feature = "rustls"))]
            let to_proxy = tcp.clone();
            let mut proxy = ProxyLayer::new(to_proxy, settings);
            if let Some(resolver) = resolver {
                proxy = proxy.resolver(resolver);
            }
            #[cfg(feature = "rustls")]
            let proxy = tls.layer(proxy);
            proxy
        };
        #[cfg(not(feature = "proxy"))]
        let () = proxies;
        #[cfg(all(feature = "rustls", feature = "proxy"))]
        let direct = tls.layer(Plain(tcp));
        #[cfg(all(feature = "rustls", not(feature = "proxy")))]
        let direct = tls.layer(tcp);
        #[cfg(not(feature = "rustls"))]
        let direct = tcp;
        Stack {
            direct,
            #[cfg(feature = "proxy")]
            proxied,
        }
    }

    /// The proxy layer, which knows how each request travels.
    #[cfg(feature = "proxy")]
    fn proxies(&self) -> &ProxyLayer<impl Connector> {
        #[cfg(feature = "rustls")]
        return self.proxied.inner();
        #[cfg(not(feature = "rustls"))]
        return &self.proxied;
    }

    /// How a request to `uri` travels: directly, tunnelled or forwarded.
    pub(crate) fn via(&self, uri: &Uri) -> Via<'_> {
        let direct = Via {
            proxy: None,
            forward: None,
        };
        #[cfg(feature = "proxy")]
        return match self.proxies().route(uri) {
            Route::Direct => direct,
            Route::Tunnel(proxy) => Via {
                proxy: Some(proxy),
                ..direct
            },
            Route::Forward(proxy) => Via {
                proxy: Some(proxy),
                forward: Some(proxy.authorization()),
            },
        };
        #[cfg(not(feature = "proxy"))]
        {
            let _ = uri;
            direct
        }
    }

    /// Connects to the origin of `dst`, through its proxy if it has one.
    pub(crate) async fn connect(&self, dst: Uri) -> Result<Connected<Io<R>>, Error> {
        let proxy = self.via(&dst).proxy;
        #[cfg(not(feature = "rustls"))]
        if proxy.is_some_and(is_https_proxy) || dst.scheme() == Some(&http::uri::Scheme::HTTPS) {
            return Err(Error::msg(
                ErrorKind::Unsupported,
                "https (to an origin or a proxy) needs TLS: enable the `rustls` feature",
            ));
        }
        match proxy {
            #[cfg(feature = "proxy")]
            Some(_) => self.proxied.connect(dst).await,
            _ => self.direct.connect(dst).await,
        }
    }
}

/// Whether a proxy is reached over TLS (`https://`).
#[cfg(not(feature = "rustls"))]
fn is_https_proxy(proxy: &ProxyKey) -> bool {
    #[cfg(feature = "proxy")]
    return proxy.kind() == aioduct_proxy::ProxyKind::Https;
    #[cfg(not(feature = "proxy"))]
    match *proxy {}
}

/// Presents a connector's stream as the plain case of [`MaybeTls`], so that direct and proxied
/// connections have one stream type.
#[cfg(all(feature = "rustls", feature = "proxy"))]
struct Plain<C>(C);

#[cfg(all(feature = "rustls", feature = "proxy"))]
impl<C: Connector> Connector for Plain<C> {
    type Io = MaybeTls<C::Io>;

    async fn connect(&self, dst: Uri) -> Result<Connected<Self::Io>, Error> {
        Ok(self.0.connect(dst).await?.map(MaybeTls::Plain))
    }
}

/// Resolves the host of a URI and opens a TCP connection to one of its addresses, racing them
/// with Happy Eyeballs.
pub(crate) struct TcpConnector<R> {
    resolver: Option<Arc<dyn Resolve>>,
    options: TcpOptions,
    attempt_timeout: Option<Duration>,
    happy_eyeballs_delay: Duration,
    runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for TcpConnector<R> {
    fn clone(&self) -> Self {
        TcpConnector {
            resolver: self.resolver.clone(),
            options: self.options.clone(),
            attempt_timeout: self.attempt_timeout,
            happy_eyeballs_delay: self.happy_eyeballs_delay,
            runtime: PhantomData,
        }
    }
}

impl<R: Runtime> TcpConnector<R> {
    pub(crate) fn new(
        resolver: Option<Arc<dyn Resolve>>,
        options: TcpOptions,
        attempt_timeout: Option<Duration>,
        happy_eyeballs_delay: Duration,
    ) -> Self {
        TcpConnector {
            resolver,
            options,
            attempt_timeout,
            happy_eyeballs_delay,
            runtime: PhantomData,
        }
    }

    async fn resolve(&self, host: &str, port: u16) -> Result<Addrs, Error> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Addrs::from(vec![SocketAddr::new(ip, port)]));
        }
        let name = Name::new(host);
        let addrs = match &self.resolver {
            Some(resolver) => resolver.resolve(name).await.map(|a| a.with_port(port)),
            None => R::resolve(name, port).await.map_err(Into::into),
        };
        match addrs {
            Ok(addrs) if !addrs.is_empty() => Ok(addrs),
            Ok(_) => Err(Error::msg(
                ErrorKind::Dns,
                format!("{host} resolved to no address"),
            )),
            Err(err) => Err(Error::new(ErrorKind::Dns, Some(err))),
        }
    }

    async fn connect_tcp(&self, dst: Uri) -> Result<Connected<R::TcpStream>, Error> {
        let host = dst
            .host()
            .ok_or_else(|| Error::msg(ErrorKind::Builder, "URL has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = dst.port_u16().unwrap_or(match dst.scheme_str() {
            Some("https") => 443,
            _ => 80,
        });

        let started = R::now();
        let addrs = self.resolve(host, port).await?;
        let resolved = R::now();

        let attempt = super::happy::connect::<R>(
            addrs.into_iter().collect(),
            &self.options,
            self.happy_eyeballs_delay,
            self.attempt_timeout,
        );
        let failures = match attempt.await {
            Ok((io, addr)) => {
                let mut info = ConnectionInfo::default();
                info.remote_addr = Some(addr);
                info.dns_time = Some(resolved.duration_since(started));
                info.connect_time = Some(R::now().duration_since(resolved));
                return Ok(Connected { io, info });
            }
            Err(failures) => failures,
        };
        let timed_out = failures
            .iter()
            .all(|(_, e)| e.kind() == io::ErrorKind::TimedOut);
        let kind = if timed_out {
            ErrorKind::Timeout
        } else {
            ErrorKind::Connect
        };
        Err(Error::new(kind, Some(ConnectFailures(failures))))
    }
}

impl<R: Runtime> Connector for TcpConnector<R> {
    type Io = R::TcpStream;

    fn connect(&self, dst: Uri) -> impl Future<Output = Result<Connected<R::TcpStream>, Error>> {
        self.connect_tcp(dst)
    }
}

/// Every address tried and why it failed.
struct ConnectFailures(Vec<(SocketAddr, io::Error)>);

impl fmt::Debug for ConnectFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for ConnectFailures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (addr, err)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{addr}: {err}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConnectFailures {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.last().map(|(_, e)| e as _)
    }
}
