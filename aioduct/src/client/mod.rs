//! The client: sending requests through the middleware chain and the transport.

mod builder;
mod builtins;
mod split;

pub use builder::ClientBuilder;

use std::{fmt, sync::Arc, time::Duration};

use aioduct_core::{Body, BoxFuture, Endpoint, Error, ErrorKind, Middleware, Next, Timings};
use http::{
    HeaderMap, Method, Version,
    header::{ACCEPT_ENCODING, AUTHORIZATION},
    uri::Scheme,
};

use split::SplitMeta;

use crate::{
    HttpRuntime, IntoUrl, RequestBuilder, Response,
    body::{ReadLimits, ResponseBody},
    request::RequestOptions,
    timeout::{Race, race},
    transport::Transport,
    url,
};

/// An HTTP client: a connection pool and the settings every request shares.
///
/// Cloning is cheap and shares the pool; make one client and reuse it.
///
/// ```no_run
/// use aioduct::Client;
/// use aioduct::runtime::TokioRuntime;
///
/// # async fn run() -> Result<(), aioduct::Error> {
/// let client = Client::<TokioRuntime>::new();
/// let body = client.get("http://127.0.0.1:8080/")?.send().await?.text().await?;
/// # let _ = body;
/// # Ok(())
/// # }
/// ```
pub struct Client<R: HttpRuntime> {
    inner: Arc<Inner<R>>,
}

struct Inner<R: HttpRuntime> {
    transport: Transport<R>,
    chain: Chain<R>,
    default_headers: HeaderMap,
    /// Headers the transport adds to the copy of each request it sends, when the request does
    /// not set them: the default headers nothing before the transport could change, and the
    /// built-in decompression's `Accept-Encoding` (see [`plan_additions`]).
    additions: HeaderMap,
    /// Whether the default headers are merged into each request before its chain runs: when
    /// some of them are not among the additions.
    early_defaults: bool,
    timeout: Option<Duration>,
    read_timeout: Option<Duration>,
    http2_prior_knowledge: bool,
}

impl<R: HttpRuntime> Clone for Client<R> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
        }
    }
}

impl<R: HttpRuntime> fmt::Debug for Client<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("default_headers", &self.inner.default_headers)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl<R: HttpRuntime> Default for Client<R> {
    fn default() -> Self {
        Client::new()
    }
}

impl<R: HttpRuntime> Client<R> {
    /// A client with default settings. With the `rustls` feature it also speaks HTTPS, trusting
    /// the webpki roots (and the system's with `rustls-native-roots`).
    pub fn new() -> Self {
        ClientBuilder::new().build()
    }

    /// A client that speaks HTTPS through rustls with the default roots.
    #[cfg(feature = "rustls")]
    pub fn with_rustls() -> Self {
        ClientBuilder::new().tls(builder::default_tls()).build()
    }

    /// A builder to configure a client.
    pub fn builder() -> ClientBuilder<R> {
        ClientBuilder::new()
    }

    /// Starts a GET request.
    pub fn get(&self, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        self.request(Method::GET, url)
    }

    /// Starts a HEAD request.
    pub fn head(&self, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        self.request(Method::HEAD, url)
    }

    /// Starts a POST request.
    pub fn post(&self, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        self.request(Method::POST, url)
    }

    /// Starts a PUT request.
    pub fn put(&self, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        self.request(Method::PUT, url)
    }

    /// Starts a PATCH request.
    pub fn patch(&self, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        self.request(Method::PATCH, url)
    }

    /// Starts a DELETE request.
    pub fn delete(&self, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        self.request(Method::DELETE, url)
    }

    /// Starts a request with any method.
    ///
    /// The URL is checked here, before any I/O: it must be absolute `http` or `https` with a
    /// host, a port up to 65535, and no encoded delimiters or control characters in the host.
    pub fn request(&self, method: Method, url: impl IntoUrl) -> Result<RequestBuilder<R>, Error> {
        let checked = url::check(url.into_uri()?)?;
        let mut request = http::Request::new(Body::empty());
        *request.method_mut() = method;
        *request.uri_mut() = checked.uri;
        if let Some(auth) = checked.basic_auth {
            request.headers_mut().insert(AUTHORIZATION, auth);
        }
        Ok(RequestBuilder::new(self.clone(), Ok(request)))
    }

