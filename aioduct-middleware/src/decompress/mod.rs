//! Decoding response bodies: gzip, deflate (zlib and raw), br and zstd, with async-compression.
//!
//! [`Decompression`] advertises the codings it can decode in `Accept-Encoding`, then decodes the
//! body of each response whose `Content-Encoding` lists only those codings. The body streams:
//! wire frames feed the decoder as they arrive and decoded chunks come out as they are produced;
//! nothing is buffered whole.
//!
//! # Rules
//!
//! - **The caller's `Accept-Encoding` wins.** A request that already carries `Accept-Encoding`
//!   (set on the request or as a client default header) is left alone, and so is its response:
//!   the caller negotiated the coding and gets the bytes as sent, `Content-Encoding` intact, as
//!   curl does without `--compressed`.
//! - **Stacked codings** (`Content-Encoding: gzip, br`: gzip applied first, then br) are decoded
//!   in reverse order, up to [`MAX_CODINGS`] in total; more is a decode error
//!   ([`Error::is_decode`](aioduct_core::Error::is_decode)) returned instead of the response.
//!   `identity` tokens are ignored.
//! - **Unknown or disabled codings** (anything not advertised) leave the response undecoded,
//!   headers included, as reqwest does: the caller can still read the raw bytes.
//! - **Truncated, corrupt or trailing data** is an error while reading the body, never a short
//!   body: each decoder must reach the end of its stream, and bytes after that end are refused.
//!   gzip and zstd accept several concatenated members (frames), as their formats allow.
//!   gzip, zlib and (when the sender adds one) zstd carry checksums; brotli and raw deflate do
//!   not, so a corruption that keeps them well-formed cannot be noticed.
//! - **deflate** is zlib-wrapped (RFC 9110); raw deflate, which some servers send instead, is
//!   recognised from the first bytes and decoded too.
//! - **Ceilings** against decompression bombs are off by default:
//!   [`max_decoded_size`](Decompression::max_decoded_size) caps the decoded bytes and
//!   [`max_ratio`](Decompression::max_ratio) the decoded/encoded ratio once 1 MiB has been
//!   decoded. Crossing either is a decode error while reading.
//! - A decoded response loses `Content-Encoding` and `Content-Length`. HEAD responses,
//!   1xx/204/304 and empty bodies pass through untouched.

mod body;

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll, ready},
};

use aioduct_core::{
    Body, BoxFuture, Error, ErrorKind, Middleware, Next, Request, Response, Result,
    http::{
        HeaderValue, Method, StatusCode, Uri,
        header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, GetAll},
    },
};
use http_body::Body as _;

use self::body::{DecodedBody, Limits};

/// The most content codings decoded on one response; a response with more is an error.
pub const MAX_CODINGS: usize = 5;

/// A content coding this build can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    #[cfg(feature = "gzip")]
    Gzip,
    #[cfg(feature = "deflate")]
    Deflate,
    #[cfg(feature = "brotli")]
    Brotli,
    #[cfg(feature = "zstd")]
    Zstd,
}

impl Coding {
    /// The coding a `Content-Encoding` token names, ignoring case (`x-gzip` is gzip).
    fn from_token(token: &str) -> Option<Coding> {
        let is = |name: &str| token.eq_ignore_ascii_case(name);
        #[cfg(feature = "gzip")]
        if is("gzip") || is("x-gzip") {
            return Some(Coding::Gzip);
        }
        #[cfg(feature = "deflate")]
        if is("deflate") {
            return Some(Coding::Deflate);
        }
        #[cfg(feature = "brotli")]
        if is("br") {
            return Some(Coding::Brotli);
        }
        #[cfg(feature = "zstd")]
        if is("zstd") {
            return Some(Coding::Zstd);
        }
        let _ = is;
        None
    }
}

/// The decompression middleware; see the [module documentation](self) for its rules.
///
/// Every coding compiled into the build is on by default; switch them one by one.
///
/// ```
/// use aioduct_middleware::decompress::Decompression;
///
/// // Every coding of the build, with ceilings against decompression bombs.
/// let decompression = Decompression::new()
///     .max_decoded_size(64 << 20)
///     .max_ratio(200);
/// # drop(decompression);
/// assert!(!Decompression::none().is_enabled());
/// ```
#[derive(Clone, Debug)]
pub struct Decompression {
    gzip: bool,
    deflate: bool,
    brotli: bool,
    zstd: bool,
    limits: Limits,
    /// `Accept-Encoding` for what is on, kept in step by every setter.
    accept: Option<HeaderValue>,
}

impl Default for Decompression {
    fn default() -> Self {
        Decompression::new()
    }
}

impl Decompression {
    /// Every coding of this build, no ceilings.
    pub fn new() -> Self {
        Decompression {
            gzip: cfg!(feature = "gzip"),
            deflate: cfg!(feature = "deflate"),
            brotli: cfg!(feature = "brotli"),
            zstd: cfg!(feature = "zstd"),
            limits: Limits::default(),
            accept: None,
        }
        .refresh()
    }

