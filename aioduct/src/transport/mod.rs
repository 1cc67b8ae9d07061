//! The HTTP/1.1 and HTTP/2 transport: pool checkout, connecting, hyper's handshake, sending.

mod conn;
mod connect;
mod happy;
mod io;
mod rt;

use std::{future::Future, time::Duration};

use aioduct_core::{
    Alpn, Body, ConnectionInfo, Error, ErrorKind, Runtime, Spawn, clone_head_adding,
};
use aioduct_pool::{Checkout, Pool, Pooled};
use http::{
    HeaderMap, HeaderValue, Uri, Version,
    header::{HOST, PROXY_AUTHORIZATION},
    uri::PathAndQuery,
};
use hyper::client::conn::{http1, http2};

pub(crate) use conn::{PoolConn, PoolKey};
use connect::Io;
pub(crate) use connect::{Stack, TcpConnector};
use io::HyperIo;
pub use rt::RuntimeGlue;
use rt::{Drive, Exec, HyperTimer};

use crate::{body::BoxSleep, timeout::timeout};

/// A lent connection; an HTTP/1.1 one goes back to the pool when its response body ends.
pub(crate) type Lease = Pooled<PoolKey, PoolConn>;

/// A [`Runtime`] that can drive aioduct's HTTP/1.1 and HTTP/2 connections.
///
/// Implemented automatically for every runtime whose [`Spawn`] accepts the connection tasks and
/// whose timer hyper can use; `Client<R>` needs it. It has nothing to implement by hand.
#[allow(private_interfaces, private_bounds)]
pub trait HttpRuntime: Runtime {
    #[doc(hidden)]
    fn handshake(
        io: Io<Self>,
        h2: bool,
        settings: &Settings<Self>,
    ) -> impl Future<Output = Result<Handshaken, hyper::Error>>;

    #[doc(hidden)]
    fn boxed_sleep(duration: Duration) -> BoxSleep;

    #[doc(hidden)]
    fn settings(h2: &crate::Http2Config) -> Settings<Self>;

    #[doc(hidden)]
    fn shared_resolver() -> Option<std::sync::Arc<dyn aioduct_core::Resolve>>;

    #[doc(hidden)]
    fn timer() -> std::sync::Arc<dyn aioduct_middleware::Timer>;
}

#[allow(private_interfaces, private_bounds)]
impl<R> HttpRuntime for R
where
    R: Runtime
        + Spawn<Drive<http1::Connection<HyperIo<Io<R>>, Body>>>
        + Spawn<Drive<http2::Connection<HyperIo<Io<R>>, Body, Exec<R>>>>,
    Exec<R>: hyper::rt::bounds::Http2ClientConnExec<Body, HyperIo<Io<R>>>,
    R: RuntimeGlue,
{
    async fn handshake(
        io: Io<R>,
        h2: bool,
        settings: &Settings<R>,
    ) -> Result<Handshaken, hyper::Error> {
        let io = HyperIo::new(io);
        if h2 {
            let (tx, conn) = settings.h2.handshake(io).await?;
            R::spawn(Drive::new(conn));
            Ok(Handshaken::H2(tx))
        } else {
            let (tx, conn) = settings.h1.handshake(io).await?;
            R::spawn(Drive::new(conn));
            Ok(Handshaken::H1(tx))
        }
    }

    fn boxed_sleep(duration: Duration) -> BoxSleep {
        R::sync_sleep(duration)
    }

    fn shared_resolver() -> Option<std::sync::Arc<dyn aioduct_core::Resolve>> {
        <R as RuntimeGlue>::shared_resolver()
    }

    fn timer() -> std::sync::Arc<dyn aioduct_middleware::Timer> {
        crate::client::runtime_timer::<R>()
    }

    fn settings(h2_config: &crate::Http2Config) -> Settings<R> {
        let mut h2 = http2::Builder::new(Exec::new());
        h2.timer(HyperTimer::<R>::new());
        h2_config.apply(&mut h2);
        Settings {
            h1: http1_builder(),
            h2,
        }
    }
}

/// The most an HTTP/1.1 connection's read buffer grows to (hyper's default is 400 KiB): a
/// response head still incomplete when this much is buffered is refused as too large.
///
/// hyper reads as much as the buffer holds, doubling its read size while reads fill it. Body
/// chunks handed out share the buffer, so while the body's reader holds one, the next read
/// takes a new buffer: two or three of them are alive at a time. At 256 KiB, a 1 MiB gzip body
/// leaves the client with about 0.7 MiB less peak RSS than at 400 KiB, for as much CPU on a
/// 1 GiB download (3.3k reads instead of 2.7k; 14 pairs under `perf stat`: median CPU ratio 1.04,
/// within this VM's noise).
const H1_MAX_BUF: usize = 256 * 1024;

fn http1_builder() -> http1::Builder {
    let mut h1 = http1::Builder::new();
    h1.max_buf_size(H1_MAX_BUF);
    h1
}

