use std::{fmt, future::Future, net::SocketAddr, pin::Pin, sync::Arc};

use crate::BoxError;

/// A host name to resolve, without port or brackets, as written in the URL (lower-cased by the URL
/// parser).
///
/// ```
/// use aioduct_core::Name;
///
/// let name = Name::new("example.com");
/// assert_eq!(name.as_str(), "example.com");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name(Arc<str>);

impl Name {
    /// Wraps a host name.
    pub fn new(host: impl Into<Arc<str>>) -> Self {
        Name(host.into())
    }

    /// The host name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The addresses a name resolved to, in the resolver's order of preference.
///
/// ```
/// use aioduct_core::Addrs;
///
/// let addrs: Addrs = vec!["127.0.0.1:80".parse().unwrap()].into_iter().collect();
/// assert_eq!(addrs.len(), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addrs(Vec<SocketAddr>);

impl Addrs {
    /// The number of addresses.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the name resolved to nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The addresses as a slice.
    pub fn as_slice(&self) -> &[SocketAddr] {
        &self.0
    }

    /// Sets every address's port, for resolvers that only know IPs.
    pub fn with_port(mut self, port: u16) -> Self {
        for addr in &mut self.0 {
            addr.set_port(port);
        }
        self
    }
}

impl FromIterator<SocketAddr> for Addrs {
    fn from_iter<I: IntoIterator<Item = SocketAddr>>(iter: I) -> Self {
        Addrs(iter.into_iter().collect())
    }
}

impl From<Vec<SocketAddr>> for Addrs {
    fn from(addrs: Vec<SocketAddr>) -> Self {
        Addrs(addrs)
    }
}

impl IntoIterator for Addrs {
    type Item = SocketAddr;
    type IntoIter = std::vec::IntoIter<SocketAddr>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// The future returned by [`Resolve::resolve`].
pub type Resolving = Pin<Box<dyn Future<Output = Result<Addrs, BoxError>> + Send>>;

/// A host-name resolver.
///
/// # What it is for
///
/// The client asks it for every host it connects to, redirect targets included. Ports in the
/// returned addresses are replaced by the port of the URL being fetched, so a resolver may return
/// port 0.
///
/// # How to implement it
///
/// The trait is object-safe (the client stores an `Arc<dyn Resolve>`); return a boxed `Send`
/// future. A closure `Fn(Name) -> impl Future<Output = Result<Addrs, BoxError>>` implements it.
///
/// # Example
///
/// ```
/// use std::net::SocketAddr;
/// use aioduct_core::{Addrs, BoxError, Name, Resolve};
///
/// // Every name is this machine.
/// let resolver = |_name: Name| async {
///     let local: SocketAddr = "127.0.0.1:0".parse().unwrap();
///     Ok::<Addrs, BoxError>(Addrs::from(vec![local]))
/// };
/// let addrs = futures_lite::future::block_on(resolver.resolve(Name::new("example.test"))).unwrap();
/// assert_eq!(addrs.as_slice()[0].ip().to_string(), "127.0.0.1");
/// ```
pub trait Resolve: Send + Sync {
    /// Resolves `name` to its addresses.
    fn resolve(&self, name: Name) -> Resolving;
}

impl<F, Fut> Resolve for F
where
    F: Fn(Name) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Addrs, BoxError>> + Send + 'static,
{
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(self(name))
    }
}
