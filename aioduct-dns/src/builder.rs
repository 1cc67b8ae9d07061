use std::{net::SocketAddr, time::Duration};

use hickory_resolver::{
    Resolver,
    config::{
        ConnectionConfig, LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig,
        ResolverOpts,
    },
};
#[cfg(any(feature = "doh", feature = "dot"))]
use rustls_pki_types::CertificateDer;

use crate::{
    Error, HickoryResolver,
    transport::{LastFailure, Provider},
};

/// Which address families a [`HickoryResolver`] asks for, and which it lists first.
///
/// Whatever the strategy, the addresses come back interleaved by family, preferred family
/// first (RFC 8305 §4), so a connector trying them in order alternates families.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupStrategy {
    /// A and AAAA in parallel; IPv6 first. The default, as RFC 8305 and RFC 6724 advise.
    #[default]
    Ipv6AndIpv4,
    /// A and AAAA in parallel; IPv4 first.
    Ipv4AndIpv6,
    /// A first; AAAA only when there is no A record.
    Ipv4thenIpv6,
    /// AAAA first; A only when there is no AAAA record.
    Ipv6thenIpv4,
    /// A only: no IPv6 address is ever returned.
    Ipv4Only,
    /// AAAA only: no IPv4 address is ever returned.
    Ipv6Only,
}

impl LookupStrategy {
    /// Whether IPv6 addresses are listed first.
    pub(crate) fn prefers_ipv6(self) -> bool {
        matches!(
            self,
            Self::Ipv6AndIpv4 | Self::Ipv6thenIpv4 | Self::Ipv6Only
        )
    }

    fn to_hickory(self) -> LookupIpStrategy {
        match self {
            Self::Ipv6AndIpv4 => LookupIpStrategy::Ipv6AndIpv4,
            Self::Ipv4AndIpv6 => LookupIpStrategy::Ipv4AndIpv6,
            Self::Ipv4thenIpv6 => LookupIpStrategy::Ipv4thenIpv6,
            Self::Ipv6thenIpv4 => LookupIpStrategy::Ipv6thenIpv4,
            Self::Ipv4Only => LookupIpStrategy::Ipv4Only,
            Self::Ipv6Only => LookupIpStrategy::Ipv6Only,
        }
    }
}

/// Options for a [`HickoryResolver`], ending in the choice of upstream.
///
/// ```
/// use std::time::Duration;
/// use aioduct_dns::{HickoryResolver, LookupStrategy};
///
/// let resolver = HickoryResolver::builder()
///     .timeout(Duration::from_secs(2))
///     .attempts(3)
///     .strategy(LookupStrategy::Ipv4AndIpv6)
///     .cache_size(256)
///     .nameserver("127.0.0.1:5353".parse().unwrap());
/// # drop(resolver);
/// ```
#[derive(Debug, Clone)]
pub struct HickoryBuilder {
    timeout: Option<Duration>,
    attempts: Option<usize>,
    cache: bool,
    cache_size: u64,
    strategy: LookupStrategy,
    hosts_file: Option<bool>,
}

impl HickoryBuilder {
    pub(crate) fn new() -> Self {
        HickoryBuilder {
            timeout: None,
            attempts: None,
            cache: true,
            cache_size: 1024,
            strategy: LookupStrategy::default(),
            hosts_file: None,
        }
    }

    /// How long to wait for each answer. Defaults to `resolv.conf`'s `timeout` for
    /// [`system`](Self::system), 5 s otherwise.
    ///
    /// A whole lookup gives up after `timeout × attempts`, even when it asks several questions
    /// (search domains, or A then AAAA).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How many times a question is sent before giving up (at least 1), as `resolv.conf`'s
    /// `attempts`. Defaults to `resolv.conf`'s value for [`system`](Self::system), 2 otherwise.
    pub fn attempts(mut self, attempts: usize) -> Self {
        self.attempts = Some(attempts.max(1));
        self
    }

    /// Whether answers are cached. On by default: each answer is kept for its records' TTL
    /// (and a "no such host" for the zone's negative TTL, RFC 2308).
    pub fn cache(mut self, enabled: bool) -> Self {
        self.cache = enabled;
        self
    }

    /// The most answers the cache holds (one per name and record type). Defaults to 1024.
    pub fn cache_size(mut self, entries: u64) -> Self {
        self.cache_size = entries;
        self
    }

