//! [`ProxyConfig`]: one proxy, parsed from its URL, and [`ProxyKind`], the protocol it speaks.

use std::{fmt, sync::Arc};

use aioduct_core::{
    Error, ErrorKind,
    http::{HeaderValue, Uri, uri::Authority},
};
use base64::{Engine as _, engine::general_purpose::STANDARD as BASE64};
use percent_encoding::percent_decode_str;

use crate::NoProxy;

/// The protocol a proxy speaks.
///
/// ```
/// use aioduct_proxy::ProxyKind;
///
/// assert_eq!(ProxyKind::from_scheme("SOCKS5h"), Some(ProxyKind::Socks5h));
/// assert_eq!(ProxyKind::Socks4a.scheme(), "socks4a");
/// assert!(ProxyKind::Https.is_http());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyKind {
    /// An HTTP proxy over plain TCP: forwards `http` requests, tunnels others with CONNECT.
    Http,
    /// An HTTP proxy reached over TLS (`https://` proxy URL); the facade puts the TLS layer below
    /// the proxy layer.
    Https,
    /// SOCKS4: IPv4 addresses only, names resolved locally.
    Socks4,
    /// SOCKS4a: names resolved by the proxy.
    Socks4a,
    /// SOCKS5 with names resolved locally (`socks5://`, as curl).
    Socks5,
    /// SOCKS5 with names resolved by the proxy (`socks5h://`): no local DNS at all.
    Socks5h,
}

impl ProxyKind {
    /// Reads a proxy URL scheme, ignoring case.
    pub fn from_scheme(scheme: &str) -> Option<Self> {
        const KINDS: [ProxyKind; 6] = [
            ProxyKind::Http,
            ProxyKind::Https,
            ProxyKind::Socks4,
            ProxyKind::Socks4a,
            ProxyKind::Socks5,
            ProxyKind::Socks5h,
        ];
        KINDS
            .into_iter()
            .find(|kind| kind.scheme().eq_ignore_ascii_case(scheme))
    }

    /// The URL scheme of this kind of proxy.
    pub fn scheme(self) -> &'static str {
        match self {
            ProxyKind::Http => "http",
            ProxyKind::Https => "https",
            ProxyKind::Socks4 => "socks4",
            ProxyKind::Socks4a => "socks4a",
            ProxyKind::Socks5 => "socks5",
            ProxyKind::Socks5h => "socks5h",
        }
    }

    /// True for HTTP proxies (`http` and `https`), which forward or CONNECT.
    pub fn is_http(self) -> bool {
        matches!(self, ProxyKind::Http | ProxyKind::Https)
    }

    /// True for the SOCKS protocols.
    pub fn is_socks(self) -> bool {
        !self.is_http()
    }
}