    /// Sends a request built elsewhere. Its URL passes the same checks as [`Client::request`].
    pub async fn execute(&self, request: http::Request<Body>) -> Result<Response, Error> {
        check_header_count(&request, 0)?;
        let (mut parts, body) = request.into_parts();
        let checked = url::check(parts.uri)?;
        parts.uri = checked.uri;
        if let Some(auth) = checked.basic_auth
            && !parts.headers.contains_key(AUTHORIZATION)
        {
            parts.headers.insert(AUTHORIZATION, auth);
        }
        let options = RequestOptions::default();
        let request = http::Request::from_parts(parts, body);
        Client::execute_owned(self.clone(), Ok(request), options).await
    }

    /// A request's whole future: default headers, deadline, middleware, transport. It owns its
    /// client (an `Arc`) so that [`RequestBuilder::send`] can return it as it is.
    // A plain function returning an `async` block (see `Transport::send`); the request is
    // only ever moved in it, never borrowed, so no copy of it stays in the future.
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn execute_owned(
        client: Client<R>,
        request: Result<http::Request<Body>, Error>,
        mut options: RequestOptions,
    ) -> impl std::future::Future<Output = Result<Response, Error>> {
        async move {
            let this = &client;
            let inner = &*this.inner;
            let request = request?;
            let mut request = if inner.early_defaults {
                with_defaults(request, &inner.default_headers)?
            } else {
                check_header_count(&request, inner.additions.len())?;
                request
            };
            let limit = options.timeout.or(inner.timeout);
            options.deadline = limit.map(|limit| R::now() + limit);
            match &inner.chain {
                Chain::None => this.exchange(&mut request, options).await,
                // The built-ins around one exchange per hop, in this future: no boxed future,
                // body or conversion per layer. No race around the whole either: each exchange
                // runs under the deadline, and so does the body of a redirect read between hops.
                Chain::Inline(builtins) => {
                    let mut hops = builtins.redirect.hops(&request)?;
                    loop {
                        // Its `Accept-Encoding` is among the additions, which the transport
                        // puts on the copy it sends: the request stays as the caller made it.
                        let decode = builtins.decompression.would_advertise(&request);
                        let head = request.method() == Method::HEAD;
                        // The exchange leaves `request` as it was, its body taken: what the
                        // next hop is made of, with no copy of it made here.
                        let response = this.exchange(&mut request, options).await?;
                        match hops.next(request, response.status(), response.headers())? {
                            None if decode && response.is_encoded() => {
                                return response.decoded(&builtins.decompression, head);
                            }
                            None => return Ok(response),
                            Some(next) => {
                                response.discard().await;
                                request = next;
                            }
                        }
                    }
                }
                // The middleware runs under the one deadline; so does each exchange it makes.
                Chain::Dyn { list, transport } => {
                    let url = request.uri().clone();
                    let last = MetaSlot::default();
                    let endpoint = TransportEndpoint {
                        client: this,
                        options,
                        transport: *transport,
                        last: &last,
                    };
                    let run = Next::new(list, &endpoint).run(request);
                    let response = race(run, limit.map(R::boxed_sleep))
                        .await
                        .map_err(|_| timed_out(&url))??;
                    let last = last
                        .into_inner()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    Ok(Response::from_http(response, url, last))
                }
            }
        }
    }

