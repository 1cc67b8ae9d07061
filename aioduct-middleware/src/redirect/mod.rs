//! Following redirects: 301, 302, 303, 307 and 308.
//!
//! [`Redirect`] sends the request, and while the answer is a redirect the [`Policy`] agrees to
//! follow, sends the next hop through the rest of the chain:
//!
//! - **Method and body.** 303, and 301/302 after a POST, become a GET without body (HEAD stays
//!   HEAD) and lose their content headers; 307 and 308 send the same method and body again. A
//!   streamed body cannot be sent twice: following a 307/308 with one is an error.
//! - **Credentials.** The first hop that leaves the origin (scheme, host or port differs)
//!   removes `Authorization`, `Cookie`, `Proxy-Authorization`, `WWW-Authenticate`, every header
//!   value marked [sensitive](http::HeaderValue::set_sensitive) and any header named with
//!   [`Redirect::sensitive_header`]; they stay removed for the rest of the chain, and the
//!   [`RedirectContext`](crate::RedirectContext) of every later hop says so, so auth and netrc middleware add none.
//!   User information in a `Location` is dropped, never sent.
//! - **Referer.** Each hop carries the previous URL as `Referer`; only its origin when the hop
//!   leaves the origin, and none from https to http (the browsers' default policy).
//! - **Checks.** A `Location` that is not a valid http(s) URL, a loop, too many hops and, with
//!   [`Redirect::https_only`], any non-https URL end the request with an error for which
//!   `is_redirect()` holds, carrying the URL concerned.
//!
//! Every hop carries a [`RedirectContext`](crate::RedirectContext) in its extensions; the first request carries none.
//! The final response comes back as the transport gave it, so its URL is the last hop's.

mod hops;
mod location;
mod policy;

pub use hops::Hops;

pub use policy::{Action, Attempt, Policy};

use aioduct_core::{BoxFuture, Middleware, Next, Request, Response, Result};
use bytes::Buf;
use http::{
    HeaderMap, HeaderName, HeaderValue, StatusCode, Uri,
    header::{
        AUTHORIZATION, CONTENT_ENCODING, CONTENT_LANGUAGE, CONTENT_LENGTH, CONTENT_LOCATION,
        CONTENT_TYPE, COOKIE, HOST, PROXY_AUTHORIZATION, REFERER, TRANSFER_ENCODING,
        WWW_AUTHENTICATE,
    },
    uri::Scheme,
};
use http_body_util::BodyExt;

/// The credential headers removed on a cross-origin hop.
const CREDENTIALS: [HeaderName; 4] = [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, WWW_AUTHENTICATE];

/// The headers that describe a body, removed with it.
const CONTENT_HEADERS: [HeaderName; 6] = [
    CONTENT_TYPE,
    CONTENT_LENGTH,
    CONTENT_ENCODING,
    CONTENT_LANGUAGE,
    CONTENT_LOCATION,
    TRANSFER_ENCODING,
];

/// The most body bytes of a redirect response read before it is dropped: reading a short body
/// to its end lets the connection be reused.
const DRAIN_LIMIT: u64 = 64 * 1024;

/// The redirect middleware.
///
/// ```
/// use aioduct_middleware::redirect::{Policy, Redirect};
///
/// let redirect = Redirect::new(Policy::limited(5))
///     .https_only(true)
///     .sensitive_header(http::HeaderName::from_static("x-api-key"));
/// # drop(redirect);
/// ```
#[derive(Clone, Debug)]
pub struct Redirect {
    policy: Policy,
    https_only: bool,
    referer: bool,
    sensitive: Vec<HeaderName>,
}

impl Redirect {
    /// Follows redirects as `policy` says (a request may carry its own [`Policy`] in its
    /// extensions, which wins).
    pub fn new(policy: Policy) -> Self {
        Redirect {
            policy,
            https_only: false,
            referer: true,
            sensitive: Vec::new(),
        }
    }

    /// Refuses any non-https URL: the first request's (a builder error) and every redirect
    /// target's (a redirect error).
    pub fn https_only(mut self, enabled: bool) -> Self {
        self.https_only = enabled;
        self
    }

    /// Whether hops carry a `Referer` (on by default).
    pub fn referer(mut self, enabled: bool) -> Self {
        self.referer = enabled;
        self
    }

    /// Also removes `name` on a cross-origin hop, for credentials in a header of the caller's
    /// own (an API key).
    pub fn sensitive_header(mut self, name: HeaderName) -> Self {
        self.sensitive.push(name);
        self
    }

