//! [`aioduct_core::Resolve`] implementations: hickory-resolver with the system configuration, a
//! chosen nameserver, DNS-over-HTTPS and DNS-over-TLS; static overrides; and a TTL cache for
//! resolvers that have none.
//!
//! - [`HickoryResolver`]: DNS on hickory-resolver, with its TTL-honouring cache. Build it with
//!   [`HickoryResolver::system`], [`HickoryResolver::nameserver`], or through
//!   [`HickoryResolver::builder`] for timeouts, attempts, the [`LookupStrategy`] and the cache.
//!   With the `doh` feature, `HickoryResolver::doh`; with `dot`, `HickoryResolver::dot`.
//!   It needs a tokio runtime (hickory's), whatever runtime the client uses for connections.
//! - [`StaticResolver`]: fixed addresses for chosen names, like curl's `--resolve`, in front of
//!   an optional fallback.
//! - [`CachingResolver`]: a small answer cache with coalesced lookups, for resolvers that do
//!   not see TTLs, such as the runtimes' system resolvers.
//!
//! Every resolver returns addresses with port 0 (the client sets the port) and fails with an
//! [`Error`] boxed as the core's `BoxError`.
//!
//! # Features
//!
//! - `doh`: DNS-over-HTTPS (RFC 8484) through hickory's HTTP/2 client, on rustls with ring.
//! - `dot`: DNS-over-TLS (RFC 7858), on rustls with ring.
//!
//! # Example
//!
//! ```
//! use std::{net::Ipv4Addr, sync::Arc};
//! use aioduct_core::{Name, Resolve};
//! use aioduct_dns::{HickoryResolver, StaticResolver};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! // A local nameserver for everything, but one name pinned, as with curl's --resolve.
//! let upstream = HickoryResolver::nameserver("127.0.0.1:5353".parse().unwrap());
//! let resolver = StaticResolver::new()
//!     .add("api.internal", Ipv4Addr::LOCALHOST)
//!     .fallback(Arc::new(upstream));
//!
//! let addrs = resolver.resolve(Name::new("api.internal")).await.unwrap();
//! assert_eq!(addrs.as_slice(), &["127.0.0.1:0".parse().unwrap()]);
//! # });
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod caching;
mod error;
mod hickory;
mod static_resolver;
#[cfg(any(feature = "doh", feature = "dot"))]
mod tls;
mod transport;

pub use builder::{HickoryBuilder, LookupStrategy};
pub use caching::CachingResolver;
pub use error::Error;
pub use hickory::HickoryResolver;
pub use static_resolver::{IntoAddrs, StaticResolver};

/// The certificate type [`HickoryResolver::doh`] and [`HickoryResolver::dot`] take their extra
/// roots as, re-exported from `rustls-pki-types`. Build one from DER bytes with
/// `CertificateDer::from(bytes)`.
#[cfg(any(feature = "doh", feature = "dot"))]
pub use rustls_pki_types::CertificateDer;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolvers_are_send_sync_and_cloneable() {
        fn assert_resolver<T: aioduct_core::Resolve + Clone + 'static>() {}
        assert_resolver::<HickoryResolver>();
        assert_resolver::<StaticResolver>();
        assert_resolver::<CachingResolver<StaticResolver>>();
    }
}
