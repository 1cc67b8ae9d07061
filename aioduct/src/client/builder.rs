//! The client builder: every setting, and the wiring of the transport, proxies and TLS. The
//! settings of each built-in middleware live in a child module of their own.

mod auth;
#[cfg(feature = "cookies")]
mod cookies;
#[cfg(any(
    feature = "gzip",
    feature = "deflate",
    feature = "brotli",
    feature = "zstd"
))]
mod decompress;
#[cfg(feature = "hsts")]
mod hsts;
mod limit;
mod retry;

use std::{fmt, net::IpAddr, sync::Arc, time::Duration};

use aioduct_core::{Middleware, Resolve, TcpOptions};
use aioduct_pool::Pool;
#[cfg(feature = "proxy")]
use aioduct_proxy::{ProxyConfig, ProxySettings};
use http::{
    HeaderMap, HeaderValue,
    header::{ACCEPT, USER_AGENT},
};

use super::{
    Chain, Client, InlineBuiltins, Inner, TransportFn,
    builtins::{Builtins, Stage},
    plan_additions,
};
use crate::{
    Http2Config, HttpRuntime, SendRuntime,
    transport::{Stack, TcpConnector, Transport},
};

/// Configures and builds a [`Client`].
///
/// ```
/// use std::time::Duration;
/// use aioduct::Client;
/// use aioduct::runtime::TokioRuntime;
///
/// let client = Client::<TokioRuntime>::builder()
///     .timeout(Duration::from_secs(30))
///     .connect_timeout(Duration::from_secs(5))
///     .pool_idle_timeout(Duration::from_secs(90))
///     .pool_max_idle_per_host(10)
///     .tcp_keepalive(Duration::from_secs(60))
///     .user_agent("my-app/1.0")
///     .build();
/// # drop(client);
/// ```
#[must_use]
pub struct ClientBuilder<R: HttpRuntime> {
    default_headers: HeaderMap,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    pool: aioduct_pool::Config,
    tcp: TcpOptions,
    resolver: Option<Arc<dyn Resolve>>,
    http2: Http2Config,
    http1_only: bool,
    http2_prior_knowledge: bool,
    reuse: bool,
    redirect: Option<aioduct_middleware::redirect::Policy>,
    https_only: bool,
    builtins: Builtins,
    /// Response decoding, on by default; its settings are in builder/decompress.rs.
    decompression: super::Decompression,
    happy_eyeballs_delay: Duration,
    middleware: Vec<Arc<dyn Middleware>>,
    transport_fn: Option<TransportFn<R>>,
    /// `None` until set: then the environment's proxies are read at `build`.
    #[cfg(feature = "proxy")]
    proxies: Option<ProxySettings>,
    #[cfg(feature = "rustls")]
    tls: Option<aioduct_tls::RustlsConnector>,
    runtime: std::marker::PhantomData<fn() -> R>,
}

impl<R: HttpRuntime> Default for ClientBuilder<R> {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl<R: HttpRuntime> fmt::Debug for ClientBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("default_headers", &self.default_headers)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<R: HttpRuntime> ClientBuilder<R> {
    /// The default settings: a `User-Agent` of `aioduct/<version>`, `Accept: */*`, no timeouts,
    /// idle connections kept 90 seconds, TCP_NODELAY on.
    pub fn new() -> Self {
        let mut default_headers = HeaderMap::with_capacity(2);
        default_headers.insert(
            USER_AGENT,
            HeaderValue::from_static(concat!("aioduct/", env!("CARGO_PKG_VERSION"))),
        );
        default_headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
        ClientBuilder {
            default_headers,
            timeout: None,
            connect_timeout: None,
            read_timeout: None,
            pool: aioduct_pool::Config::default(),
            tcp: TcpOptions::default(),
            resolver: None,
            http2: Http2Config::default(),
            http1_only: false,
            http2_prior_knowledge: false,
            reuse: true,
            redirect: Some(aioduct_middleware::redirect::Policy::limited(10)),
            https_only: false,
            builtins: Builtins::default(),
            decompression: super::Decompression::new(),
            happy_eyeballs_delay: Duration::from_millis(250),
            middleware: Vec::new(),
            transport_fn: None,
            #[cfg(feature = "proxy")]
            proxies: None,
            #[cfg(feature = "rustls")]
            tls: None,
            runtime: std::marker::PhantomData,
        }
    }

