use std::{error::Error as StdError, fmt, sync::Arc, time::Duration};

use aioduct_core::{BoxError, Name};

/// Why a resolver of this crate could not be built, or a name could not be resolved.
///
/// The resolvers return it boxed as the core's [`BoxError`]; downcast to reach the predicates:
///
/// ```
/// use aioduct_core::{BoxError, Name, Resolve};
/// use aioduct_dns::{Error, StaticResolver};
///
/// let resolver = StaticResolver::new();
/// let err: BoxError = futures_util::FutureExt::now_or_never(resolver.resolve(Name::new("nowhere.test")))
///     .unwrap()
///     .unwrap_err();
/// let err = err.downcast_ref::<Error>().unwrap();
/// assert!(err.is_not_found());
/// assert_eq!(err.to_string(), "no static entry for host: nowhere.test");
/// ```
///
/// It is one pointer wide and cheap to clone, so a cache can hand the same failure to every
/// waiter. The dependency's own error (hickory's, an I/O error, a TLS error) is the
/// [`source`](StdError::source); the display text is not API.
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

struct Inner {
    kind: Kind,
    name: Option<Name>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// The server said the name does not exist (NXDOMAIN).
    NoSuchHost,
    /// The name exists but has no address of the families asked for.
    NoAddresses,
    /// A `StaticResolver` without fallback does not know the name.
    NoStaticEntry,
    /// No answer within the configured time.
    Timeout(Duration),
    /// The resolver could not be built: `what` says which part of the configuration.
    Config(String),
    /// The lookup was polled outside a tokio runtime.
    NoRuntime,
    /// Any other failure; the source says what.
    Lookup,
}

impl Error {
    /// True when the name does not resolve: the server answered NXDOMAIN, the name has no
    /// addresses of the requested families, or a [`StaticResolver`](crate::StaticResolver)
    /// without fallback has no entry for it.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::NoSuchHost | Kind::NoAddresses | Kind::NoStaticEntry
        )
    }

    /// True when no answer arrived within the configured timeout and attempts.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout(_))
    }

    /// True when the resolver could not be built from its configuration (an unreadable
    /// `resolv.conf`, an invalid certificate or TLS name).
    pub fn is_config(&self) -> bool {
        matches!(self.inner.kind, Kind::Config(_))
    }

    /// The host name being resolved, when the error is about one.
    pub fn name(&self) -> Option<&Name> {
        self.inner.name.as_ref()
    }

    pub(crate) fn no_such_host(name: Name) -> Self {
        Self::new(Kind::NoSuchHost, Some(name), None)
    }

    pub(crate) fn no_addresses(name: Name) -> Self {
        Self::new(Kind::NoAddresses, Some(name), None)
    }

    pub(crate) fn no_static_entry(name: Name) -> Self {
        Self::new(Kind::NoStaticEntry, Some(name), None)
    }

    pub(crate) fn timeout(name: Name, after: Duration, source: Option<BoxError>) -> Self {
        Self::new(Kind::Timeout(after), Some(name), source.map(Arc::from))
    }

    pub(crate) fn config(what: impl Into<String>, source: Option<BoxError>) -> Self {
        Self::new(Kind::Config(what.into()), None, source.map(Arc::from))
    }

    pub(crate) fn no_runtime(name: Name) -> Self {
        Self::new(Kind::NoRuntime, Some(name), None)
    }

    pub(crate) fn lookup(name: Name, source: BoxError) -> Self {
        Self::new(Kind::Lookup, Some(name), Some(Arc::from(source)))
    }

    /// Keeps an error of this crate as it is and wraps any other, so that it can be cloned.
    pub(crate) fn from_boxed(name: Name, err: BoxError) -> Self {
        match err.downcast::<Error>() {
            Ok(err) => *err,
            Err(other) => Self::lookup(name, other),
        }
    }

    fn new(
        kind: Kind,
        name: Option<Name>,
        source: Option<Arc<dyn StdError + Send + Sync>>,
    ) -> Self {
        Error {
            inner: Arc::new(Inner { kind, name, source }),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The `Lookup` arm needs a name; every constructor of it sets one.
        let name = self.inner.name.as_ref().map_or("", Name::as_str);
        match &self.inner.kind {
            Kind::NoSuchHost => write!(f, "no such host: {name}"),
            Kind::NoAddresses => write!(f, "no IP addresses found for host: {name}"),
            Kind::NoStaticEntry => write!(f, "no static entry for host: {name}"),
            Kind::Timeout(after) => write!(f, "DNS lookup of {name} timed out after {after:?}"),
            Kind::Config(what) => write!(f, "invalid DNS resolver configuration: {what}"),
            Kind::NoRuntime => write!(
                f,
                "cannot resolve {name}: the hickory resolver must be polled inside a tokio runtime"
            ),
            Kind::Lookup => write!(f, "DNS lookup of {name} failed"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_struct("aioduct_dns::Error");
        out.field("kind", &self.inner.kind);
        if let Some(name) = &self.inner.name {
            out.field("name", name);
        }
        if let Some(source) = &self.inner.source {
            out.field("source", source);
        }
        out.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_send_sync_and_one_pointer_wide() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_eq!(size_of::<Error>(), size_of::<usize>());
    }

    #[test]
    fn from_boxed_keeps_our_errors_and_wraps_others() {
        let ours: BoxError = Box::new(Error::no_such_host(Name::new("a.test")));
        let kept = Error::from_boxed(Name::new("a.test"), ours);
        assert!(kept.is_not_found());
        assert!(kept.source().is_none());

        let io: BoxError = Box::new(std::io::Error::other("boom"));
        let wrapped = Error::from_boxed(Name::new("b.test"), io);
        assert_eq!(wrapped.to_string(), "DNS lookup of b.test failed");
        assert_eq!(wrapped.source().unwrap().to_string(), "boom");
    }

    #[test]
    fn display_names_the_host() {
        let err = Error::timeout(Name::new("slow.test"), Duration::from_millis(300), None);
        assert!(err.is_timeout());
        assert_eq!(
            err.to_string(),
            "DNS lookup of slow.test timed out after 300ms"
        );
        assert_eq!(
            Error::config("cannot read /nope", None).to_string(),
            "invalid DNS resolver configuration: cannot read /nope"
        );
    }
}