/// The sender of a connection that finished its handshake.
///
/// `pub` in this private module because [`HttpRuntime::handshake`] returns it in an
/// `impl Future`: a crate-private type may not appear there. Nothing outside can name it.
#[doc(hidden)]
pub enum Handshaken {
    H1(http1::SendRequest<Body>),
    H2(http2::SendRequest<Body>),
}

/// hyper's connection settings of a client.
pub(crate) struct Settings<R> {
    h1: http1::Builder,
    h2: http2::Builder<Exec<R>>,
}

/// How connections are opened and reused.
pub(crate) struct Transport<R: Runtime> {
    pub(crate) pool: Pool<PoolKey, PoolConn>,
    pub(crate) stack: Stack<R>,
    pub(crate) settings: Settings<R>,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) reuse: bool,
    /// TLS connections offer h2 in ALPN.
    pub(crate) tls_offers_h2: bool,
}

/// A response head and what the request learned on the way.
pub(crate) struct Exchange {
    pub(crate) response: http::Response<hyper::body::Incoming>,
    /// The connection, to hand back when the body ends (HTTP/1.1 only).
    pub(crate) lease: Option<Lease>,
    pub(crate) remote_addr: Option<std::net::SocketAddr>,
    /// Set when this request opened a new connection. Boxed: the exchange moves up through
    /// every layer of the request future, and most requests reuse a connection.
    pub(crate) new_connection: Option<Box<ConnectionInfo>>,
}

impl<R: HttpRuntime> Transport<R> {
    /// Sends `req` (absolute URI) on a pooled or new connection and returns the response head.
    ///
    /// `req` is left as it was, its body taken: hyper is handed a copy of its head, so that a
    /// caller who may need the request again (to follow a redirect) makes no copy of its own.
    /// The copy also gets the `additions` that `req` does not set (the client's defaults).
    ///
    /// A request that a reused connection could not even start (the server had closed it while
    /// idle) is sent again once on a fresh connection. So is an idempotent request with a
    /// replayable body that the server closed a reused connection on before answering: the
    /// usual race with a keep-alive timeout. And so is an HTTP/2 request of any method with a
    /// replayable body whose stream the server refused (`REFUSED_STREAM`, or a stream above a
    /// GOAWAY's last stream id): the server did not process it. The connection that failed is
    /// dropped from the pool, so the resend opens a new one. Never more than one resend per
    /// request.
    // A plain function returning an `async` block: an `async fn` would keep a copy of its
    // arguments beside the block's own.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn send<'a>(
        &'a self,
        req: &'a mut http::Request<Body>,
        h2c: bool,
        additions: &'a HeaderMap,
    ) -> impl Future<Output = Result<Exchange, Error>> + 'a {
        async move {
            let uri = req.uri().clone();
            let via = self.stack.via(&uri);
            let key = PoolKey::new(&uri, h2c, via.proxy)
                .ok_or_else(|| Error::msg(ErrorKind::Builder, "URL has no scheme or host"))?;
            let forward_auth = via.forward;
            let idempotent = is_idempotent(req.method());
            let mut body = std::mem::take(req.body_mut());
            let mut retried = false;
            loop {
                let (mut lease, new_connection) = self.checkout(key.clone(), &uri).await?;
                let reused = lease.is_reused();
                if let Err(err) = lease.ready().await {
                    lease.discard();
                    if reused && !retried {
                        retried = true;
                        continue;
                    }
                    return Err(request_error(err, &uri));
                }
                let is_h2 = lease.version() == Version::HTTP_2;
                // A copy of the body is kept only when some failure below could resend it: an
                // HTTP/2 refusal (any method), or a reused connection closing under an
                // idempotent request. Held in memory, it is cheap; a stream has none.
                let mut resend = (!retried && (is_h2 || (reused && idempotent)))
                    .then(|| body.try_clone())
                    .flatten();
                let mut sent = http::Request::from_parts(clone_head_adding(req, additions), body);
                set_request_form(&mut sent, &uri, &mut lease, forward_auth.as_ref())?;
                let remote_addr = lease.remote_addr;
                match lease.send(sent).await {
                    Ok(response) => {
                        let lease = (response.version() != Version::HTTP_2).then_some(lease);
                        return Ok(Exchange {
                            response,
                            lease,
                            remote_addr,
                            new_connection,
                        });
                    }
                    Err(mut err) => {
                        lease.discard();
                        match err.take_message() {
                            Some(unsent) if reused && !retried => {
                                retried = true;
                                body = unsent.into_body();
                            }
                            _ if resend.is_some()
                                && (refused_stream(err.error())
                                    || (reused
                                        && idempotent
                                        && closed_unanswered(err.error()))) =>
                            {
                                retried = true;
                                body = resend.take().expect("checked");
                            }
                            _ => return Err(request_error(err.into_error(), &uri)),
                        }
                    }
                }
            }
        }
    }

    async fn checkout(
        &self,
        key: PoolKey,
        uri: &Uri,
    ) -> Result<(Lease, Option<Box<ConnectionInfo>>), Error> {
        // A burst of requests to a new origin that will likely speak HTTP/2 waits for the first
        // connection instead of opening one each.
        let multiplexed = key.h2c() || (self.tls_offers_h2 && key.is_https());
        let checkout = if multiplexed {
            self.pool.checkout_multiplexed(key)
        } else {
            self.pool.checkout(key)
        };
        let permit = match checkout.await {
            Checkout::Reused(lease) => return Ok((lease, None)),
            Checkout::Connect(permit) => permit,
        };
        // Boxed: the connect path (DNS, Happy Eyeballs, proxies, TLS) is large and runs once per
        // connection; inline, it would grow every request future by kilobytes.
        let connecting = Box::pin(self.connect(permit.key().h2c(), uri));
        let (conn, info) = match timeout::<R, _>(self.connect_timeout, connecting).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(
                    Error::msg(ErrorKind::Timeout, "connect timed out").with_url(uri.clone())
                );
            }
        };
        Ok((permit.insert(conn), Some(Box::new(info))))
    }

    async fn connect(&self, h2c: bool, uri: &Uri) -> Result<(PoolConn, ConnectionInfo), Error> {
        let connected = self
            .stack
            .connect(uri.clone())
            .await
            .map_err(|e| e.with_url(uri.clone()))?;
        let info = connected.info;
        let h2 = h2c || info.alpn == Alpn::Http2;
        let handshaken = R::handshake(connected.io, h2, &self.settings)
            .await
            .map_err(|e| Error::new(ErrorKind::Connect, Some(e)).with_url(uri.clone()))?;
        let conn = match handshaken {
            Handshaken::H1(tx) => PoolConn::http1(tx, info.remote_addr),
            Handshaken::H2(tx) => PoolConn::http2(tx, info.remote_addr, self.reuse),
        };
        Ok((conn, info))
    }
}

