//! [`ProxySettings`]: which proxy, if any, serves each request; [`Route`]: how.

use aioduct_core::http::Uri;

use crate::{NoProxy, ProxyConfig, no_proxy::is_secure};

/// Which proxy serves which request.
///
/// A proxy for `http` (and `ws`) requests, one for `https` (and `wss`), and one for all requests
/// that have no scheme-specific proxy; plus a NO_PROXY list of hosts reached directly (each
/// [`ProxyConfig`] may carry its own list as well). The default is no proxy at all.
///
/// ```
/// use aioduct_proxy::{NoProxy, ProxyConfig, ProxySettings};
///
/// let settings = ProxySettings::new()
///     .http(ProxyConfig::http("http://web-proxy:3128")?)
///     .all(ProxyConfig::socks5h("socks5h://tunnel:1080")?)
///     .no_proxy(NoProxy::parse("localhost, 127.0.0.0/8"));
///
/// let to = |url: &str| settings.proxy_for(&url.parse().unwrap()).map(|p| p.host().to_owned());
/// assert_eq!(to("http://example.com/").as_deref(), Some("web-proxy"));
/// assert_eq!(to("https://example.com/").as_deref(), Some("tunnel"));
/// assert_eq!(to("http://127.0.0.1:8080/"), None);
/// # Ok::<(), aioduct_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    http: Option<ProxyConfig>,
    https: Option<ProxyConfig>,
    all: Option<ProxyConfig>,
    no_proxy: NoProxy,
}

impl ProxySettings {
    /// No proxy for any request.
    pub fn new() -> Self {
        ProxySettings::default()
    }

    /// Uses `proxy` for `http` and `ws` requests.
    pub fn http(mut self, proxy: ProxyConfig) -> Self {
        self.http = Some(proxy);
        self
    }

    /// Uses `proxy` for `https` and `wss` requests.
    pub fn https(mut self, proxy: ProxyConfig) -> Self {
        self.https = Some(proxy);
        self
    }

    /// Uses `proxy` for every request that has no scheme-specific proxy.
    pub fn all(mut self, proxy: ProxyConfig) -> Self {
        self.all = Some(proxy);
        self
    }

    /// Reaches the hosts of `no_proxy` directly, whichever proxy would serve them.
    pub fn no_proxy(mut self, no_proxy: NoProxy) -> Self {
        self.no_proxy = no_proxy;
        self
    }

    /// Reads the proxy settings of the process environment; see
    /// [`from_env_with`](Self::from_env_with).
    pub fn from_env() -> Self {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// Reads proxy settings through `var`, which returns an environment variable's value.
    ///
    /// - `http_proxy`/`HTTP_PROXY`: the proxy for `http` requests.
    /// - `https_proxy`/`HTTPS_PROXY`: the proxy for `https` requests.
    /// - `all_proxy`/`ALL_PROXY`: the proxy for requests without one of the above.
    /// - `no_proxy`/`NO_PROXY`: hosts reached directly ([`NoProxy`] syntax).
    ///
    /// The lowercase name wins when both are set. Uppercase `HTTP_PROXY` is ignored when
    /// `REQUEST_METHOD` is set: in a CGI program, `HTTP_PROXY` can come from a request's `Proxy`
    /// header ("httpoxy"), so it must not choose the proxy. Values use [`ProxyConfig::all`]'s
    /// syntax (no scheme means `http`); empty values and values that do not parse are ignored.
    ///
    /// ```
    /// use aioduct_proxy::ProxySettings;
    ///
    /// let settings = ProxySettings::from_env_with(|name| match name {
    ///     "HTTPS_PROXY" => Some("http://proxy.corp:3128".into()),
    ///     "NO_PROXY" => Some(".corp".into()),
    ///     _ => None,
    /// });
    /// let proxy = settings.proxy_for(&"https://example.com/".parse().unwrap()).unwrap();
    /// assert_eq!(proxy.host(), "proxy.corp");
    /// assert!(settings.proxy_for(&"https://wiki.corp/".parse().unwrap()).is_none());
    /// ```
    pub fn from_env_with(var: impl Fn(&str) -> Option<String>) -> Self {
        let non_empty = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let cgi = var("REQUEST_METHOD").is_some();
        let read = |lower: &str, upper: &str, upper_allowed: bool| {
            non_empty(lower)
                .or_else(|| upper_allowed.then(|| non_empty(upper)).flatten())
                .and_then(|url| ProxyConfig::all(url).ok())
        };
        ProxySettings {
            http: read("http_proxy", "HTTP_PROXY", !cgi),
            https: read("https_proxy", "HTTPS_PROXY", true),
            all: read("all_proxy", "ALL_PROXY", true),
            no_proxy: non_empty("no_proxy")
                .or_else(|| non_empty("NO_PROXY"))
                .map(|list| NoProxy::parse(&list))
                .unwrap_or_default(),
        }
    }

    /// True when no proxy is configured.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none() && self.all.is_none()
    }

