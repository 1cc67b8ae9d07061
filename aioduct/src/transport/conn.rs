//! A pooled HTTP connection: hyper's request sender for HTTP/1.1 or HTTP/2, and its key.

use std::{
    hash::{Hash, Hasher},
    net::SocketAddr,
};

use aioduct_core::Body;
use http::{
    HeaderValue, Uri, Version,
    header::InvalidHeaderValue,
    uri::{Authority, Scheme},
};
use hyper::client::conn::{TrySendError, http1, http2};

use super::connect::ProxyKey;

/// What a connection is pooled under: who it talks to and how.
///
/// The authority is kept lower-case, so hashing and comparing it are one pass over its bytes
/// (`Authority`'s own `Hash` and `PartialEq` fold case a byte at a time, and a lookup does both).
#[derive(Debug, Clone)]
pub(crate) struct PoolKey {
    https: bool,
    authority: Authority,
    /// HTTP/2 over cleartext by prior knowledge: never shares a connection with HTTP/1.1.
    h2c: bool,
    /// The proxy the connection goes through, credentials included: two proxies never share.
    proxy: Option<ProxyKey>,
}

impl PoolKey {
    /// The key of a checked URL (it has a scheme and an authority).
    pub(crate) fn new(uri: &Uri, h2c: bool, proxy: Option<&ProxyKey>) -> Option<Self> {
        let authority = uri.authority()?;
        let authority = if authority.as_str().bytes().any(|b| b.is_ascii_uppercase()) {
            Authority::try_from(authority.as_str().to_ascii_lowercase()).ok()?
        } else {
            authority.clone()
        };
        Some(PoolKey {
            // A checked URL is http or https, in any case.
            https: *uri.scheme()? == Scheme::HTTPS,
            authority,
            h2c,
            proxy: proxy.cloned(),
        })
    }

    pub(crate) fn h2c(&self) -> bool {
        self.h2c
    }

    pub(crate) fn is_https(&self) -> bool {
        self.https
    }
}

impl PartialEq for PoolKey {
    fn eq(&self, other: &Self) -> bool {
        // Lower-case (see `new`): equal authorities have equal bytes.
        self.https == other.https
            && self.authority.as_str() == other.authority.as_str()
            && self.h2c == other.h2c
            && self.proxy == other.proxy
    }
}

impl Eq for PoolKey {}

impl Hash for PoolKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Two writes where the fields one by one would be six: every checkout hashes its key,
        // and each write is a round of SipHash's bookkeeping.
        let flags =
            u8::from(self.https) | u8::from(self.h2c) << 1 | u8::from(self.proxy.is_some()) << 2;
        state.write_u8(flags);
        // Lower-case (see `new`), so equal keys hash alike.
        state.write(self.authority.as_str().as_bytes());
        if let Some(proxy) = &self.proxy {
            proxy.hash(state);
        }
    }
}

/// A connection's request sender and what requests on it report.
pub(crate) struct PoolConn {
    sender: Sender,
    pub(crate) remote_addr: Option<SocketAddr>,
    shareable: bool,
    /// The `Host` of the last HTTP/1.1 request sent here: the next one to the same authority
    /// shares its bytes instead of copying them into a new value. Boxed: a connection moves in
    /// and out of the pool on every request, and a pointer keeps it small.
    host: Option<Box<HeaderValue>>,
}

enum Sender {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

impl PoolConn {
    pub(crate) fn http1(sender: http1::SendRequest<Body>, remote_addr: Option<SocketAddr>) -> Self {
        PoolConn {
            sender: Sender::H1(sender),
            remote_addr,
            shareable: false,
            host: None,
        }
    }

    /// An HTTP/2 connection; `shareable` lets concurrent requests multiplex on it.
    pub(crate) fn http2(
        sender: http2::SendRequest<Body>,
        remote_addr: Option<SocketAddr>,
        shareable: bool,
    ) -> Self {
        PoolConn {
            sender: Sender::H2(sender),
            remote_addr,
            shareable,
            host: None,
        }
    }

