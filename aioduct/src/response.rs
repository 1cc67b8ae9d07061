//! The response: head, body readers, timings.

use std::net::SocketAddr;

use aioduct_core::{Body, Error, ErrorKind, Timings};
use bytes::Bytes;
use futures_core::Stream;
use http::{HeaderMap, StatusCode, Uri, Version, header::CONTENT_TYPE};
use http_body::Body as _;
use http_body_util::BodyExt;

use crate::body::{ResponseBody, SharedTotal};

/// A response: its head is here, its body streams in as it is read.
///
/// Read the body whole with [`bytes`](Response::bytes), [`text`](Response::text) or
/// [`json`](Response::json), chunk by chunk with [`chunk`](Response::chunk), or as a stream with
/// [`bytes_stream`](Response::bytes_stream). A body left unread keeps its HTTP/1.1 connection
/// out of the pool; drop the response to give up on it.
pub struct Response {
    head: http::response::Parts,
    body: Payload,
    url: Uri,
    remote_addr: Option<SocketAddr>,
    timings: Timings,
    /// The total time of a transport body that middleware wrapped.
    shared_total: Option<SharedTotal>,
}

/// The body: straight from the transport, or as middleware handed it back.
// The transport body is the common case; boxing it would cost an allocation per response.
#[allow(clippy::large_enum_variant)]
enum Payload {
    Transport(ResponseBody),
    Dyn(Body),
}

/// What a response carries through middleware in its extensions, so that [`Response`] keeps its
/// URL, peer and timings on the way back.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    url: Uri,
    remote_addr: Option<SocketAddr>,
    timings: Timings,
    shared_total: Option<SharedTotal>,
}

impl Response {
    pub(crate) fn new(
        head: http::response::Parts,
        body: ResponseBody,
        url: Uri,
        remote_addr: Option<SocketAddr>,
        timings: Timings,
    ) -> Self {
        Response {
            head,
            body: Payload::Transport(body),
            url,
            remote_addr,
            timings,
            shared_total: None,
        }
    }

    /// A response that came back through middleware, with the metadata of the chain's last
    /// exchange (`last`) or, failing that, what its extensions carry; `url` is used when no
    /// transport response stands behind it (a middleware answered by itself).
    pub(crate) fn from_http(response: http::Response<Body>, url: Uri, last: Option<Meta>) -> Self {
        let (mut head, body) = response.into_parts();
        let meta = head.extensions.remove::<Meta>().or(last).unwrap_or(Meta {
            url,
            remote_addr: None,
            timings: Timings::default(),
            shared_total: None,
        });
        Response {
            head,
            body: Payload::Dyn(body),
            url: meta.url,
            remote_addr: meta.remote_addr,
            timings: meta.timings,
            shared_total: meta.shared_total,
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.head.status
    }

    /// The HTTP version of the response.
    pub fn version(&self) -> Version {
        self.head.version
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.head.headers
    }

    /// The response headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.head.headers
    }

    /// The extensions of the response (set by middleware).
    pub fn extensions(&self) -> &http::Extensions {
        &self.head.extensions
    }

    /// The URL of the response: the last one fetched, after any redirects.
    pub fn url(&self) -> &Uri {
        &self.url
    }

    /// The address of the server (or proxy) the response came from.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }

    /// The body length, when the server announced it.
    pub fn content_length(&self) -> Option<u64> {
        self.body.size_hint().exact()
    }

    /// Where the time went: DNS, connect and TLS (for a new connection), time to the first byte of
    /// the head, and the total once the body has been read to its end with
    /// [`chunk`](Response::chunk).
    pub fn timings(&self) -> Timings {
        let mut timings = self.timings;
        timings.total = match (&self.body, &self.shared_total) {
            (Payload::Transport(body), _) => body.total(),
            (Payload::Dyn(_), Some(total)) => total.get().copied(),
            (Payload::Dyn(_), None) => None,
        };
        timings
    }

    /// Turns a 4xx or 5xx status into an error.
    pub fn error_for_status(self) -> Result<Self, Error> {
        match self.status_error() {
            Some(err) => Err(err),
            None => Ok(self),
        }
    }

    /// Like [`error_for_status`](Response::error_for_status), keeping the response.
    pub fn error_for_status_ref(&self) -> Result<&Self, Error> {
        match self.status_error() {
            Some(err) => Err(err),
            None => Ok(self),
        }
    }

    fn status_error(&self) -> Option<Error> {
        let status = self.status();
        (status.is_client_error() || status.is_server_error()).then(|| {
            Error::new(ErrorKind::Status(status), None::<Error>).with_url(self.url.clone())
        })
    }

