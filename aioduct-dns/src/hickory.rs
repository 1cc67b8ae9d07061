use std::{
    fmt,
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::{Duration, Instant},
};

use aioduct_core::{Addrs, Name, Resolve, Resolving};
use hickory_resolver::{Resolver, net::NetError};
#[cfg(any(feature = "doh", feature = "dot"))]
use rustls_pki_types::CertificateDer;

use crate::{
    Error, HickoryBuilder, LookupStrategy,
    transport::{LastFailure, Provider},
};

/// A [`Resolve`] on hickory-resolver: the system configuration, a chosen nameserver, or with the
/// `doh` and `dot` features an encrypted upstream.
///
/// `resolve` returns every A and AAAA address of the name with port 0 (the client sets the
/// port), interleaved by family with the preferred family first (see [`LookupStrategy`]), so a
/// Happy Eyeballs connector gets both families when the name has both. Answers are cached for
/// their TTL unless [`HickoryBuilder::cache`] turns that off. An IP literal resolves to itself
/// without a query.
///
/// Lookups run on tokio: hickory spawns its connections on the runtime that polls the first
/// lookup, so poll lookups inside a tokio runtime (outside one they fail with a clear error).
/// Cloning is cheap and shares the connections and the cache.
///
/// ```no_run
/// use aioduct_core::{Name, Resolve};
/// use aioduct_dns::HickoryResolver;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// let resolver = HickoryResolver::system()?;
/// let addrs = resolver.resolve(Name::new("example.com")).await?;
/// for addr in addrs {
///     println!("{}", addr.ip());
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HickoryResolver {
    inner: Arc<Inner>,
}

struct Inner {
    resolver: Resolver<Provider>,
    strategy: LookupStrategy,
    /// The bound on one whole lookup: `timeout × attempts`.
    deadline: Duration,
    /// Why connections failed, which hickory's errors do not say.
    failures: LastFailure,
}

impl HickoryResolver {
    /// Options first, then the upstream.
    pub fn builder() -> HickoryBuilder {
        HickoryBuilder::new()
    }

    /// The operating system's configuration, with default options: see
    /// [`HickoryBuilder::system`]. An error if `/etc/resolv.conf` cannot be read.
    pub fn system() -> Result<Self, Error> {
        Self::builder().system()
    }

    /// Plain DNS to the server at `addr` (UDP, TCP when the answer is truncated), with default
    /// options: see [`HickoryBuilder::nameserver`].
    pub fn nameserver(addr: SocketAddr) -> Self {
        Self::builder().nameserver(addr)
    }

    /// DNS-over-HTTPS to `addr`, whose certificate must name `tls_name` and chain to a Mozilla
    /// root or one of `extra_roots`: see [`HickoryBuilder::doh`].
    #[cfg(feature = "doh")]
    pub fn doh(
        addr: SocketAddr,
        tls_name: &str,
        extra_roots: &[CertificateDer<'_>],
    ) -> Result<Self, Error> {
        Self::builder().doh(addr, tls_name, extra_roots)
    }

    /// DNS-over-TLS to `addr`, whose certificate must name `tls_name` and chain to a Mozilla
    /// root or one of `extra_roots`: see [`HickoryBuilder::dot`].
    #[cfg(feature = "dot")]
    pub fn dot(
        addr: SocketAddr,
        tls_name: &str,
        extra_roots: &[CertificateDer<'_>],
    ) -> Result<Self, Error> {
        Self::builder().dot(addr, tls_name, extra_roots)
    }

    /// Forgets every cached answer.
    pub fn clear_cache(&self) {
        self.inner.resolver.clear_cache();
    }

    pub(crate) fn from_parts(
        resolver: Resolver<Provider>,
        strategy: LookupStrategy,
        deadline: Duration,
        failures: LastFailure,
    ) -> Self {
        HickoryResolver {
            inner: Arc::new(Inner {
                resolver,
                strategy,
                deadline,
                failures,
            }),
        }
    }
}

impl Inner {
    async fn lookup(&self, name: Name) -> Result<Addrs, Error> {
        if let Some(ip) = ip_literal(name.as_str()) {
            return Ok(Addrs::from(vec![SocketAddr::new(ip, 0)]));
        }
        // hickory spawns on the current tokio runtime and would panic outside one.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::no_runtime(name));
        }
        let started = Instant::now();
        let lookup = self.resolver.lookup_ip(name.as_str());
        let ips = match tokio::time::timeout(self.deadline, lookup).await {
            Ok(Ok(ips)) => ips,
            Ok(Err(err)) => return Err(self.classify(name, err, started)),
            Err(elapsed) => return Err(Error::timeout(name, self.deadline, Some(elapsed.into()))),
        };
        let addrs = happy_eyeballs_order(ips.iter(), self.strategy.prefers_ipv6());
        if addrs.is_empty() {
            return Err(Error::no_addresses(name));
        }
        Ok(addrs)
    }

    /// Turns hickory's error into ours: NXDOMAIN, no data and timeouts get their own kinds, and
    /// a connection failure says what failed instead of hickory's "no connections available".
    fn classify(&self, name: Name, err: NetError, started: Instant) -> Error {
        if err.is_nx_domain() {
            return Error::no_such_host(name);
        }
        if err.is_no_records_found() {
            // NOERROR with an empty answer: the name exists without addresses of these families.
            return Error::no_addresses(name);
        }
        if matches!(err, NetError::Timeout) {
            return Error::timeout(name, self.deadline, Some(err.into()));
        }
        if matches!(err, NetError::NoConnections | NetError::Io(_))
            && let Some(failure) = self.failures.since(started)
        {
            return Error::lookup(name, failure.into());
        }
        Error::lookup(name, err.into())
    }
}

impl Resolve for HickoryResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let inner = self.inner.clone();
        Box::pin(async move { inner.lookup(name).await.map_err(Into::into) })
    }
}