    /// Sends `current` with `send`, and while the answer is a redirect the policy follows, sends
    /// the next hop with `send` too: what the middleware does with [`Next`], for a caller that
    /// runs the rest of its chain itself (without boxing a future per hop).
    ///
    /// ```
    /// use aioduct_core::{Body, Result};
    /// use aioduct_middleware::redirect::{Policy, Redirect};
    /// use http::{Response, StatusCode};
    ///
    /// # futures_lite::future::block_on(async {
    /// let redirect = Redirect::new(Policy::limited(5));
    /// let mut hops = Vec::new();
    /// let request = http::Request::get("http://example.com/a").body(Body::empty()).unwrap();
    /// let response = redirect
    ///     .follow_with(request, |req| {
    ///         hops.push(req.uri().to_string());
    ///         let status = if hops.len() == 1 { StatusCode::FOUND } else { StatusCode::OK };
    ///         let response = Response::builder().status(status).header("location", "/b");
    ///         async move { Ok(response.body(Body::empty()).unwrap()) }
    ///     })
    ///     .await?;
    /// assert_eq!(response.status(), StatusCode::OK);
    /// assert_eq!(hops, ["http://example.com/a", "http://example.com/b"]);
    /// # Ok::<(), aioduct_core::Error>(())
    /// # }).unwrap();
    /// ```
    // A plain function returning an `async` block that owns `current` as it came: an `async fn`
    // would copy the request into a local of its own, and both copies stay in its future.
    #[allow(clippy::manual_async_fn)]
    pub fn follow_with<F, Fut>(
        &self,
        mut current: Request,
        mut send: F,
    ) -> impl std::future::Future<Output = Result<Response>>
    where
        F: FnMut(Request) -> Fut,
        Fut: std::future::Future<Output = Result<Response>>,
    {
        async move {
            let mut hops = self.hops(&current)?;
            loop {
                let sent = hops.keep(&current);
                // One `send(..).await`: each would take a slot in this future.
                let response = send(current).await?;
                let next = match sent {
                    Some(sent) => hops.next(sent, response.status(), response.headers())?,
                    None => None,
                };
                match next {
                    None => return Ok(response),
                    Some(next) => {
                        discard(response.into_body()).await;
                        current = next;
                    }
                }
            }
        }
    }

    /// Whether following a redirect may remove or replace the header `name: value` of a
    /// request: credentials and headers marked sensitive (on a cross-origin hop), the headers
    /// describing a body (when the method changes to GET), `Host` and `Referer`. A header for
    /// which this is false is carried to every hop unchanged, so a client may add it to each
    /// request it sends instead of to the one it follows.
    ///
    /// ```
    /// use aioduct_middleware::redirect::Redirect;
    /// use http::{HeaderValue, header};
    ///
    /// let redirect = Redirect::default();
    /// let value = HeaderValue::from_static("x");
    /// assert!(redirect.may_rewrite(&header::AUTHORIZATION, &value));
    /// assert!(!redirect.may_rewrite(&header::USER_AGENT, &value));
    /// ```
    pub fn may_rewrite(&self, name: &HeaderName, value: &HeaderValue) -> bool {
        value.is_sensitive()
            || CREDENTIALS.contains(name)
            || self.sensitive.contains(name)
            || CONTENT_HEADERS.contains(name)
            || name == HOST
            || name == REFERER
    }

    fn strip_credentials(&self, headers: &mut HeaderMap) {
        for name in CREDENTIALS.iter().chain(&self.sensitive) {
            headers.remove(name);
        }
        let marked: Vec<HeaderName> = headers
            .iter()
            .filter(|(_, value)| value.is_sensitive())
            .map(|(name, _)| name.clone())
            .collect();
        for name in marked {
            headers.remove(name);
        }
    }
}

impl Default for Redirect {
    /// `Redirect::new(Policy::default())`.
    fn default() -> Self {
        Redirect::new(Policy::default())
    }
}

impl Middleware for Redirect {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        Box::pin(self.follow_with(req, move |req| next.run(req)))
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::MOVED_PERMANENTLY
            | StatusCode::FOUND
            | StatusCode::SEE_OTHER
            | StatusCode::TEMPORARY_REDIRECT
            | StatusCode::PERMANENT_REDIRECT
    )
}

/// The `Referer` for a hop from `from` to `to` ("strict-origin-when-cross-origin"): the whole
/// URL within an origin (`same_origin`), the origin alone across origins, nothing from https to
/// http.
fn referer(from: &Uri, to: &Uri, same_origin: bool) -> Option<HeaderValue> {
    if from.scheme() == Some(&Scheme::HTTPS) && to.scheme() != Some(&Scheme::HTTPS) {
        return None;
    }
    let scheme = from.scheme_str()?;
    let authority = from.authority()?.as_str();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let path = match from.path_and_query() {
        Some(path) if same_origin => path.as_str(),
        _ => "/",
    };
    let mut value = String::with_capacity(scheme.len() + 3 + host_port.len() + path.len());
    for part in [scheme, "://", host_port, path] {
        value.push_str(part);
    }
    HeaderValue::try_from(value).ok()
}

/// Drops a redirect response's body, first reading a short one to its end so that the
/// connection can serve the next hop: a body of known length up to 64 KiB is read
/// whole; of unknown length, only what has already arrived, up to the same limit.
///
/// ```
/// # futures_lite::future::block_on(async {
/// let body = aioduct_core::Body::from("moved");
/// aioduct_middleware::redirect::discard(body).await;
/// # });
/// ```
pub async fn discard<B: http_body::Body + Unpin>(mut body: B) {
    let known_short = body.size_hint().upper().is_some_and(|n| n <= DRAIN_LIMIT);
    let mut read = 0u64;
    while !body.is_end_stream() && read <= DRAIN_LIMIT {
        let frame = if known_short {
            Some(body.frame().await)
        } else {
            futures_lite::future::poll_once(body.frame()).await
        };
        match frame {
            Some(Some(Ok(frame))) => {
                read += frame.data_ref().map_or(0, |data| data.remaining() as u64);
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests;