    /// One exchange for middleware: the response as core types, its metadata in `last`.
    pub(crate) fn exchange_into<'a>(
        &'a self,
        request: http::Request<Body>,
        options: RequestOptions,
        last: &'a MetaSlot,
    ) -> SplitMeta<'a, impl std::future::Future<Output = Result<Response, Error>> + 'a> {
        SplitMeta {
            exchange: async move {
                let mut request = request;
                self.exchange(&mut request, options).await
            },
            last,
        }
    }

    /// One request on the transport: no middleware.
    ///
    /// `request` is left as it was, its body taken (see `Transport::send`).
    // A plain function returning an `async` block (see `Transport::send`).
    #[allow(clippy::manual_async_fn)]
    pub(crate) fn exchange<'a>(
        &'a self,
        request: &'a mut http::Request<Body>,
        options: RequestOptions,
    ) -> impl std::future::Future<Output = Result<Response, Error>> + 'a {
        async move {
            let inner = &*self.inner;
            let url = request.uri().clone();
            let cleartext = url.scheme() == Some(&Scheme::HTTP);
            let h2c = cleartext
                && match options.version {
                    Some(version) => version == Version::HTTP_2,
                    None => inner.http2_prior_knowledge,
                };

            let started = R::now();
            let mut deadline = options
                .deadline
                .map(|at| R::boxed_sleep(at.saturating_duration_since(started)));
            // One awaited future with or without a deadline (see `race`).
            let exchange = Race {
                future: inner.transport.send(request, h2c, &inner.additions),
                timer: deadline.as_mut().map(|timer| timer.as_mut()),
            }
            .await
            .map_err(|_| timed_out(&url))??;

            let mut timings = Timings::default();
            timings.ttfb = Some(R::now().duration_since(started));
            if let Some(info) = &exchange.new_connection {
                timings.dns = info.dns_time;
                timings.connect = info.connect_time;
                timings.tls = info.tls_time;
            }
            let (head, incoming) = exchange.response.into_parts();
            let limits = ReadLimits {
                deadline,
                read_timeout: inner.read_timeout,
                make_sleep: R::boxed_sleep,
                now: R::now,
                started,
            };
            let body = ResponseBody::new(incoming, exchange.lease, limits);
            Ok(Response::new(
                head,
                body,
                url,
                exchange.remote_addr,
                timings,
            ))
        }
    }
}

/// `request` with the client's default headers it does not set itself, for a client whose
/// defaults cannot wait for the copy the transport sends (see [`plan_additions`]).
///
/// Refused when the request and the defaults together have more than [`MAX_REQUEST_HEADERS`]
/// headers, counted before any default is found set, so that none of the inserts here or later
/// can reach `HeaderMap`'s limit. By value: a request borrowed in the request future would keep
/// a slot there after it moved on.
fn with_defaults(
    mut request: http::Request<Body>,
    defaults: &HeaderMap,
) -> Result<http::Request<Body>, Error> {
    check_header_count(&request, defaults.len())?;
    let headers = request.headers_mut();
    for (name, value) in defaults {
        if !headers.contains_key(name) {
            headers.insert(name, value.clone());
        }
    }
    Ok(request)
}

/// The headers the transport adds to the copy of each request it sends, and whether the
/// default headers are merged into each request before its chain runs instead.
///
/// A default header can wait for the copy when nothing between the client and the transport
/// reads or changes it: no middleware of the user's (which may remove it), and not a header
/// that following a redirect removes or replaces (credentials, `Host`, `Referer`, the body's;
/// see `Redirect::may_rewrite`) or that decides decoding (`Accept-Encoding`). Then a request
/// without headers of its own is sent without ever getting a header map of its own, and its
/// defaults are copied once, into the head hyper sends.
fn plan_additions<R: HttpRuntime>(chain: &Chain<R>, defaults: &HeaderMap) -> (HeaderMap, bool) {
    match chain {
        Chain::Dyn { .. } => (HeaderMap::new(), true),
        Chain::None => (defaults.clone(), false),
        Chain::Inline(builtins) => {
            let late = defaults.iter().all(|(name, value)| {
                name != ACCEPT_ENCODING && !builtins.redirect.may_rewrite(name, value)
            });
            let mut additions = if late {
                defaults.clone()
            } else {
                HeaderMap::new()
            };
            if let Some(accept) = builtins.decompression.accept_encoding() {
                // Only a map full of defaults has no room, and then every request is refused
                // for its number of headers anyway.
                let _ = additions.try_append(ACCEPT_ENCODING, accept.clone());
            }
            (additions, !late)
        }
    }
}

/// The timer of runtime `R`, for middleware.
pub(crate) fn runtime_timer<R: crate::transport::RuntimeGlue + 'static>()
-> Arc<dyn aioduct_middleware::Timer> {
    builtins::RuntimeTimer::<R>::shared()
}

/// Sends one request on a client's transport, boxed as a `Send` future. Only runtimes whose
/// request futures are `Send` have one ([`SendRuntime`](crate::SendRuntime)); middleware needs it.
///
/// The URL, peer and timings of the exchange go to the slot, beside the response: the response
/// a chain returns carries those of the chain's last exchange.
pub(crate) type TransportFn<R> = for<'a> fn(
    &'a Client<R>,
    http::Request<Body>,
    RequestOptions,
    &'a MetaSlot,
) -> BoxFuture<'a, Result<http::Response<Body>, Error>>;

/// Where the transport leaves the metadata of the last exchange of a chain.
pub(crate) type MetaSlot = std::sync::Mutex<Option<crate::response::Meta>>;