    /// Bounds each whole exchange, from sending to the end of the response body.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Bounds connecting: each TCP attempt, and DNS + TCP + TLS together.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Bounds each wait for the next bytes of a response body.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = Some(timeout);
        self
    }

    /// How long an idle connection is kept for reuse.
    pub fn pool_idle_timeout(mut self, timeout: Duration) -> Self {
        self.pool.idle_timeout = Some(timeout);
        self
    }

    /// The most idle connections kept per host.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool.max_idle_per_key = max;
        self
    }

    /// The most connections open at once per host; further requests wait for one to free up.
    pub fn pool_max_per_host(mut self, max: usize) -> Self {
        self.pool.max_per_key = Some(max);
        self
    }

    /// Opens a new connection for every request and closes it afterwards.
    pub fn no_connection_reuse(mut self) -> Self {
        self.reuse = false;
        self
    }

    /// Turns on TCP keepalive, probing after `idle` without traffic.
    pub fn tcp_keepalive(mut self, idle: Duration) -> Self {
        self.tcp.keepalive = Some(idle);
        self
    }

    /// The time between TCP keepalive probes.
    pub fn tcp_keepalive_interval(mut self, interval: Duration) -> Self {
        self.tcp.keepalive_interval = Some(interval);
        self
    }

    /// Unanswered keepalive probes before the connection is dropped.
    pub fn tcp_keepalive_retries(mut self, retries: u32) -> Self {
        self.tcp.keepalive_retries = Some(retries);
        self
    }

    /// Sets TCP_NODELAY (on by default).
    pub fn tcp_nodelay(mut self, enabled: bool) -> Self {
        self.tcp.nodelay = enabled;
        self
    }

    /// Uses TCP Fast Open where the platform has it (Linux).
    pub fn tcp_fast_open(mut self, enabled: bool) -> Self {
        self.tcp.fast_open = enabled;
        self
    }

    /// Binds outgoing connections to this local address.
    pub fn local_address(mut self, address: impl Into<Option<IpAddr>>) -> Self {
        self.tcp.local_address = address.into();
        self
    }

    /// Binds outgoing connections to a network interface (Linux).
    pub fn interface(mut self, interface: impl Into<String>) -> Self {
        self.tcp.interface = Some(interface.into());
        self
    }

    /// Headers sent with every request, unless the request sets them itself.
    ///
    /// A request carries at most 10,000 headers, its own and these together: with more, each
    /// request of the client fails with a builder error.
    pub fn default_headers(mut self, headers: HeaderMap) -> Self {
        for (name, value) in headers.iter() {
            // A map full with these is far past the limit that fails every request anyway.
            if self
                .default_headers
                .try_insert(name, value.clone())
                .is_err()
            {
                break;
            }
        }
        self
    }

    /// The `User-Agent` header. An invalid value (CR, LF, NUL) is ignored and the default kept.
    pub fn user_agent(mut self, user_agent: impl TryInto<HeaderValue>) -> Self {
        if let Ok(value) = user_agent.try_into() {
            self.default_headers.insert(USER_AGENT, value);
        }
        self
    }

    /// How long a connection attempt may go unanswered before the next address of the host is
    /// tried in parallel (Happy Eyeballs, RFC 8305; 250 ms by default).
    pub fn happy_eyeballs_delay(mut self, delay: Duration) -> Self {
        self.happy_eyeballs_delay = delay;
        self
    }

    /// Resolves host names with `resolver` instead of the runtime's system resolver.
    pub fn resolver(mut self, resolver: impl Resolve + 'static) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// Sends every request through `proxy` (except hosts in its NO_PROXY list). Needs the
    /// `proxy` feature (on by default).
    ///
    /// Without this, [`proxies`](ClientBuilder::proxies) or [`no_proxy`](ClientBuilder::no_proxy),
    /// the client reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` from the
    /// environment when built (lower-case names first; `HTTP_PROXY` is ignored under CGI, when
    /// `REQUEST_METHOD` is set).
    ///
    /// ```
    /// use aioduct::{Client, ProxyConfig, runtime::TokioRuntime};
    ///
    /// let client = Client::<TokioRuntime>::builder()
    ///     .proxy(ProxyConfig::socks5("socks5://127.0.0.1:1080")?.basic_auth("user", "pass"))
    ///     .build();
    /// # drop(client);
    /// # Ok::<(), aioduct::Error>(())
    /// ```
    #[cfg(feature = "proxy")]
    pub fn proxy(mut self, proxy: ProxyConfig) -> Self {
        self.proxies = Some(ProxySettings::from(proxy));
        self
    }

    /// Chooses proxies per scheme, with a NO_PROXY list. Needs the `proxy` feature.
    #[cfg(feature = "proxy")]
    pub fn proxies(mut self, proxies: ProxySettings) -> Self {
        self.proxies = Some(proxies);
        self
    }

    /// Uses no proxy at all, whatever the environment says. A build without the `proxy`
    /// feature never uses one, and there this changes nothing.
    pub fn no_proxy(self) -> Self {
        #[cfg(feature = "proxy")]
        return ClientBuilder {
            proxies: Some(ProxySettings::new()),
            ..self
        };
        #[cfg(not(feature = "proxy"))]
        self
    }

    /// Speaks only HTTP/1.1: HTTP/2 is not offered in ALPN.
    pub fn http1_only(mut self) -> Self {
        self.http1_only = true;
        self
    }

    /// Speaks HTTP/2 to `http://` URLs without negotiating (h2c with prior knowledge).
    pub fn http2_prior_knowledge(mut self) -> Self {
        self.http2_prior_knowledge = true;
        self
    }

    /// HTTP/2 settings.
    pub fn http2(mut self, config: Http2Config) -> Self {
        self.http2 = config;
        self
    }

    /// The most redirects to follow (10 by default); `0` returns 3xx responses as they are.
    /// Shorthand for `redirect(Policy::limited(max))`.
    ///
    /// Redirects are followed by middleware, so on runtimes without `Send` request futures
    /// (compio) 3xx responses are always returned as they are.
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.redirect = Some(aioduct_middleware::redirect::Policy::limited(max));
        self
    }

    /// Which redirects to follow; see [`redirect::Policy`](crate::redirect::Policy). A request
    /// overrides it with `RequestBuilder::extension(policy)`.
    ///
    /// Whatever the policy, a hop to another origin (scheme, host or port) drops the
    /// credentials the request carried (`Authorization`, `Cookie`, `Proxy-Authorization`, URL
    /// user information), for the rest of the chain.
    pub fn redirect(mut self, policy: aioduct_middleware::redirect::Policy) -> Self {
        self.redirect = Some(policy);
        self
    }

    /// Refuses to send anything but `https://` requests, redirect targets included: an `http://`
    /// URL is a builder error, a redirect to one a redirect error. (It is checked before HSTS
    /// could upgrade the URL.)
    pub fn https_only(mut self, enabled: bool) -> Self {
        self.https_only = enabled;
        self
    }

    /// The TLS configuration for `https://` URLs.
    #[cfg(feature = "rustls")]
    pub fn tls(mut self, tls: aioduct_tls::RustlsConnector) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Client<R> {
        let mut pool = self.pool;
        if !self.reuse {
            pool.max_idle_per_key = 0;
        }
        // SOCKS4 and `socks5` proxies need addresses: the client's resolver, or the runtime's.
        #[cfg(feature = "proxy")]
        let proxies = (
            self.proxies.unwrap_or_else(ProxySettings::from_env),
            self.resolver
                .clone()
                .or_else(<R as HttpRuntime>::shared_resolver),
        );
        #[cfg(not(feature = "proxy"))]
        let proxies = ();
        let tcp = TcpConnector::new(
            self.resolver,
            self.tcp,
            self.connect_timeout,
            self.happy_eyeballs_delay,
        );
        #[cfg(feature = "rustls")]
        let stack = {
            let tls = self.tls.unwrap_or_else(default_tls);
            let tls = if self.http1_only {
                tls.with_alpn(true, false)
            } else {
                tls
            };
            Stack::new(tcp, proxies, tls)
        };
        #[cfg(not(feature = "rustls"))]
        let stack = {
            let _ = self.http1_only;
            Stack::new(tcp, proxies)
        };
        let redirect = self.redirect.map(|policy| {
            aioduct_middleware::redirect::Redirect::new(policy).https_only(self.https_only)
        });
        // Decompression is on unless every coding was switched off (builder/decompress.rs).
        let decompression = self.decompression;
        let transport = Transport {
            pool: Pool::new(pool),
            stack,
            settings: R::settings(&self.http2),
            connect_timeout: self.connect_timeout,
            reuse: self.reuse,
            tls_offers_h2: !self.http1_only,
        };
        // `transport_fn` is set by what adds middleware, so a client without any links no boxed
        // transport.
        let chain = match self.transport_fn {
            // Other middleware: the whole chain boxed, in its documented order.
            Some(transport) if !(self.builtins.is_empty() && self.middleware.is_empty()) => {
                let mut builtins = self.builtins;
                if let Some(redirect) = redirect {
                    builtins.set(Stage::Redirect, redirect);
                }
                if decompression.is_enabled() {
                    builtins.set(Stage::Decompression, decompression);
                }
                Chain::Dyn {
                    list: builtins.into_chain().chain(self.middleware).collect(),
                    transport,
                }
            }
            _ if redirect.is_none() && !decompression.is_enabled() => Chain::None,
            _ => Chain::Inline(InlineBuiltins {
                redirect: redirect.unwrap_or_else(|| {
                    aioduct_middleware::redirect::Redirect::new(
                        aioduct_middleware::redirect::Policy::none(),
                    )
                }),
                decompression,
            }),
        };
        let (additions, early_defaults) = plan_additions(&chain, &self.default_headers);
        Client {
            inner: Arc::new(Inner {
                transport,
                chain,
                default_headers: self.default_headers,
                additions,
                early_defaults,
                timeout: self.timeout,
                read_timeout: self.read_timeout,
                http2_prior_knowledge: self.http2_prior_knowledge,
            }),
        }
    }
}

