use std::{
    collections::HashMap,
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use aioduct_core::{Addrs, Name, Resolve, Resolving};

use crate::Error;

/// Fixed answers for chosen host names, like curl's `--resolve`, in front of an optional
/// fallback resolver.
///
/// Host names match without regard to ASCII case and with a trailing dot ignored, so
/// `API.example.` finds an entry added as `api.example`. Names not in the table go to the
/// fallback, or fail with a "no static entry" error (see [`Error::is_not_found`]) when there is
/// none. Ports of the addresses are not kept: the client uses the port of the URL.
///
/// ```
/// use std::{net::Ipv4Addr, sync::Arc};
/// use aioduct_core::{Addrs, BoxError, Name, Resolve};
/// use aioduct_dns::StaticResolver;
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let system = |name: Name| async move { Err::<Addrs, BoxError>(format!("{name} is not mapped").into()) };
/// let resolver = StaticResolver::new()
///     .add("api.internal", Ipv4Addr::new(127, 0, 0, 7))
///     .add("both.internal", ["127.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()])
///     .fallback(Arc::new(system));
///
/// let addrs = resolver.resolve(Name::new("API.Internal.")).await.unwrap();
/// assert_eq!(addrs.as_slice(), &["127.0.0.7:0".parse().unwrap()]);
/// assert!(resolver.resolve(Name::new("other.internal")).await.is_err());
/// # });
/// ```
#[derive(Clone, Default)]
pub struct StaticResolver {
    table: HashMap<Box<str>, Vec<SocketAddr>>,
    fallback: Option<Arc<dyn Resolve>>,
}

impl StaticResolver {
    /// An empty table with no fallback: every name fails until added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `host` to `addrs` (one address, an array, a `Vec` or a slice of IPs or socket
    /// addresses). Adding the same host again appends the new addresses after the old ones.
    pub fn add(mut self, host: &str, addrs: impl IntoAddrs) -> Self {
        let entry = self.table.entry(normalize(host)).or_default();
        for ip in addrs.into_addrs() {
            let addr = SocketAddr::new(ip, 0);
            if !entry.contains(&addr) {
                entry.push(addr);
            }
        }
        self
    }

    /// Sends names that are not in the table to `resolver` (for example a
    /// [`HickoryResolver`](crate::HickoryResolver) or the runtime's system resolver).
    pub fn fallback(mut self, resolver: Arc<dyn Resolve>) -> Self {
        self.fallback = Some(resolver);
        self
    }

    /// The addresses the table holds for `host`, if any; the fallback is not consulted.
    pub fn entry(&self, host: &str) -> Option<&[SocketAddr]> {
        self.table.get(&*normalize(host)).map(Vec::as_slice)
    }
}

impl Resolve for StaticResolver {
    fn resolve(&self, name: Name) -> Resolving {
        if let Some(addrs) = self.entry(name.as_str()) {
            let addrs = Addrs::from(addrs.to_vec());
            return Box::pin(async move { Ok(addrs) });
        }
        match &self.fallback {
            Some(fallback) => fallback.resolve(name),
            None => Box::pin(async move { Err(Error::no_static_entry(name).into()) }),
        }
    }
}

impl fmt::Debug for StaticResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticResolver")
            .field("table", &self.table)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

/// The table key: ASCII lower case, without one trailing dot.
fn normalize(host: &str) -> Box<str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    host.to_ascii_lowercase().into_boxed_str()
}

/// What [`StaticResolver::add`] accepts as the addresses of a host.
///
/// Implemented for [`IpAddr`], [`Ipv4Addr`], [`Ipv6Addr`], [`SocketAddr`] (the port is
/// dropped), and for arrays, `Vec`s and slices of those.
pub trait IntoAddrs {
    /// The IP addresses, in order.
    fn into_addrs(self) -> Vec<IpAddr>;
}

impl IntoAddrs for IpAddr {
    fn into_addrs(self) -> Vec<IpAddr> {
        vec![self]
    }
}

impl IntoAddrs for Ipv4Addr {
    fn into_addrs(self) -> Vec<IpAddr> {
        vec![IpAddr::V4(self)]
    }
}

impl IntoAddrs for Ipv6Addr {
    fn into_addrs(self) -> Vec<IpAddr> {
        vec![IpAddr::V6(self)]
    }
}

impl IntoAddrs for SocketAddr {
    fn into_addrs(self) -> Vec<IpAddr> {
        vec![self.ip()]
    }
}

impl<T: IntoAddrs, const N: usize> IntoAddrs for [T; N] {
    fn into_addrs(self) -> Vec<IpAddr> {
        self.into_iter().flat_map(IntoAddrs::into_addrs).collect()
    }
}

impl<T: IntoAddrs> IntoAddrs for Vec<T> {
    fn into_addrs(self) -> Vec<IpAddr> {
        self.into_iter().flat_map(IntoAddrs::into_addrs).collect()
    }
}

impl<T: IntoAddrs + Clone> IntoAddrs for &[T] {
    fn into_addrs(self) -> Vec<IpAddr> {
        self.iter()
            .cloned()
            .flat_map(IntoAddrs::into_addrs)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_one_trailing_dot() {
        assert_eq!(&*normalize("Example.COM."), "example.com");
        assert_eq!(&*normalize("example.com"), "example.com");
        // Only one dot is the root label; a second one is not a host name we should rewrite.
        assert_eq!(&*normalize("example.com.."), "example.com.");
    }

    #[test]
    fn adding_twice_appends_without_duplicates() {
        let v4 = Ipv4Addr::new(127, 0, 0, 1);
        let resolver = StaticResolver::new()
            .add("a.test", v4)
            .add("A.test", [IpAddr::V4(v4), IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        let addrs = resolver.entry("a.test").unwrap();
        assert_eq!(addrs.len(), 2);
        assert!(addrs.iter().all(|a| a.port() == 0));
    }
}