/// The middleware of a client.
enum Chain<R: HttpRuntime> {
    /// None: each request is one exchange.
    None,
    /// Only the built-ins on by default, run inline ([`Client::run_inline`]). Nothing is boxed,
    /// so every runtime has them, compio included.
    Inline(InlineBuiltins),
    /// Any other middleware: each link a boxed future, the last reaching the transport through
    /// `transport`.
    Dyn {
        list: Vec<Arc<dyn Middleware>>,
        transport: TransportFn<R>,
    },
}

/// The built-ins a client has unless configured otherwise; one switched off passes requests
/// through (`Policy::none()`, a `Decompression` with every coding off).
pub(crate) struct InlineBuiltins {
    pub(crate) redirect: aioduct_middleware::redirect::Redirect,
    pub(crate) decompression: Decompression,
}

/// Response decoding: aioduct-middleware's, or a stand-in when no coding is compiled in.
#[cfg(any(
    feature = "gzip",
    feature = "deflate",
    feature = "brotli",
    feature = "zstd"
))]
pub(crate) use aioduct_middleware::decompress::Decompression;
#[cfg(not(any(
    feature = "gzip",
    feature = "deflate",
    feature = "brotli",
    feature = "zstd"
)))]
pub(crate) use no_codings::Decompression;

/// Without a coding compiled in there is no decompression: requests pass through.
#[cfg(not(any(
    feature = "gzip",
    feature = "deflate",
    feature = "brotli",
    feature = "zstd"
)))]
mod no_codings {
    use aioduct_core::{Body, BoxFuture, Error, Middleware, Next};

    /// Stands in for aioduct-middleware's `Decompression` with no coding to decode.
    pub(crate) struct Decompression;

    impl Decompression {
        pub(crate) fn new() -> Self {
            Decompression
        }

        pub(crate) fn is_enabled(&self) -> bool {
            false
        }

        pub(crate) fn would_advertise(&self, _request: &http::Request<Body>) -> bool {
            false
        }

        pub(crate) fn accept_encoding(&self) -> Option<&http::HeaderValue> {
            None
        }

        pub(crate) fn decode(
            &self,
            response: http::Response<Body>,
            _head: bool,
        ) -> Result<http::Response<Body>, aioduct_core::Error> {
            Ok(response)
        }
    }

    impl Middleware for Decompression {
        fn handle<'a>(
            &'a self,
            request: http::Request<Body>,
            next: Next<'a>,
        ) -> BoxFuture<'a, Result<http::Response<Body>, Error>> {
            next.run(request)
        }
    }
}

/// The most headers a request may carry: far more than any server accepts (hyper's default is
/// 100), and far enough below `HeaderMap`'s limit that the headers the client adds (defaults,
/// `Host`, cookies, credentials) always fit.
const MAX_REQUEST_HEADERS: usize = 10_000;

/// Refuses a request with more than [`MAX_REQUEST_HEADERS`] headers, counting `more` about to be
/// added. Checked where headers are added in bulk (the builder) or a request enters the client,
/// so that no later insert can reach `HeaderMap`'s limit, where it would panic.
pub(crate) fn check_header_count(request: &http::Request<Body>, more: usize) -> Result<(), Error> {
    let count = request.headers().len() + more;
    if count <= MAX_REQUEST_HEADERS {
        return Ok(());
    }
    let with = if more > 0 {
        " with the client's defaults"
    } else {
        ""
    };
    let message =
        format!("the request has {count} headers{with}; at most {MAX_REQUEST_HEADERS} are sent");
    Err(Error::msg(ErrorKind::Builder, message).with_url(request.uri().clone()))
}

/// The error of a request that outlived its deadline.
fn timed_out(url: &http::Uri) -> Error {
    Error::msg(ErrorKind::Timeout, "request timed out").with_url(url.clone())
}

/// The end of the middleware chain: the client's transport.
struct TransportEndpoint<'c, R: HttpRuntime> {
    client: &'c Client<R>,
    options: RequestOptions,
    transport: TransportFn<R>,
    last: &'c MetaSlot,
}

impl<R: HttpRuntime> Endpoint for TransportEndpoint<'_, R> {
    fn call(
        &self,
        request: http::Request<Body>,
    ) -> BoxFuture<'_, Result<http::Response<Body>, Error>> {
        (self.transport)(self.client, request, self.options, self.last)
    }
}