    /// The proxy for a request to `uri`, or `None` to connect directly (no proxy configured for
    /// its scheme, or its host is in a NO_PROXY list).
    pub fn proxy_for(&self, uri: &Uri) -> Option<&ProxyConfig> {
        let scheme_proxy = if is_secure(uri) {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        };
        let proxy = scheme_proxy.or(self.all.as_ref())?;
        let bypass = self.no_proxy.matches_uri(uri) || proxy.no_proxy_list().matches_uri(uri);
        (!bypass).then_some(proxy)
    }

    /// How a request to `uri` travels: directly, forwarded by an HTTP proxy, or through a tunnel.
    pub fn route(&self, uri: &Uri) -> Route<'_> {
        let Some(proxy) = self.proxy_for(uri) else {
            return Route::Direct;
        };
        let plain_http = uri
            .scheme_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("http"));
        if proxy.kind().is_http() && plain_http && !proxy.is_tunnel_always() {
            Route::Forward(proxy)
        } else {
            Route::Tunnel(proxy)
        }
    }
}

impl From<ProxyConfig> for ProxySettings {
    /// Uses one proxy for every request.
    fn from(proxy: ProxyConfig) -> Self {
        ProxySettings::new().all(proxy)
    }
}

/// How a request travels, as decided by [`ProxySettings::route`].
///
/// ```
/// use aioduct_proxy::{ProxyConfig, ProxySettings, Route};
///
/// let settings = ProxySettings::from(ProxyConfig::http("proxy:3128")?);
/// let route = settings.route(&"http://example.com/".parse().unwrap());
/// assert!(route.is_forward());
/// assert!(matches!(settings.route(&"https://example.com/".parse().unwrap()), Route::Tunnel(_)));
/// # Ok::<(), aioduct_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route<'a> {
    /// Straight to the origin: no proxy, or the host is in NO_PROXY.
    Direct,
    /// To an HTTP proxy that forwards the request: a plain `http` URL through an `http` or
    /// `https` proxy. The connection goes to the proxy and carries no tunnel; requests on it are
    /// sent in absolute form (`GET http://host/path`) with the proxy's `Proxy-Authorization`.
    Forward(&'a ProxyConfig),
    /// Through a tunnel to the origin: HTTP CONNECT or SOCKS. Requests on it are ordinary
    /// origin requests, with no proxy header.
    Tunnel(&'a ProxyConfig),
}

impl<'a> Route<'a> {
    /// The proxy used, if any.
    pub fn proxy(&self) -> Option<&'a ProxyConfig> {
        match *self {
            Route::Direct => None,
            Route::Forward(proxy) | Route::Tunnel(proxy) => Some(proxy),
        }
    }

    /// True when an HTTP proxy forwards the requests (absolute form, no tunnel).
    pub fn is_forward(&self) -> bool {
        matches!(self, Route::Forward(_))
    }
}

#[cfg(test)]
mod tests;
