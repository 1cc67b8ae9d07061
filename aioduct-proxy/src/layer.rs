//! [`ProxyLayer`]: the [`Connector`] that reaches origins through proxies.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr},
    sync::Arc,
};

use aioduct_core::{
    Addrs, Alpn, Connected, Connector, Error, ErrorKind, Name, Resolve,
    http::{HeaderValue, Uri},
};

use crate::{
    ProxyConfig, ProxyKind, ProxySettings, Route, http_connect,
    io::proxy_error,
    socks4::{self, Socks4Dest},
    socks5::{self, Socks5Dest},
    target::{Target, TargetHost},
};

/// A [`Connector`] that reaches origins through the proxies chosen by [`ProxySettings`].
///
/// For each destination it follows [`ProxySettings::route`]:
///
/// - **Direct**: the inner connector connects to the destination itself.
/// - **Forward** (a plain `http` URL through an HTTP proxy): the inner connector connects to the
///   proxy and the stream is returned as it is. The caller must then send requests in absolute
///   form with [`forward_auth`](Self::forward_auth)'s `Proxy-Authorization`.
/// - **Tunnel**: the inner connector connects to the proxy, then this layer runs HTTP CONNECT,
///   SOCKS4, SOCKS4a or SOCKS5 on the stream and returns it once it leads to the origin. The
///   CONNECT request carries only `Host` and `Proxy-Authorization`, and the proxy's reply is read
///   without taking a byte of the tunnel.
///
/// The inner connector is asked for [`ProxyConfig::uri`]: `http://proxy:port/`, or
/// `https://proxy:port/` for a proxy over TLS (so a TLS layer between this one and TCP secures
/// the hop to the proxy), or `socks5://proxy:port/` and so on. The returned
/// [`ConnectionInfo`](aioduct_core::ConnectionInfo) has `proxied` set and keeps the proxy's
/// `remote_addr`; the proxy's certificate names are dropped, and for a tunnel so is its ALPN,
/// since neither describes the origin.
///
/// SOCKS4 and `socks5` resolve destination names locally through the
/// [`resolver`](Self::resolver) and send its first address (its first IPv4 address for SOCKS4);
/// without a resolver, such a connection fails with a builder error.
/// `socks4a` and `socks5h` never resolve locally. The layer has no clock: the caller bounds the
/// whole connect with its connect timeout.
///
/// ```
/// use std::future::Future;
/// use aioduct_core::{Connected, Connector, Error, http::Uri};
/// use aioduct_proxy::{ProxyConfig, ProxyLayer};
///
/// /// The connector below: normally the runtime's TCP connector (with TLS for an https proxy).
/// struct Tcp;
///
/// impl Connector for Tcp {
///     type Io = futures_lite::io::Cursor<Vec<u8>>;
///
///     fn connect(&self, _dst: Uri) -> impl Future<Output = Result<Connected<Self::Io>, Error>> {
///         async { Ok(Connected::new(futures_lite::io::Cursor::new(Vec::new()))) }
///     }
/// }
///
/// let proxy = ProxyConfig::http("http://proxy.example:3128")?.basic_auth("user", "pass");
/// let layer = ProxyLayer::new(Tcp, proxy);
/// let page: Uri = "http://example.com/".parse().unwrap();
/// assert!(layer.is_forwarded(&page));
/// assert_eq!(layer.forward_auth(&page).unwrap(), "Basic dXNlcjpwYXNz");
/// // https is tunnelled: requests on the tunnel carry no proxy header.
/// assert!(layer.forward_auth(&"https://example.com/".parse().unwrap()).is_none());
/// # Ok::<(), Error>(())
/// ```
pub struct ProxyLayer<C> {
    inner: C,
    settings: Arc<ProxySettings>,
    resolver: Option<Arc<dyn Resolve>>,
}

