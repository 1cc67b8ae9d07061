//! The blocking builders: each method forwards to the async builder it wraps.

use std::{fmt, net::IpAddr, sync::Arc, time::Duration};

use aioduct_core::{Body, BoxError, Resolve};
#[cfg(feature = "hsts")]
use aioduct_middleware::hsts::HstsStore;
use aioduct_middleware::{
    limit::{BandwidthLimiter, RateLimiter},
    netrc::Netrc,
    retry::RetryPolicy,
};
use aioduct_rt_tokio::TokioRuntime;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Version};
use serde::Serialize;

use super::{Client, Driver, Response};
use crate::{Error, Http2Config};

/// Forwards builder methods that take plain arguments to the wrapped async builder.
macro_rules! forward {
    ($($(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            $(#[$doc])*
            pub fn $name(self, $($arg: $ty),*) -> Self {
                self.map(|inner| inner.$name($($arg),*))
            }
        )*
    };
}

/// Configures a blocking [`Client`]; the settings are those of [`crate::ClientBuilder`].
#[must_use]
pub struct ClientBuilder {
    inner: crate::ClientBuilder<TokioRuntime>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder::new()
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl ClientBuilder {
    /// The default settings.
    pub fn new() -> Self {
        ClientBuilder {
            inner: crate::ClientBuilder::new(),
        }
    }

    fn map(
        self,
        f: impl FnOnce(crate::ClientBuilder<TokioRuntime>) -> crate::ClientBuilder<TokioRuntime>,
    ) -> Self {
        ClientBuilder {
            inner: f(self.inner),
        }
    }

    forward! {
        /// See [`crate::ClientBuilder::timeout`].
        timeout(timeout: Duration);
        /// See [`crate::ClientBuilder::connect_timeout`].
        connect_timeout(timeout: Duration);
        /// See [`crate::ClientBuilder::read_timeout`].
        read_timeout(timeout: Duration);
        /// See [`crate::ClientBuilder::pool_idle_timeout`].
        pool_idle_timeout(timeout: Duration);
        /// See [`crate::ClientBuilder::pool_max_idle_per_host`].
        pool_max_idle_per_host(max: usize);
        /// See [`crate::ClientBuilder::pool_max_per_host`].
        pool_max_per_host(max: usize);
        /// See [`crate::ClientBuilder::no_connection_reuse`].
        no_connection_reuse();
        /// See [`crate::ClientBuilder::tcp_keepalive`].
        tcp_keepalive(idle: Duration);
        /// See [`crate::ClientBuilder::tcp_keepalive_interval`].
        tcp_keepalive_interval(interval: Duration);
        /// See [`crate::ClientBuilder::tcp_keepalive_retries`].
        tcp_keepalive_retries(retries: u32);
        /// See [`crate::ClientBuilder::tcp_nodelay`].
        tcp_nodelay(enabled: bool);
        /// See [`crate::ClientBuilder::tcp_fast_open`].
        tcp_fast_open(enabled: bool);
        /// See [`crate::ClientBuilder::default_headers`].
        default_headers(headers: HeaderMap);
        /// See [`crate::ClientBuilder::http1_only`].
        http1_only();
        /// See [`crate::ClientBuilder::http2_prior_knowledge`].
        http2_prior_knowledge();
        /// See [`crate::ClientBuilder::http2`].
        http2(config: Http2Config);
        /// See [`crate::ClientBuilder::max_redirects`].
        max_redirects(max: usize);
        /// See [`crate::ClientBuilder::redirect`].
        redirect(policy: crate::redirect::Policy);
        /// See [`crate::ClientBuilder::https_only`].
        https_only(enabled: bool);
        /// See [`crate::ClientBuilder::hsts`].
        #[cfg(feature = "hsts")]
        hsts(store: HstsStore);
        /// See [`crate::ClientBuilder::cookie_jar`].
        #[cfg(feature = "cookies")]
        cookie_jar(jar: aioduct_middleware::cookies::CookieJar);
        /// See [`crate::ClientBuilder::cookie_store`].
        #[cfg(feature = "cookies")]
        cookie_store(enabled: bool);
        /// See [`crate::ClientBuilder::gzip`].
        #[cfg(feature = "gzip")]
        gzip(enabled: bool);
        /// See [`crate::ClientBuilder::deflate`].
        #[cfg(feature = "deflate")]
        deflate(enabled: bool);
        /// See [`crate::ClientBuilder::brotli`].
        #[cfg(feature = "brotli")]
        brotli(enabled: bool);
        /// See [`crate::ClientBuilder::zstd`].
        #[cfg(feature = "zstd")]
        zstd(enabled: bool);
        /// See [`crate::ClientBuilder::decompression`].
        #[cfg(any(
            feature = "gzip",
            feature = "deflate",
            feature = "brotli",
            feature = "zstd"
        ))]
        decompression(decompression: aioduct_middleware::decompress::Decompression);
        /// See [`crate::ClientBuilder::retry`].
        retry(policy: RetryPolicy);
        /// See [`crate::ClientBuilder::rate_limit`].
        rate_limit(limiter: RateLimiter);
        /// See [`crate::ClientBuilder::max_download_speed`].
        max_download_speed(bytes_per_sec: u64);
        /// See [`crate::ClientBuilder::bandwidth_limit`].
        bandwidth_limit(limiter: BandwidthLimiter);
        /// See [`crate::ClientBuilder::netrc`].
        netrc(netrc: Netrc);
    }

    /// See [`crate::ClientBuilder::digest_auth`].
    #[cfg(feature = "digest-auth")]
    pub fn digest_auth(self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.map(|inner| inner.digest_auth(user, password))
    }

    /// See [`crate::ClientBuilder::local_address`].
    pub fn local_address(self, address: impl Into<Option<IpAddr>>) -> Self {
        self.map(|inner| inner.local_address(address))
    }

    /// See [`crate::ClientBuilder::interface`].
    pub fn interface(self, interface: impl Into<String>) -> Self {
        self.map(|inner| inner.interface(interface))
    }

    /// See [`crate::ClientBuilder::user_agent`].
    pub fn user_agent(self, user_agent: impl TryInto<HeaderValue>) -> Self {
        self.map(|inner| inner.user_agent(user_agent))
    }

    /// See [`crate::ClientBuilder::resolver`].
    pub fn resolver(self, resolver: impl Resolve + 'static) -> Self {
        self.map(|inner| inner.resolver(resolver))
    }

    /// See [`crate::ClientBuilder::tls`].
    #[cfg(feature = "rustls")]
    pub fn tls(self, tls: aioduct_tls::RustlsConnector) -> Self {
        self.map(|inner| inner.tls(tls))
    }

    /// Builds the client and starts its runtime thread.
    pub fn build(self) -> Result<Client, Error> {
        Ok(Client {
            inner: self.inner.build(),
            driver: Arc::new(Driver::start()?),
        })
    }
}