    pub(crate) fn version(&self) -> Version {
        match self.sender {
            Sender::H1(_) => Version::HTTP_11,
            Sender::H2(_) => Version::HTTP_2,
        }
    }

    /// The `Host` value for `authority`: the last one sent on this connection when it is the
    /// same, otherwise a new one, kept for the next request.
    pub(crate) fn host(
        &mut self,
        authority: &Authority,
    ) -> Result<HeaderValue, InvalidHeaderValue> {
        if let Some(host) = &self.host
            && host.as_bytes() == authority.as_str().as_bytes()
        {
            return Ok(HeaderValue::clone(host));
        }
        let host = HeaderValue::from_str(authority.as_str())?;
        self.host = Some(Box::new(host.clone()));
        Ok(host)
    }

    /// Waits until the connection can take a request (an HTTP/1.1 connection is busy until the
    /// previous response body has been read).
    pub(crate) async fn ready(&mut self) -> Result<(), hyper::Error> {
        match &mut self.sender {
            Sender::H1(tx) => tx.ready().await,
            Sender::H2(tx) => tx.ready().await,
        }
    }

    /// Sends `req`, whose URI must already be in the form this version wants.
    pub(crate) async fn send(
        &mut self,
        req: http::Request<Body>,
    ) -> Result<http::Response<hyper::body::Incoming>, TrySendError<http::Request<Body>>> {
        match &mut self.sender {
            Sender::H1(tx) => tx.try_send_request(req).await,
            Sender::H2(tx) => tx.try_send_request(req).await,
        }
    }
}

impl aioduct_pool::Connection for PoolConn {
    fn is_open(&self) -> bool {
        match &self.sender {
            Sender::H1(tx) => !tx.is_closed(),
            Sender::H2(tx) => !tx.is_closed(),
        }
    }

    fn share(&self) -> Option<Self> {
        match &self.sender {
            Sender::H2(tx) if self.shareable => Some(PoolConn {
                sender: Sender::H2(tx.clone()),
                remote_addr: self.remote_addr,
                shareable: true,
                host: None,
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "proxy")]
    fn two_proxies_never_share_a_pooled_connection() {
        use aioduct_proxy::ProxyConfig;

        let uri: Uri = "http://origin.test/".parse().unwrap();
        let a = ProxyConfig::socks5("socks5://127.0.0.1:1080").unwrap();
        let b = ProxyConfig::socks5("socks5://127.0.0.1:1081").unwrap();
        let a_with_login = a.clone().basic_auth("user", "pass");
        let key = |proxy: Option<&ProxyConfig>| PoolKey::new(&uri, false, proxy).unwrap();
        assert_eq!(key(Some(&a)), key(Some(&a.clone())));
        let hasher = std::collections::hash_map::RandomState::new();
        let hash = |key: PoolKey| std::hash::BuildHasher::hash_one(&hasher, key);
        assert_eq!(hash(key(Some(&a))), hash(key(Some(&a.clone()))));
        assert_ne!(key(Some(&a)), key(Some(&b)));
        assert_ne!(key(Some(&a)), key(Some(&a_with_login)));
        assert_ne!(key(Some(&a)), key(None));
        assert_ne!(
            key(None),
            PoolKey::new(&uri, true, None).unwrap(),
            "h2c stays apart"
        );
    }

    #[test]
    fn keys_fold_case_and_keep_schemes_apart() {
        use std::hash::BuildHasher;
        let key = |url: &str| PoolKey::new(&url.parse().unwrap(), false, None).unwrap();
        let hasher = std::collections::hash_map::RandomState::new();
        let (upper, lower) = (key("HTTP://Example.COM:80/"), key("http://example.com:80/"));
        assert_eq!(upper, lower);
        assert_eq!(hasher.hash_one(&upper), hasher.hash_one(&lower));
        assert_ne!(key("http://example.com/"), key("https://example.com/"));
        assert_ne!(key("http://example.com/"), key("http://example.com:8080/"));
    }
}