impl<C> ProxyLayer<C> {
    /// Wraps `inner`, which connects to the proxies (and to origins reached directly), with the
    /// proxy choices of `settings` (a [`ProxySettings`], or one [`ProxyConfig`] for everything).
    pub fn new(inner: C, settings: impl Into<ProxySettings>) -> Self {
        ProxyLayer {
            inner,
            settings: Arc::new(settings.into()),
            resolver: None,
        }
    }

    /// Sets the resolver for destinations that SOCKS4 and `socks5` proxies need as addresses.
    pub fn resolver(mut self, resolver: Arc<dyn Resolve>) -> Self {
        self.resolver = Some(resolver);
        self
    }

    /// The inner connector.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The proxy settings.
    pub fn settings(&self) -> &ProxySettings {
        &self.settings
    }

    /// How a request to `uri` travels; see [`ProxySettings::route`]. Its
    /// [`proxy`](Route::proxy) belongs in the connection pool key.
    pub fn route(&self, uri: &Uri) -> Route<'_> {
        self.settings.route(uri)
    }

    /// True when requests to `uri` are forwarded by an HTTP proxy: the caller sends them in
    /// absolute form (`GET http://host/path HTTP/1.1`) on the connection to the proxy.
    pub fn is_forwarded(&self, uri: &Uri) -> bool {
        self.route(uri).is_forward()
    }

    /// The `Proxy-Authorization` value to add to a forwarded request to `uri`; `None` when the
    /// request is not forwarded or the proxy has no credentials. Tunnelled requests never carry
    /// it: the credentials go only into the CONNECT request.
    pub fn forward_auth(&self, uri: &Uri) -> Option<HeaderValue> {
        match self.route(uri) {
            Route::Forward(proxy) => proxy.authorization(),
            Route::Direct | Route::Tunnel(_) => None,
        }
    }
}

impl<C: Connector> Connector for ProxyLayer<C> {
    type Io = C::Io;

    async fn connect(&self, dst: Uri) -> Result<Connected<Self::Io>, Error> {
        let proxy = match self.settings.route(&dst) {
            Route::Direct => return self.inner.connect(dst).await,
            Route::Forward(proxy) => return self.connect_to_proxy(proxy, false).await,
            Route::Tunnel(proxy) => proxy,
        };
        let target = Target::of(&dst)?;
        match proxy.kind() {
            ProxyKind::Http | ProxyKind::Https => self.http_tunnel(proxy, &target).await,
            ProxyKind::Socks4 | ProxyKind::Socks4a => self.socks4(proxy, &target).await,
            ProxyKind::Socks5 | ProxyKind::Socks5h => self.socks5(proxy, &target).await,
        }
    }
}

impl<C: Connector> ProxyLayer<C> {
    async fn connect_to_proxy(
        &self,
        proxy: &ProxyConfig,
        tunnel: bool,
    ) -> Result<Connected<C::Io>, Error> {
        let mut connected = self.inner.connect(proxy.uri()).await?;
        connected.info.proxied = true;
        connected.info.peer_names = None;
        if tunnel {
            if connected.info.alpn == Alpn::Http2 {
                return Err(proxy_error(
                    "the proxy negotiated HTTP/2 by ALPN, but tunnels are opened with \
                     HTTP/1.1 CONNECT: offer only http/1.1 to the proxy",
                ));
            }
            connected.info.alpn = Alpn::None;
        }
        Ok(connected)
    }

    async fn http_tunnel(
        &self,
        proxy: &ProxyConfig,
        target: &Target,
    ) -> Result<Connected<C::Io>, Error> {
        let authority = target.authority();
        let authorization = proxy.authorization();
        let mut connected = self.connect_to_proxy(proxy, true).await?;
        http_connect::tunnel(&mut connected.io, &authority, authorization.as_ref()).await?;
        Ok(connected)
    }