/// HTTP/1.1 sends the origin form (`/path?q`) with a Host header; HTTP/2 the absolute URI,
/// from which hyper makes the `:authority` pseudo-header. A request forwarded by an HTTP proxy
/// (`forward` is `Some`, holding its credentials if any) keeps the absolute form on HTTP/1.1 and
/// carries `Proxy-Authorization`; no other request does, so proxy credentials never reach an
/// origin or a tunnel.
fn set_request_form(
    req: &mut http::Request<Body>,
    uri: &Uri,
    conn: &mut PoolConn,
    forward: Option<&Option<HeaderValue>>,
) -> Result<(), Error> {
    let version = conn.version();
    match forward {
        Some(Some(auth)) => {
            req.headers_mut().insert(PROXY_AUTHORIZATION, auth.clone());
        }
        // A scan rather than `remove`'s hashing: the header is almost never there.
        _ if req.headers().keys().any(|name| name == PROXY_AUTHORIZATION) => {
            req.headers_mut().remove(PROXY_AUTHORIZATION);
        }
        _ => {}
    }
    if version == Version::HTTP_2 {
        *req.uri_mut() = uri.clone();
        *req.version_mut() = Version::HTTP_2;
        return Ok(());
    }
    *req.version_mut() = Version::HTTP_11;
    if !req.headers().contains_key(HOST)
        && let Some(authority) = uri.authority()
    {
        let host = conn
            .host(authority)
            .map_err(|e| Error::new(ErrorKind::Builder, Some(e)))?;
        req.headers_mut().insert(HOST, host);
    }
    if forward.is_some() {
        *req.uri_mut() = uri.clone();
        return Ok(());
    }
    let path = uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    *req.uri_mut() = Uri::from(path);
    Ok(())
}

/// Methods a server may see twice without harm (RFC 9110 §9.2.2).
fn is_idempotent(method: &http::Method) -> bool {
    use http::Method;
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Whether an HTTP/2 server refused the stream without processing it (RFC 9113 §8.7): it reset
/// the stream with `REFUSED_STREAM`, or sent a GOAWAY whose last stream id is below it (h2
/// fails such a stream, and any stream opened after the GOAWAY, with the peer's GOAWAY error;
/// streams up to the last id stay open and end some other way).
fn refused_stream(err: &hyper::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(h2) = cause.downcast_ref::<h2::Error>() {
            return h2.is_remote()
                && (h2.is_go_away() || h2.reason() == Some(h2::Reason::REFUSED_STREAM));
        }
        source = cause.source();
    }
    false
}

/// Whether the server closed the connection before any response: hyper's "connection closed
/// before message completed" on a response head, or a reset while sending or waiting.
fn closed_unanswered(err: &hyper::Error) -> bool {
    if err.is_incomplete_message() {
        return true;
    }
    let io = std::error::Error::source(err).and_then(|e| e.downcast_ref::<std::io::Error>());
    io.is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
        )
    })
}

fn request_error(err: hyper::Error, uri: &Uri) -> Error {
    let kind = if err.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Request
    };
    Error::new(kind, Some(err)).with_url(uri.clone())
}