    /// No coding at all: requests get no `Accept-Encoding` and responses are not decoded.
    pub fn none() -> Self {
        Decompression {
            gzip: false,
            deflate: false,
            brotli: false,
            zstd: false,
            limits: Limits::default(),
            accept: None,
        }
    }

    /// Decodes `gzip` (and `x-gzip`).
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.gzip = enabled;
        self.refresh()
    }

    /// Decodes `deflate`: zlib-wrapped, or raw deflate.
    #[cfg(feature = "deflate")]
    pub fn deflate(mut self, enabled: bool) -> Self {
        self.deflate = enabled;
        self.refresh()
    }

    /// Decodes `br` (brotli).
    #[cfg(feature = "brotli")]
    pub fn brotli(mut self, enabled: bool) -> Self {
        self.brotli = enabled;
        self.refresh()
    }

    /// Decodes `zstd`.
    #[cfg(feature = "zstd")]
    pub fn zstd(mut self, enabled: bool) -> Self {
        self.zstd = enabled;
        self.refresh()
    }

    /// Fails the body once more than `bytes` have been decoded.
    pub fn max_decoded_size(mut self, bytes: u64) -> Self {
        self.limits.max_size = Some(bytes);
        self
    }

    /// Fails the body once, after the first MiB decoded, it has expanded more than `ratio` times
    /// (decoded bytes / encoded bytes read so far).
    pub fn max_ratio(mut self, ratio: u64) -> Self {
        self.limits.max_ratio = Some(ratio);
        self
    }

    /// True when at least one coding is on.
    pub fn is_enabled(&self) -> bool {
        self.accept.is_some()
    }

    /// The `Accept-Encoding` value this middleware sends, `None` when every coding is off.
    pub fn accept_encoding(&self) -> Option<&HeaderValue> {
        self.accept.as_ref()
    }

    fn refresh(mut self) -> Self {
        let names = [
            (self.gzip, "gzip"),
            (self.deflate, "deflate"),
            (self.brotli, "br"),
            (self.zstd, "zstd"),
        ];
        let list: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        self.accept = (!list.is_empty()).then(|| HeaderValue::from_str(&list.join(", ")).unwrap());
        self
    }

    fn enabled(&self, coding: Coding) -> bool {
        match coding {
            #[cfg(feature = "gzip")]
            Coding::Gzip => self.gzip,
            #[cfg(feature = "deflate")]
            Coding::Deflate => self.deflate,
            #[cfg(feature = "brotli")]
            Coding::Brotli => self.brotli,
            #[cfg(feature = "zstd")]
            Coding::Zstd => self.zstd,
        }
    }

    /// Adds `Accept-Encoding` to `req` unless it sets one itself or every coding is off; true
    /// when it did, so that the response is to be [decoded](Decompression::decode). For a
    /// caller that sends the request itself; [`run_with`](Decompression::run_with) does both.
    ///
    /// ```
    /// use aioduct_core::Body;
    /// use aioduct_middleware::decompress::Decompression;
    ///
    /// let decompression = Decompression::new();
    /// let mut request = http::Request::get("http://example.com/").body(Body::empty()).unwrap();
    /// let decode = decompression.advertise(&mut request);
    /// assert_eq!(decode, request.headers().contains_key("accept-encoding"));
    /// let response = http::Response::new(Body::from("plain"));
    /// let response = decompression.decode(response, false)?;
    /// assert_eq!(response.into_body().as_bytes(), Some(&b"plain"[..]));
    /// # Ok::<(), aioduct_core::Error>(())
    /// ```
    pub fn advertise(&self, req: &mut Request) -> bool {
        match self.accept.as_ref().filter(|_| self.would_advertise(req)) {
            Some(accept) => {
                req.headers_mut().insert(ACCEPT_ENCODING, accept.clone());
                true
            }
            None => false,
        }
    }

    /// Whether [`advertise`](Decompression::advertise) would add `Accept-Encoding` to `req`:
    /// some coding is on and `req` does not set the header itself. For a caller that adds
    /// [`accept_encoding`](Decompression::accept_encoding) to the copy of the request it sends
    /// and keeps the request as it is; the response is then to be
    /// [decoded](Decompression::decode).
    ///
    /// ```
    /// use aioduct_core::Body;
    /// use aioduct_middleware::decompress::Decompression;
    ///
    /// let decompression = Decompression::new();
    /// let plain = http::Request::get("http://example.com/").body(Body::empty()).unwrap();
    /// assert_eq!(decompression.would_advertise(&plain), decompression.is_enabled());
    /// let own = http::Request::get("http://example.com/")
    ///     .header("accept-encoding", "identity")
    ///     .body(Body::empty())
    ///     .unwrap();
    /// assert!(!decompression.would_advertise(&own));
    /// ```
    pub fn would_advertise(&self, req: &Request) -> bool {
        self.accept.is_some() && !req.headers().contains_key(ACCEPT_ENCODING)
    }

    /// Replaces the body of `resp` by its decoded stream when its `Content-Encoding` calls for
    /// it (and drops that header and `Content-Length`); `head`: the request was a HEAD, so
    /// there is no body to decode. More codings than are decoded is an error.
    pub fn decode(&self, resp: Response, head: bool) -> Result<Response> {
        let status = resp.status();
        if head
            || status.is_informational()
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
            || resp.body().is_end_stream()
        {
            return Ok(resp);
        }
        let codings = match plan(resp.headers().get_all(CONTENT_ENCODING), self) {
            Plan::Decode(codings) => codings,
            Plan::AsIs => return Ok(resp),
            Plan::TooMany(count) => {
                return Err(Error::msg(
                    ErrorKind::Decode,
                    format!(
                        "{count} content codings on the response; at most {MAX_CODINGS} are decoded"
                    ),
                ));
            }
        };
        let (mut parts, body) = resp.into_parts();
        parts.headers.remove(CONTENT_ENCODING);
        parts.headers.remove(CONTENT_LENGTH);
        let body = DecodedBody::new(body, codings, self.limits);
        Ok(Response::from_parts(parts, Body::wrap(body)))
    }
}