    async fn socks4(
        &self,
        proxy: &ProxyConfig,
        target: &Target,
    ) -> Result<Connected<C::Io>, Error> {
        let user_id = proxy.credentials().map_or("", |c| c.user.as_str());
        socks4::check_user_id(user_id)?;
        let dest = match &target.host {
            TargetHost::Ip(IpAddr::V4(ip)) => Socks4Dest::Addr(*ip),
            TargetHost::Ip(IpAddr::V6(_)) => {
                return Err(Error::msg(
                    ErrorKind::Builder,
                    "SOCKS4 carries only IPv4 addresses: use SOCKS5 for an IPv6 destination",
                ));
            }
            TargetHost::Name(name) if proxy.kind() == ProxyKind::Socks4a => {
                socks4::check_name(name)?;
                Socks4Dest::Name(name)
            }
            TargetHost::Name(name) => Socks4Dest::Addr(self.resolve_v4(proxy, name).await?),
        };
        let mut connected = self.connect_to_proxy(proxy, true).await?;
        socks4::handshake(&mut connected.io, dest, target.port, user_id).await?;
        Ok(connected)
    }

    async fn socks5(
        &self,
        proxy: &ProxyConfig,
        target: &Target,
    ) -> Result<Connected<C::Io>, Error> {
        let credentials = proxy.credentials();
        socks5::check_credentials(credentials)?;
        let dest = match &target.host {
            TargetHost::Ip(ip) => Socks5Dest::Addr(*ip),
            TargetHost::Name(name) if proxy.kind() == ProxyKind::Socks5h => {
                socks5::check_name(name)?;
                Socks5Dest::Name(name)
            }
            TargetHost::Name(name) => {
                // `resolve` never returns an empty list; the resolver's first choice wins.
                let addrs = self.resolve(proxy, name).await?;
                Socks5Dest::Addr(addrs.as_slice()[0].ip())
            }
        };
        let mut connected = self.connect_to_proxy(proxy, true).await?;
        socks5::handshake(&mut connected.io, dest, target.port, credentials).await?;
        Ok(connected)
    }

    /// Resolves a destination name for a proxy that takes only addresses.
    async fn resolve(&self, proxy: &ProxyConfig, name: &str) -> Result<Addrs, Error> {
        let Some(resolver) = &self.resolver else {
            let remote = match proxy.kind() {
                ProxyKind::Socks4 => "socks4a",
                _ => "socks5h",
            };
            return Err(Error::msg(
                ErrorKind::Builder,
                format!(
                    "a {} proxy needs destination names resolved locally, and this ProxyLayer \
                     has no resolver: set one, or use {remote} to let the proxy resolve",
                    proxy.kind().scheme()
                ),
            ));
        };
        let addrs = resolver
            .resolve(Name::new(name))
            .await
            .map_err(|err| Error::new(ErrorKind::Dns, Some(err)))?;
        if addrs.is_empty() {
            return Err(Error::msg(
                ErrorKind::Dns,
                format!("{name} resolved to no address"),
            ));
        }
        Ok(addrs)
    }

    async fn resolve_v4(&self, proxy: &ProxyConfig, name: &str) -> Result<Ipv4Addr, Error> {
        let addrs = self.resolve(proxy, name).await?;
        addrs
            .into_iter()
            .find_map(|addr| match addr.ip().to_canonical() {
                IpAddr::V4(ip) => Some(ip),
                IpAddr::V6(_) => None,
            })
            .ok_or_else(|| {
                Error::msg(
                    ErrorKind::Dns,
                    format!("{name} has no IPv4 address, and SOCKS4 carries only IPv4"),
                )
            })
    }
}

impl<C: Clone> Clone for ProxyLayer<C> {
    fn clone(&self) -> Self {
        ProxyLayer {
            inner: self.inner.clone(),
            settings: self.settings.clone(),
            resolver: self.resolver.clone(),
        }
    }
}

impl<C: fmt::Debug> fmt::Debug for ProxyLayer<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyLayer")
            .field("inner", &self.inner)
            .field("settings", &self.settings)
            .field("resolver", &self.resolver.as_ref().map(|_| "..."))
            .finish()
    }
}

#[cfg(test)]
mod tests;