/// One proxy: its protocol, address, credentials, and the hosts that bypass it.
///
/// Made from a URL `scheme://[user[:password]@]host:port[/]`. The port is required. Credentials
/// in the URL are percent-decoded; [`basic_auth`](ProxyConfig::basic_auth) sets them too.
///
/// Two configurations are equal (and hash alike) only when everything in them is: protocol,
/// address, credentials, tunnelling and NO_PROXY list. That makes a `ProxyConfig` usable in a
/// connection pool key: two different proxies never share a connection. Clones are cheap.
/// `Debug` never shows the password.
///
/// ```
/// use aioduct_proxy::{NoProxy, ProxyConfig, ProxyKind};
///
/// let proxy = ProxyConfig::socks5("socks5://proxy.example.com:1080")?.basic_auth("user", "pass");
/// assert_eq!(proxy.kind(), ProxyKind::Socks5);
/// assert_eq!(proxy.username(), Some("user"));
///
/// let corporate = ProxyConfig::all("http://me:s%40cret@proxy.corp:3128")?
///     .no_proxy(NoProxy::parse("localhost, .corp"));
/// assert_eq!(corporate.port(), 3128);
/// assert_eq!(corporate.uri(), "http://proxy.corp:3128/");
/// assert!(!format!("{corporate:?}").contains("s@cret"));
///
/// assert!(ProxyConfig::http("http://no-port.example").unwrap_err().is_builder());
/// # Ok::<(), aioduct_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyConfig {
    inner: Arc<Inner>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Inner {
    kind: ProxyKind,
    /// Lower case; IPv6 in brackets, as in a URL.
    host: String,
    port: u16,
    credentials: Option<Credentials>,
    no_proxy: NoProxy,
    tunnel_always: bool,
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Credentials {
    pub(crate) user: String,
    pub(crate) password: String,
}

impl ProxyConfig {
    /// An HTTP proxy: `http://host:port` (the scheme may be left out).
    pub fn http(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), Some(ProxyKind::Http))
    }

    /// An HTTP proxy reached over TLS: `https://host:port` (the scheme may be left out).
    pub fn https(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), Some(ProxyKind::Https))
    }

    /// A SOCKS4 proxy: `socks4://host:port`. SOCKS4 carries only IPv4 addresses, so host names
    /// are resolved locally; the user name, if any, is sent as the SOCKS4 user id.
    pub fn socks4(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), Some(ProxyKind::Socks4))
    }

    /// A SOCKS4a proxy: `socks4a://host:port`. Host names are resolved by the proxy.
    pub fn socks4a(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), Some(ProxyKind::Socks4a))
    }

    /// A SOCKS5 proxy resolving names locally: `socks5://host:port`.
    pub fn socks5(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), Some(ProxyKind::Socks5))
    }

    /// A SOCKS5 proxy resolving names itself: `socks5h://host:port`. No destination name is ever
    /// resolved locally.
    pub fn socks5h(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), Some(ProxyKind::Socks5h))
    }

    /// A proxy of the kind named by the URL's scheme: `http`, `https`, `socks4`, `socks4a`,
    /// `socks5` or `socks5h`. A URL without a scheme is an HTTP proxy, as in curl.
    pub fn all(url: impl AsRef<str>) -> Result<Self, Error> {
        Self::parse(url.as_ref(), None)
    }

    /// Sets the credentials: Basic `Proxy-Authorization` for HTTP proxies, RFC 1929
    /// username/password for SOCKS5, the user id for SOCKS4.
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.inner).credentials = Some(Credentials {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// Sets the hosts that bypass this proxy.
    pub fn no_proxy(mut self, no_proxy: NoProxy) -> Self {
        Arc::make_mut(&mut self.inner).no_proxy = no_proxy;
        self
    }

    /// Tunnels every request through an HTTP proxy with CONNECT, plain `http` ones included,
    /// instead of forwarding those (curl's `--proxytunnel`). No effect on SOCKS proxies, which
    /// always tunnel.
    pub fn tunnel_always(mut self) -> Self {
        Arc::make_mut(&mut self.inner).tunnel_always = true;
        self
    }

    /// The protocol.
    pub fn kind(&self) -> ProxyKind {
        self.inner.kind
    }

    /// The proxy's host, lower case; an IPv6 address is in brackets.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.inner.port
    }

    /// The user name, when credentials are set.
    pub fn username(&self) -> Option<&str> {
        self.inner.credentials.as_ref().map(|c| c.user.as_str())
    }

    /// True when CONNECT is used for every request ([`tunnel_always`](Self::tunnel_always)).
    pub fn is_tunnel_always(&self) -> bool {
        self.inner.tunnel_always
    }

    /// The hosts that bypass this proxy.
    pub fn no_proxy_list(&self) -> &NoProxy {
        &self.inner.no_proxy
    }

    /// The URI the proxy layer asks its inner connector for: `scheme://host:port/`, without
    /// credentials. The scheme is the proxy's own (`https` for a proxy over TLS, so a TLS layer
    /// below runs the handshake with the proxy; `socks5` and so on for SOCKS, which a TLS layer
    /// passes through).
    pub fn uri(&self) -> Uri {
        let text = format!(
            "{}://{}:{}/",
            self.kind().scheme(),
            self.host(),
            self.port()
        );
        text.parse()
            .expect("a proxy URI made from a parsed authority is valid")
    }

    /// The `Proxy-Authorization: Basic ...` value for an HTTP proxy with credentials, marked
    /// sensitive. `None` without credentials or for SOCKS proxies.
    pub fn authorization(&self) -> Option<HeaderValue> {
        if !self.kind().is_http() {
            return None;
        }
        let Credentials { user, password } = self.inner.credentials.as_ref()?;
        let token = BASE64.encode(format!("{user}:{password}"));
        let mut value = HeaderValue::from_str(&format!("Basic {token}"))
            .expect("base64 is a valid header value");
        value.set_sensitive(true);
        Some(value)
    }

    pub(crate) fn credentials(&self) -> Option<&Credentials> {
        self.inner.credentials.as_ref()
    }

    fn parse(url: &str, want: Option<ProxyKind>) -> Result<Self, Error> {
        let url = url.trim();
        let (kind, rest) = match url.split_once("://") {
            Some((scheme, rest)) => {
                let kind = ProxyKind::from_scheme(scheme).ok_or_else(|| {
                    builder(format!("unsupported proxy scheme {scheme:?}: use http, https, socks4, socks4a, socks5 or socks5h"))
                })?;
                if let Some(want) = want.filter(|&want| want != kind) {
                    return Err(builder(format!(
                        "a {} proxy URL must use the {}:// scheme, not {scheme}:// \
                         (ProxyConfig::all takes the kind from the URL)",
                        want.scheme(),
                        want.scheme()
                    )));
                }
                (kind, rest)
            }
            None => (want.unwrap_or(ProxyKind::Http), url),
        };
        let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        if !(path.is_empty() || path == "/") {
            return Err(builder("a proxy URL has no path, query or fragment"));
        }
        let (userinfo, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => (Some(userinfo), host_port),
            None => (None, authority),
        };
        let parsed: Authority = host_port
            .parse()
            .map_err(|err| Error::new(ErrorKind::Builder, Some(err)))?;
        let host = parsed.host();
        if host.is_empty() {
            return Err(builder("proxy URL has no host"));
        }
        let port = match parsed.port_u16() {
            Some(0) => return Err(builder("proxy URL has port 0")),
            Some(port) => port,
            None => return Err(builder("proxy URL has no port")),
        };
        Ok(ProxyConfig {
            inner: Arc::new(Inner {
                kind,
                host: host.to_ascii_lowercase(),
                port,
                credentials: userinfo.map(parse_userinfo).transpose()?.flatten(),
                no_proxy: NoProxy::new(),
                tunnel_always: false,
            }),
        })
    }
}

/// `user[:password]`, percent-decoded; an empty user and password is no credentials.
fn parse_userinfo(userinfo: &str) -> Result<Option<Credentials>, Error> {
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let decode = |text: &str| {
        percent_decode_str(text)
            .decode_utf8()
            .map(|text| text.into_owned())
            .map_err(|_| builder("proxy credentials are not UTF-8 once percent-decoded"))
    };
    let (user, password) = (decode(user)?, decode(password)?);
    Ok((!user.is_empty() || !password.is_empty()).then_some(Credentials { user, password }))
}

fn builder(message: impl Into<String>) -> Error {
    Error::msg(ErrorKind::Builder, message)
}

impl fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ProxyConfig");
        d.field("kind", &self.inner.kind)
            .field("host", &self.inner.host)
            .field("port", &self.inner.port);
        if let Some(credentials) = &self.inner.credentials {
            d.field("user", &credentials.user)
                .field("password", &"<redacted>");
        }
        if self.inner.tunnel_always {
            d.field("tunnel_always", &true);
        }
        if !self.inner.no_proxy.is_empty() {
            d.field("no_proxy", &self.inner.no_proxy);
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests;