/// A blocking request being built; the methods are those of [`crate::RequestBuilder`].
#[must_use]
pub struct RequestBuilder {
    inner: crate::RequestBuilder<TokioRuntime>,
    driver: Arc<Driver>,
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl RequestBuilder {
    pub(super) fn new(inner: crate::RequestBuilder<TokioRuntime>, driver: Arc<Driver>) -> Self {
        RequestBuilder { inner, driver }
    }

    fn map(
        self,
        f: impl FnOnce(crate::RequestBuilder<TokioRuntime>) -> crate::RequestBuilder<TokioRuntime>,
    ) -> Self {
        RequestBuilder {
            inner: f(self.inner),
            driver: self.driver,
        }
    }

    forward! {
        /// See [`crate::RequestBuilder::headers`].
        headers(headers: HeaderMap);
        /// See [`crate::RequestBuilder::timeout`].
        timeout(timeout: Duration);
        /// See [`crate::RequestBuilder::version`].
        version(version: Version);
    }

    /// See [`crate::RequestBuilder::header`].
    pub fn header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: Into<BoxError>,
        V: TryInto<HeaderValue>,
        V::Error: Into<BoxError>,
    {
        self.map(|inner| inner.header(name, value))
    }

    /// See [`crate::RequestBuilder::query`].
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> Self {
        self.map(|inner| inner.query(query))
    }

    /// See [`crate::RequestBuilder::form`].
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> Self {
        self.map(|inner| inner.form(form))
    }

    /// See [`crate::RequestBuilder::json`].
    #[cfg(feature = "json")]
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, Error> {
        Ok(RequestBuilder {
            inner: self.inner.json(value)?,
            driver: self.driver,
        })
    }

    /// See [`crate::RequestBuilder::extension`]: a [`redirect::Policy`](crate::redirect::Policy)
    /// or a [`RetryPolicy`] for this request only.
    pub fn extension<T: Clone + Send + Sync + 'static>(self, value: T) -> Self {
        self.map(|inner| inner.extension(value))
    }

    /// See [`crate::RequestBuilder::body`].
    pub fn body(self, body: impl Into<Body>) -> Self {
        self.map(|inner| inner.body(body))
    }

    /// Sends the body read from `reader` as it is read, without buffering it whole.
    pub fn body_reader<Rd: std::io::Read + Send + 'static>(self, reader: Rd) -> Self {
        let chunks = ReadChunks { reader };
        self.map(|inner| inner.body_stream(futures_lite::stream::iter(chunks)))
    }

    /// See [`crate::RequestBuilder::bearer_auth`].
    pub fn bearer_auth(self, token: impl fmt::Display) -> Self {
        self.map(|inner| inner.bearer_auth(token))
    }

    /// See [`crate::RequestBuilder::basic_auth`].
    pub fn basic_auth(self, user: impl fmt::Display, password: Option<impl fmt::Display>) -> Self {
        self.map(|inner| inner.basic_auth(user, password))
    }

    /// Sends the request and blocks until the response head arrives.
    pub fn send(self) -> Result<Response, Error> {
        let response = self.driver.block_on(self.inner.send())?;
        Ok(Response::new(response, self.driver))
    }
}

/// A reader cut into body chunks of up to 64 KiB.
struct ReadChunks<Rd> {
    reader: Rd,
}

impl<Rd: std::io::Read> Iterator for ReadChunks<Rd> {
    type Item = Result<Bytes, std::io::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut buf = vec![0; 64 * 1024];
        match self.reader.read(&mut buf) {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some(Ok(Bytes::from(buf)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => self.next(),
            Err(err) => Some(Err(err)),
        }
    }
}