    /// The next chunk of the body, or `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        while let Some(frame) = self.body.frame().await {
            let frame = frame.map_err(|e| body_error(e, &self.url))?;
            if let Ok(data) = frame.into_data() {
                return Ok(Some(data));
            }
        }
        Ok(None)
    }

    /// The whole body.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let url = self.url;
        let collected = self.body.collect().await.map_err(|e| body_error(e, &url))?;
        Ok(collected.to_bytes())
    }

    /// The whole body as text. UTF-8 is assumed; invalid sequences become U+FFFD.
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(match String::from_utf8(bytes.into()) {
            Ok(text) => text,
            Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
        })
    }

    /// The whole body parsed as JSON.
    #[cfg(feature = "json")]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let url = self.url.clone();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::new(ErrorKind::Decode, Some(e)).with_url(url))
    }

    /// The body as a stream of chunks, read as they arrive.
    pub fn bytes_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        let url = self.url;
        let chunks = http_body_util::BodyDataStream::new(self.body);
        futures_lite::StreamExt::map(chunks, move |chunk| chunk.map_err(|e| body_error(e, &url)))
    }

    /// The body as a stream of chunks; the same as [`bytes_stream`](Response::bytes_stream).
    pub fn into_bytes_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        self.bytes_stream()
    }

    /// The response as an `http::Response`, for middleware and other HTTP libraries.
    ///
    /// The URL, peer address and timings ride along in the extensions, so a response turned back
    /// into a [`Response`] by the client keeps them.
    pub fn into_http(self) -> http::Response<Body> {
        let (mut response, meta) = self.split_meta();
        response.extensions_mut().insert(meta);
        response
    }

    /// The response as an `http::Response`, and its URL, peer and timings beside it (cheaper
    /// than an extension, for the client's own middleware chain).
    pub(crate) fn split_meta(self) -> (http::Response<Body>, Meta) {
        let (body, shared_total) = match self.body {
            Payload::Transport(mut body) => {
                let total = body.share_total();
                (Body::wrap(body), Some(total))
            }
            Payload::Dyn(body) => (body, self.shared_total),
        };
        let meta = Meta {
            url: self.url,
            remote_addr: self.remote_addr,
            timings: self.timings,
            shared_total,
        };
        (http::Response::from_parts(self.head, body), meta)
    }

    /// Whether the response has a `Content-Encoding`: a body to [decode](Response::decoded).
    pub(crate) fn is_encoded(&self) -> bool {
        self.head
            .headers
            .contains_key(http::header::CONTENT_ENCODING)
    }

    /// The response with its body decoded as `Content-Encoding` says (by the client's built-in
    /// decompression); `head`: the request was a HEAD.
    pub(crate) fn decoded(
        self,
        decompression: &crate::client::Decompression,
        head: bool,
    ) -> Result<Self, Error> {
        let (response, meta) = self.split_meta();
        let url = meta.url.clone();
        let decoded = decompression
            .decode(response, head)
            .map_err(|err| err.with_url(url.clone()))?;
        Ok(Response::from_http(decoded, url, Some(meta)))
    }

    /// Reads a redirect response's short body to its end, so that its connection can serve the
    /// next hop, and drops it (see `aioduct_middleware::redirect::discard`).
    pub(crate) async fn discard(self) {
        aioduct_middleware::redirect::discard(self.body).await;
    }

    /// The value of the `Content-Type` header, if it is valid text.
    pub fn content_type(&self) -> Option<&str> {
        self.headers().get(CONTENT_TYPE)?.to_str().ok()
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("url", &format_args!("{}", self.url))
            .field("status", &self.head.status)
            .field("version", &self.head.version)
            .field("headers", &self.head.headers)
            .finish_non_exhaustive()
    }
}

/// Our own errors pass through; anything else is a body error.
fn body_error(err: aioduct_core::BoxError, url: &Uri) -> Error {
    match err.downcast::<Error>() {
        Ok(err) => (*err).with_url(url.clone()),
        Err(other) => Error::new(ErrorKind::Body, Some(other)).with_url(url.clone()),
    }
}

impl http_body::Body for Payload {
    type Data = Bytes;
    type Error = aioduct_core::BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            Payload::Transport(body) => std::pin::Pin::new(body).poll_frame(cx),
            Payload::Dyn(body) => std::pin::Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Payload::Transport(body) => body.is_end_stream(),
            Payload::Dyn(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self {
            Payload::Transport(body) => body.size_hint(),
            Payload::Dyn(body) => body.size_hint(),
        }
    }
}
