//! One request's redirect chain as plain steps, for a caller that sends each hop itself.

use aioduct_core::{Body, Error, ErrorKind, Request, Result, clone_head};
use http::{
    HeaderMap, Method, StatusCode, Uri,
    header::{HOST, LOCATION, REFERER},
    uri::Scheme,
};

use super::{
    CONTENT_HEADERS, Policy, Redirect, is_redirect, location, policy::ActionKind, referer,
};
use crate::{RedirectContext, same_origin};

/// The redirect chain of one request: what [`Redirect::follow_with`] keeps between hops, as
/// steps a caller runs around its own send.
///
/// Once a hop's response head is in, [`next`](Hops::next), given the hop's request as it was sent
/// (its body is not needed), says whether that response is the answer or which request comes
/// next (after the caller has read or dropped the redirect response's body). A caller whose send
/// consumes the request keeps a copy for it with [`keep`](Hops::keep).
///
/// ```
/// use aioduct_core::Body;
/// use aioduct_middleware::redirect::{Policy, Redirect};
/// use http::{HeaderMap, HeaderValue, StatusCode, header::LOCATION};
///
/// let redirect = Redirect::new(Policy::limited(5));
/// let first = http::Request::get("http://example.com/a").body(Body::empty()).unwrap();
/// let mut hops = redirect.hops(&first)?;
/// // ... `first` is sent, and the answer is a 302 to /b:
/// let mut headers = HeaderMap::new();
/// headers.insert(LOCATION, HeaderValue::from_static("/b"));
/// let next = hops.next(first, StatusCode::FOUND, &headers)?;
/// let next = next.expect("a 302 with a Location is followed");
/// assert_eq!(next.uri(), "http://example.com/b");
/// // ... `next` is sent, and the answer is a 200:
/// assert!(hops.next(next, StatusCode::OK, &HeaderMap::new())?.is_none());
/// # Ok::<(), aioduct_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Hops<'a> {
    redirect: &'a Redirect,
    policy: Policy,
    /// Whether any redirect may be followed; if not, nothing is kept of the hops.
    follows: bool,
    /// The body to send again on a 307/308, when it is held in memory.
    replay: Option<Body>,
    /// The URLs of the chain, filled at the first redirect (the first is the request's).
    visited: Vec<Uri>,
    credentials_stripped: bool,
}

impl Redirect {
    /// Starts the redirect chain of `first`, the request before any hop. With
    /// [`https_only`](Redirect::https_only), a non-https `first` is an error.
    pub fn hops(&self, first: &Request) -> Result<Hops<'_>> {
        if self.https_only && first.uri().scheme() != Some(&Scheme::HTTPS) {
            return Err(Error::msg(
                ErrorKind::Builder,
                "https_only is set and the URL is not https",
            )
            .with_url(first.uri().clone()));
        }
        let policy = first
            .extensions()
            .get::<Policy>()
            .unwrap_or(&self.policy)
            .clone();
        let follows = !policy.is_none();
        Ok(Hops {
            redirect: self,
            // A body held in memory can be sent again on a 307/308; a stream cannot.
            replay: if follows {
                first.body().try_clone()
            } else {
                None
            },
            policy,
            follows,
            visited: Vec::new(),
            credentials_stripped: false,
        })
    }
}

impl Hops<'_> {
    /// A copy of `request` without its body, for [`next`](Hops::next) once `request` is sent;
    /// `None` when no redirect can be followed, so nothing needs keeping.
    pub fn keep(&self, request: &Request) -> Option<Request> {
        self.follows
            .then(|| http::Request::from_parts(clone_head(request), Body::empty()))
    }

    /// The request to send next, given the last hop's request as it was sent (`sent`: its
    /// method, URL, headers and extensions; not its body) and the head of its response: `None`
    /// when that response is the answer (not a redirect, no `Location`, or the policy stops
    /// there).
    ///
    /// A `Location` that is not an http(s) URL, a target the policy refuses, a non-https
    /// target with [`https_only`](Redirect::https_only) and a 307/308 of a streamed body are
    /// redirect errors carrying the URL concerned.
    pub fn next(
        &mut self,
        sent: Request,
        status: StatusCode,
        headers: &HeaderMap,
    ) -> Result<Option<Request>> {
        if !self.follows || !is_redirect(status) {
            return Ok(None);
        }
        let Some(location) = headers.get(LOCATION) else {
            return Ok(None);
        };
        let (sent, _) = sent.into_parts();
        let http::request::Parts {
            method,
            uri: url,
            version,
            mut headers,
            mut extensions,
            ..
        } = sent;
        let next_url = location::resolve(&url, location.as_bytes())
            .map_err(|refusal| Error::msg(ErrorKind::Redirect, refusal).with_url(url.clone()))?;
        let refuse = |message: &str| {
            Error::msg(ErrorKind::Redirect, message.to_owned()).with_url(next_url.clone())
        };
        if self.redirect.https_only && next_url.scheme() != Some(&Scheme::HTTPS) {
            return Err(refuse(
                "https_only is set and the redirect target is not https",
            ));
        }
        if self.visited.is_empty() {
            self.visited.push(url.clone());
        }
        let attempt = super::Attempt {
            status,
            next: &next_url,
            previous: &self.visited,
        };
        match self.policy.decide(attempt).kind {
            ActionKind::Follow => {}
            ActionKind::Stop => return Ok(None),
            ActionKind::Error(source) => {
                return Err(Error::new(ErrorKind::Redirect, Some(source)).with_url(next_url));
            }
        }

        let keeps_body = match status {
            StatusCode::SEE_OTHER => false,
            StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method != Method::POST,
            _ => true,
        };
        let (method, body) = if keeps_body {
            let body = self.replay.as_ref().and_then(Body::try_clone).ok_or_else(|| {
                refuse(
                    "the request body is a stream and cannot be sent again to follow the redirect",
                )
            })?;
            (method, body)
        } else {
            for name in &CONTENT_HEADERS {
                headers.remove(name);
            }
            self.replay = Some(Body::empty());
            let method = if method == Method::HEAD {
                Method::HEAD
            } else {
                Method::GET
            };
            (method, Body::empty())
        };

        let same_origin = same_origin(&url, &next_url);
        if !same_origin {
            self.redirect.strip_credentials(&mut headers);
            self.credentials_stripped = true;
        }
        if url.authority() != next_url.authority() {
            headers.remove(HOST);
        }
        if self.redirect.referer {
            match referer(&url, &next_url, same_origin) {
                Some(value) => headers.insert(REFERER, value),
                None => headers.remove(REFERER),
            };
        }

        self.visited.push(next_url.clone());
        extensions.insert(RedirectContext {
            first_url: self.visited[0].clone(),
            previous_url: url,
            hops: self.visited.len() - 1,
            credentials_stripped: self.credentials_stripped,
        });
        let mut hop = http::Request::new(body);
        *hop.method_mut() = method;
        *hop.uri_mut() = next_url;
        *hop.version_mut() = version;
        *hop.headers_mut() = headers;
        *hop.extensions_mut() = extensions;
        Ok(Some(hop))
    }
}
