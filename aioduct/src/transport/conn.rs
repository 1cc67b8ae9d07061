//! A pooled HTTP connection: hyper's request sender for HTTP/1.1 or HTTP/2, and its key.

use std::net::SocketAddr;

use aioduct_core::Body;
use http::{
    Uri, Version,
    uri::{Authority, Scheme},
};
use hyper::client::conn::{TrySendError, http1, http2};

/// What a connection is pooled under: who it talks to and how.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    scheme: Scheme,
    authority: Authority,
    /// HTTP/2 over cleartext by prior knowledge: never shares a connection with HTTP/1.1.
    h2c: bool,
}

impl PoolKey {
    /// The key of a checked URL (it has a scheme and an authority).
    pub(crate) fn new(uri: &Uri, h2c: bool) -> Option<Self> {
        Some(PoolKey {
            scheme: uri.scheme()?.clone(),
            authority: uri.authority()?.clone(),
            h2c,
        })
    }

    pub(crate) fn h2c(&self) -> bool {
        self.h2c
    }

    pub(crate) fn is_https(&self) -> bool {
        self.scheme == Scheme::HTTPS
    }
}

/// A connection's request sender and what requests on it report.
pub(crate) struct PoolConn {
    sender: Sender,
    pub(crate) remote_addr: Option<SocketAddr>,
    shareable: bool,
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
        }
    }

    pub(crate) fn version(&self) -> Version {
        match self.sender {
            Sender::H1(_) => Version::HTTP_11,
            Sender::H2(_) => Version::HTTP_2,
        }
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
            }),
            _ => None,
        }
    }
}
