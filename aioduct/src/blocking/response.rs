//! The blocking response: the async response, read by blocking on the client's runtime.

use std::{io, net::SocketAddr, sync::Arc};

use aioduct_core::Timings;
use bytes::{Buf, Bytes};
use http::{HeaderMap, StatusCode, Uri, Version};

use super::Driver;
use crate::Error;

/// A response whose body is read by blocking. It also implements [`std::io::Read`].
pub struct Response {
    inner: crate::Response,
    driver: Arc<Driver>,
    /// What a `Read` call left of the last chunk.
    pending: Bytes,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl Response {
    pub(super) fn new(inner: crate::Response, driver: Arc<Driver>) -> Self {
        Response {
            inner,
            driver,
            pending: Bytes::new(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// The HTTP version.
    pub fn version(&self) -> Version {
        self.inner.version()
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The final URL.
    pub fn url(&self) -> &Uri {
        self.inner.url()
    }

    /// The server's address.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.inner.remote_addr()
    }

    /// The announced body length.
    pub fn content_length(&self) -> Option<u64> {
        self.inner.content_length()
    }

    /// See [`crate::Response::timings`].
    pub fn timings(&self) -> Timings {
        self.inner.timings()
    }

    /// Turns a 4xx or 5xx status into an error.
    pub fn error_for_status(self) -> Result<Self, Error> {
        self.inner.error_for_status_ref()?;
        Ok(self)
    }

    /// The next chunk of the body, or `None` at its end.
    pub fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        if !self.pending.is_empty() {
            return Ok(Some(std::mem::take(&mut self.pending)));
        }
        self.driver.block_on(self.inner.chunk())
    }

    /// The whole body.
    pub fn bytes(self) -> Result<Bytes, Error> {
        let Response {
            inner,
            driver,
            pending,
        } = self;
        let rest = driver.block_on(inner.bytes())?;
        if pending.is_empty() {
            return Ok(rest);
        }
        Ok([pending, rest].concat().into())
    }

    /// The whole body as text (UTF-8, invalid sequences replaced).
    pub fn text(self) -> Result<String, Error> {
        let bytes = self.bytes()?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The whole body parsed as JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|e| Error::new(crate::ErrorKind::Decode, Some(e)))
    }
}

impl io::Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            match self.driver.block_on(self.inner.chunk()) {
                Ok(Some(chunk)) => self.pending = chunk,
                Ok(None) => return Ok(0),
                Err(err) => return Err(io::Error::other(err)),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.advance(n);
        Ok(n)
    }
}