impl Decompression {
    /// Sends `req` with `send`, advertising and decoding as the middleware does with
    /// [`Next`]: for a caller that runs the rest of its chain itself (without boxing a future).
    ///
    /// ```
    /// use aioduct_core::Body;
    /// use aioduct_middleware::decompress::Decompression;
    ///
    /// # futures_lite::future::block_on(async {
    /// let decompression = Decompression::new();
    /// let request = http::Request::get("http://example.com/").body(Body::empty()).unwrap();
    /// let advertised = decompression.is_enabled();
    /// let response = decompression
    ///     .run_with(request, |req| async move {
    ///         // Here a transport would send `req`; this answer is not encoded.
    ///         assert_eq!(req.headers().contains_key("accept-encoding"), advertised);
    ///         Ok(http::Response::new(Body::from("plain")))
    ///     })
    ///     .await?;
    /// assert_eq!(response.into_body().as_bytes(), Some(&b"plain"[..]));
    /// # Ok::<(), aioduct_core::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn run_with<F, Fut>(&self, mut req: Request, send: F) -> Decoding<'_, Fut>
    where
        F: FnOnce(Request) -> Fut,
        Fut: Future<Output = Result<Response>>,
    {
        let decoding = self
            .advertise(&mut req)
            .then(|| (req.method() == Method::HEAD, req.uri().clone()));
        Decoding {
            send: send(req),
            decoding,
            middleware: self,
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`Decompression::run_with`]: the rest of the chain, then the decoding of
    /// its response.
    ///
    /// A future of its own rather than an `async fn`, which would keep a copy of the request
    /// beside the rest of the chain's and move the response once more.
    #[must_use = "futures do nothing unless polled"]
    pub struct Decoding<'a, Fut> {
        #[pin]
        send: Fut,
        // Whether the request was a HEAD, and its URL for errors; `None`: pass the response on.
        decoding: Option<(bool, Uri)>,
        middleware: &'a Decompression,
    }
}

impl<Fut: Future<Output = Result<Response>>> Future for Decoding<'_, Fut> {
    type Output = Result<Response>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let resp = ready!(this.send.poll(cx))?;
        Poll::Ready(match this.decoding.take() {
            Some((head, url)) => this
                .middleware
                .decode(resp, head)
                .map_err(|err| err.with_url(url)),
            None => Ok(resp),
        })
    }
}

impl Middleware for Decompression {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        if !self.would_advertise(&req) {
            return next.run(req);
        }
        Box::pin(self.run_with(req, move |req| next.run(req)))
    }
}

/// What to do with a response, from its `Content-Encoding`.
#[derive(Debug, PartialEq, Eq)]
enum Plan {
    /// Decode with these codings, in the order they were applied.
    Decode(Vec<Coding>),
    /// No coding, or one this middleware did not advertise: leave the response as it is.
    AsIs,
    /// More codings than [`MAX_CODINGS`].
    TooMany(usize),
}

fn plan(values: GetAll<'_, HeaderValue>, config: &Decompression) -> Plan {
    let mut codings = Vec::new();
    let mut count = 0;
    let mut unknown = false;
    for value in values {
        let Ok(value) = value.to_str() else {
            unknown = true;
            continue;
        };
        for token in value.split(',').map(str::trim) {
            if token.is_empty() || token.eq_ignore_ascii_case("identity") {
                continue;
            }
            count += 1;
            match Coding::from_token(token) {
                Some(coding) if config.enabled(coding) => codings.push(coding),
                _ => unknown = true,
            }
        }
    }
    if count > MAX_CODINGS {
        Plan::TooMany(count)
    } else if unknown || codings.is_empty() {
        Plan::AsIs
    } else {
        Plan::Decode(codings)
    }
}

#[cfg(all(
    test,
    feature = "gzip",
    feature = "deflate",
    feature = "brotli",
    feature = "zstd"
))]
mod tests;