    /// Which address families to ask for. Defaults to [`LookupStrategy::Ipv6AndIpv4`].
    pub fn strategy(mut self, strategy: LookupStrategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Whether the system hosts file (`/etc/hosts`) answers before DNS. Defaults to yes for
    /// [`system`](Self::system) and [`resolv_conf`](Self::resolv_conf), no for an explicit
    /// nameserver.
    pub fn hosts_file(mut self, enabled: bool) -> Self {
        self.hosts_file = Some(enabled);
        self
    }

    /// Uses the operating system's configuration: `/etc/resolv.conf` on Unix (nameservers,
    /// search domains, `ndots`, `timeout`, `attempts`), the registry on Windows.
    ///
    /// An error if the configuration cannot be read or lists no nameserver.
    pub fn system(self) -> Result<HickoryResolver, Error> {
        let (config, opts) = hickory_resolver::system_conf::read_system_conf().map_err(|err| {
            Error::config(
                "cannot read the system DNS configuration (/etc/resolv.conf)",
                Some(err.into()),
            )
        })?;
        self.finish(config, opts, true, None, LastFailure::default())
    }

    /// Uses the `resolv.conf` file at `path` instead of `/etc/resolv.conf`.
    ///
    /// An error if the file cannot be read or lists no nameserver.
    #[cfg(all(unix, not(any(target_os = "android", target_vendor = "apple"))))]
    pub fn resolv_conf(self, path: impl AsRef<std::path::Path>) -> Result<HickoryResolver, Error> {
        let path = path.as_ref();
        let unreadable = |err: Box<dyn std::error::Error + Send + Sync>| {
            Error::config(format!("cannot use {}", path.display()), Some(err))
        };
        let text = std::fs::read(path).map_err(|err| unreadable(err.into()))?;
        let (config, opts) = hickory_resolver::system_conf::parse_resolv_conf(text)
            .map_err(|err| unreadable(err.into()))?;
        self.finish(config, opts, true, None, LastFailure::default())
    }

    /// Asks the nameserver at `addr` over UDP, and over TCP when an answer is truncated.
    pub fn nameserver(self, addr: SocketAddr) -> HickoryResolver {
        let connections = [ConnectionConfig::udp(), ConnectionConfig::tcp()]
            .into_iter()
            .map(|conn| on_port(conn, addr.port()))
            .collect();
        let config = single_server(addr, connections);
        // Only a TLS configuration can fail to build, and this one is made from constants.
        let failures = LastFailure::default();
        self.finish(config, ResolverOpts::default(), false, None, failures)
            .expect("a plain nameserver configuration always builds")
    }

    /// Asks the DNS-over-HTTPS (RFC 8484) server at `addr`, path `/dns-query`, over HTTP/2.
    ///
    /// `tls_name` is the name its certificate must carry. The server is trusted if its chain
    /// ends at a Mozilla root (webpki-roots) or at one of `extra_roots` (DER certificates; a
    /// private or test CA).
    #[cfg(feature = "doh")]
    pub fn doh(
        self,
        addr: SocketAddr,
        tls_name: &str,
        extra_roots: &[CertificateDer<'_>],
    ) -> Result<HickoryResolver, Error> {
        let server_name = crate::tls::server_name(tls_name)?;
        let failures = LastFailure::default();
        let tls = crate::tls::client_config(extra_roots, &failures)?;
        let conn = on_port(ConnectionConfig::https(server_name, None), addr.port());
        let config = single_server(addr, vec![conn]);
        self.finish(config, ResolverOpts::default(), false, Some(tls), failures)
    }

    /// Asks the DNS-over-TLS (RFC 7858) server at `addr`.
    ///
    /// `tls_name` and `extra_roots` are as for [`doh`](Self::doh).
    #[cfg(feature = "dot")]
    pub fn dot(
        self,
        addr: SocketAddr,
        tls_name: &str,
        extra_roots: &[CertificateDer<'_>],
    ) -> Result<HickoryResolver, Error> {
        let server_name = crate::tls::server_name(tls_name)?;
        let failures = LastFailure::default();
        let tls = crate::tls::client_config(extra_roots, &failures)?;
        let conn = on_port(ConnectionConfig::tls(server_name), addr.port());
        let config = single_server(addr, vec![conn]);
        self.finish(config, ResolverOpts::default(), false, Some(tls), failures)
    }

    /// Applies the options over `opts` (hickory's defaults, or what `resolv.conf` said).
    #[cfg_attr(not(any(feature = "doh", feature = "dot")), allow(unused_variables))]
    fn finish(
        self,
        config: ResolverConfig,
        mut opts: ResolverOpts,
        hosts_file_by_default: bool,
        tls: Option<TlsConfig>,
        failures: LastFailure,
    ) -> Result<HickoryResolver, Error> {
        // hickory counts retries after the first try; `resolv.conf` and this builder count tries.
        let tries = self.attempts.unwrap_or(opts.attempts).max(1);
        let timeout = self.timeout.unwrap_or(opts.timeout);
        opts.timeout = timeout;
        opts.attempts = tries - 1;
        opts.ip_strategy = self.strategy.to_hickory();
        opts.use_hosts_file = if self.hosts_file.unwrap_or(hosts_file_by_default) {
            ResolveHosts::Always
        } else {
            ResolveHosts::Never
        };
        if self.cache {
            opts.cache_size = self.cache_size;
        } else {
            // hickory always has a cache; a zero lifetime makes every entry stale at once.
            opts.cache_size = 0;
            opts.positive_max_ttl = Some(Duration::ZERO);
            opts.negative_max_ttl = Some(Duration::ZERO);
        }

        let provider = Provider::new(failures.clone());
        let builder = Resolver::builder_with_config(config, provider).with_options(opts);
        // Always our own configuration, so hickory never builds one from features that another
        // crate in the graph may have enabled (its platform verifier can fail).
        #[cfg(any(feature = "doh", feature = "dot"))]
        let builder = builder.with_tls_config(match tls {
            Some(tls) => tls,
            None => crate::tls::client_config(&[], &failures)?,
        });
        let resolver = builder
            .build()
            .map_err(|err| Error::config("hickory rejected the configuration", Some(err.into())))?;

        let tries = u32::try_from(tries).unwrap_or(u32::MAX);
        Ok(HickoryResolver::from_parts(
            resolver,
            self.strategy,
            timeout.saturating_mul(tries),
            failures,
        ))
    }
}

impl Default for HickoryBuilder {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(any(feature = "doh", feature = "dot"))]
type TlsConfig = rustls::ClientConfig;
/// Without TLS features there is no TLS configuration to pass.
#[cfg(not(any(feature = "doh", feature = "dot")))]
type TlsConfig = std::convert::Infallible;

fn on_port(mut conn: ConnectionConfig, port: u16) -> ConnectionConfig {
    conn.port = port;
    conn
}

fn single_server(addr: SocketAddr, connections: Vec<ConnectionConfig>) -> ResolverConfig {
    // Trusting NXDOMAIN is right with one server: there is no other to ask.
    let server = NameServerConfig::new(addr.ip(), true, connections);
    ResolverConfig::from_name_servers(vec![server])
}