impl<R: SendRuntime> ClientBuilder<R> {
    /// Adds a middleware; the first added is the outermost (sees the request first and the
    /// response last).
    ///
    /// Middleware needs a runtime whose request futures are `Send` (tokio, smol). A client
    /// without middleware pays nothing for this feature: no boxing, no extra call.
    ///
    /// ```
    /// use aioduct::{Client, core::{BoxFuture, Next, Request, Response}};
    /// use aioduct::runtime::TokioRuntime;
    ///
    /// fn tag<'a>(mut req: Request, next: Next<'a>) -> BoxFuture<'a, aioduct::Result<Response>> {
    ///     req.headers_mut().insert("x-client", "docs".parse().unwrap());
    ///     next.run(req)
    /// }
    ///
    /// let client = Client::<TokioRuntime>::builder().middleware(tag).build();
    /// # drop(client);
    /// ```
    pub fn middleware(mut self, middleware: impl Middleware) -> Self {
        self.middleware.push(Arc::new(middleware));
        self.transport_fn = Some(R::transport_boxed);
        self
    }

    /// Switches on a built-in middleware at its place in the chain.
    pub(super) fn set_builtin(mut self, stage: Stage, middleware: impl Middleware) -> Self {
        self.builtins.set(stage, middleware);
        self.transport_fn = Some(R::transport_boxed);
        self
    }

    /// Switches off a built-in middleware.
    #[cfg_attr(not(feature = "cookies"), allow(dead_code))]
    pub(super) fn clear_builtin(mut self, stage: Stage) -> Self {
        self.builtins.clear(stage);
        self
    }

    /// The runtime's timer, for middleware that waits.
    pub(super) fn timer() -> Arc<dyn aioduct_middleware::Timer> {
        R::timer()
    }
}

/// The TLS configuration of [`Client::new`]: the webpki roots, and the system's with the
/// `rustls-native-roots` feature.
#[cfg(feature = "rustls")]
pub(super) fn default_tls() -> aioduct_tls::RustlsConnector {
    let builder = aioduct_tls::RustlsConnector::builder().with_webpki_roots();
    #[cfg(feature = "rustls-native-roots")]
    let builder = builder.with_native_roots();
    // Cannot fail: the webpki roots are always there.
    builder
        .build()
        .unwrap_or_else(|_| aioduct_tls::RustlsConnector::with_webpki_roots())
}