impl fmt::Debug for HickoryResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HickoryResolver")
            .field("strategy", &self.inner.strategy)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

/// An IP address written as a host, with or without IPv6 brackets.
fn ip_literal(host: &str) -> Option<IpAddr> {
    let bare = host
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse().ok()
}

/// Deduplicates `ips` and interleaves the families, preferred family first (RFC 8305 §4).
fn happy_eyeballs_order(ips: impl IntoIterator<Item = IpAddr>, prefer_v6: bool) -> Addrs {
    let (mut v6, mut v4) = (Vec::new(), Vec::new());
    for ip in ips {
        let family = if ip.is_ipv6() { &mut v6 } else { &mut v4 };
        if !family.contains(&ip) {
            family.push(ip);
        }
    }
    let (first, second) = if prefer_v6 { (v6, v4) } else { (v4, v6) };
    let mut ordered = Vec::with_capacity(first.len() + second.len());
    let (mut first, mut second) = (first.into_iter(), second.into_iter());
    loop {
        match (first.next(), second.next()) {
            (None, None) => break,
            (a, b) => ordered.extend(a.into_iter().chain(b)),
        }
    }
    ordered
        .into_iter()
        .map(|ip| SocketAddr::new(ip, 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|ip| ip.parse().unwrap()).collect()
    }

    fn shown(addrs: Addrs) -> Vec<String> {
        addrs.into_iter().map(|a| a.ip().to_string()).collect()
    }

    #[test]
    fn interleaves_families_preferred_first() {
        let answer = ips(&[
            "10.0.0.1",
            "10.0.0.2",
            "10.0.0.3",
            "2001:db8::1",
            "2001:db8::2",
        ]);
        assert_eq!(
            shown(happy_eyeballs_order(answer.clone(), true)),
            [
                "2001:db8::1",
                "10.0.0.1",
                "2001:db8::2",
                "10.0.0.2",
                "10.0.0.3"
            ]
        );
        assert_eq!(
            shown(happy_eyeballs_order(answer, false)),
            [
                "10.0.0.1",
                "2001:db8::1",
                "10.0.0.2",
                "2001:db8::2",
                "10.0.0.3"
            ]
        );
    }

    #[test]
    fn one_family_keeps_its_order_and_drops_duplicates() {
        let answer = ips(&["10.0.0.2", "10.0.0.1", "10.0.0.2"]);
        assert_eq!(
            shown(happy_eyeballs_order(answer, true)),
            ["10.0.0.2", "10.0.0.1"]
        );
        let ordered = happy_eyeballs_order(ips(&["::1"]), false);
        assert!(ordered.as_slice().iter().all(|a| a.port() == 0));
    }

    #[test]
    fn ip_literals_need_no_lookup() {
        assert_eq!(ip_literal("127.0.0.1"), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(ip_literal("[::1]"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("::1"), Some("::1".parse().unwrap()));
        assert_eq!(ip_literal("example.test"), None);
        assert_eq!(ip_literal("[example.test]"), None);
    }
}
