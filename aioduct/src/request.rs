//! Building a request: headers, query, body, auth, per-request settings.

use std::{fmt, time::Duration};

use aioduct_core::{Body, BoxError, Error, ErrorKind};
use base64::Engine as _;
use bytes::Bytes;
use futures_core::Stream;
use http::{
    HeaderMap, HeaderName, HeaderValue, Uri, Version,
    header::{AUTHORIZATION, CONTENT_TYPE},
    uri::PathAndQuery,
};
use serde::Serialize;

use crate::{Client, HttpRuntime, Response, client::check_header_count};

/// A request being built; [`send`](RequestBuilder::send) it when ready.
///
/// Made by [`Client::get`] and its siblings. Mistakes (an invalid header, a query that does not
/// serialize) are kept and reported by `send` before anything goes on the wire.
pub struct RequestBuilder<R: HttpRuntime> {
    client: Client<R>,
    request: Result<http::Request<Body>, Error>,
    options: RequestOptions,
}

/// Settings that apply to one request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) version: Option<Version>,
    /// When the whole exchange must be over: set once, when sending starts, so that middleware
    /// that sends several requests (redirects, retries) stays within one deadline.
    pub(crate) deadline: Option<std::time::Instant>,
}

impl<R: HttpRuntime> RequestBuilder<R> {
    pub(crate) fn new(client: Client<R>, request: Result<http::Request<Body>, Error>) -> Self {
        RequestBuilder {
            client,
            request,
            options: RequestOptions::default(),
        }
    }

    fn map(mut self, f: impl FnOnce(&mut http::Request<Body>) -> Result<(), Error>) -> Self {
        if let Ok(req) = &mut self.request
            && let Err(err) = f(req)
        {
            self.request = Err(err);
        }
        self
    }

    /// Adds a header. Invalid names or values (CR, LF or NUL in a value) fail the request.
    pub fn header<K, V>(self, name: K, value: V) -> Self
    where
        K: TryInto<HeaderName>,
        K::Error: Into<BoxError>,
        V: TryInto<HeaderValue>,
        V::Error: Into<BoxError>,
    {
        self.map(|req| {
            let name = name.try_into().map_err(builder_error)?;
            let value = value.try_into().map_err(builder_error)?;
            req.headers_mut().append(name, value);
            check_header_count(req, 0)
        })
    }

    /// Adds every header of `headers`, replacing headers of the same name.
    pub fn headers(self, headers: HeaderMap) -> Self {
        self.map(|req| {
            // `HeaderMap` yields a name with the first value of each header, `None` with the rest.
            let mut current: Option<HeaderName> = None;
            for (name, value) in headers {
                if let Some(name) = name {
                    req.headers_mut().remove(&name);
                    current = Some(name);
                }
                if let Some(name) = &current {
                    req.headers_mut().append(name.clone(), value);
                    check_header_count(req, 0)?;
                }
            }
            Ok(())
        })
    }

    /// Appends query parameters, percent-encoded (a space becomes `%20`).
    ///
    /// Takes anything serde serializes as pairs: `&[("q", "rust")]`, a struct, a map.
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> Self {
        self.map(|req| {
            let encoded = serde_urlencoded::to_string(query).map_err(builder_error)?;
            if encoded.is_empty() {
                return Ok(());
            }
            // form-urlencoding writes a space as `+` and a literal `+` as `%2B`, so every `+`
            // left is a space; URLs spell it `%20`.
            let encoded = encoded.replace('+', "%20");
            let uri = req.uri();
            let path_and_query = match uri.query() {
                Some(existing) if !existing.is_empty() => {
                    format!("{}?{existing}&{encoded}", uri.path())
                }
                _ => format!("{}?{encoded}", uri.path()),
            };
            let mut parts = uri.clone().into_parts();
            parts.path_and_query =
                Some(PathAndQuery::try_from(path_and_query).map_err(builder_error)?);
            *req.uri_mut() = Uri::from_parts(parts).map_err(builder_error)?;
            Ok(())
        })
    }

    /// Sends `form` as an `application/x-www-form-urlencoded` body.
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> Self {
        self.map(|req| {
            let encoded = serde_urlencoded::to_string(form).map_err(builder_error)?;
            req.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            *req.body_mut() = Body::from(encoded);
            Ok(())
        })
    }

    /// Sends `value` as a JSON body.
    #[cfg(feature = "json")]
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(value).map_err(builder_error)?;
        let builder = self.map(|req| {
            req.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *req.body_mut() = Body::from(bytes);
            Ok(())
        });
        match builder.request {
            Err(err) => Err(err),
            Ok(_) => Ok(builder),
        }
    }

    /// Sets the body: `Vec<u8>`, `Bytes`, `String`, `&'static str`, or a [`Body`].
    pub fn body(self, body: impl Into<Body>) -> Self {
        let body = body.into();
        self.map(|req| {
            *req.body_mut() = body;
            Ok(())
        })
    }

    /// Streams the body from `stream` as it produces chunks, without buffering it.
    pub fn body_stream<S, B, E>(self, stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        self.body(Body::wrap_stream(stream))
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer_auth(self, token: impl fmt::Display) -> Self {
        self.map(|req| {
            let mut value =
                HeaderValue::try_from(format!("Bearer {token}")).map_err(builder_error)?;
            value.set_sensitive(true);
            req.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    /// Sends `Authorization: Basic` with `user` and, if given, `password`.
    pub fn basic_auth(self, user: impl fmt::Display, password: Option<impl fmt::Display>) -> Self {
        self.map(|req| {
            let value = basic_auth_value(
                &user.to_string(),
                password.map(|p| p.to_string()).as_deref(),
            )?;
            req.headers_mut().insert(AUTHORIZATION, value);
            Ok(())
        })
    }

    /// Adds a value to the request's extensions, where middleware finds per-request settings
    /// (a [`redirect::Policy`](crate::redirect::Policy), a retry policy, ...).
    pub fn extension<T: Clone + Send + Sync + 'static>(self, value: T) -> Self {
        self.map(|req| {
            req.extensions_mut().insert(value);
            Ok(())
        })
    }

    /// Bounds this whole exchange, reading the body included; overrides the client's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// The HTTP version to use. `HTTP_2` on an `http://` URL speaks HTTP/2 by prior knowledge;
    /// `HTTP_11` keeps an `http://` request on HTTP/1.1 even when the client uses prior
    /// knowledge. Over `https://`, ALPN decides.
    pub fn version(mut self, version: Version) -> Self {
        self.options.version = Some(version);
        self
    }

    /// The request as built so far, without sending it.
    pub fn build(self) -> Result<http::Request<Body>, Error> {
        self.request
    }

    /// Sends the request and waits for the response head; the body streams afterwards.
    // A plain function handing over the client's request future: an `async fn` here would keep
    // its own copy of the builder beside it, and move the request and the response once more.
    pub fn send(self) -> impl Future<Output = Result<Response, Error>> {
        Client::execute_owned(self.client, self.request, self.options)
    }
}

impl<R: HttpRuntime> fmt::Debug for RequestBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.request {
            Ok(req) => f
                .debug_struct("RequestBuilder")
                .field("method", req.method())
                .field("url", &format_args!("{}", req.uri()))
                .finish_non_exhaustive(),
            Err(err) => f.debug_tuple("RequestBuilder").field(err).finish(),
        }
    }
}

/// `Basic base64(user:password)`, marked sensitive so it is never logged.
pub(crate) fn basic_auth_value(user: &str, password: Option<&str>) -> Result<HeaderValue, Error> {
    let credentials = match password {
        Some(password) => format!("{user}:{password}"),
        None => format!("{user}:"),
    };
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    let mut value = HeaderValue::try_from(format!("Basic {encoded}")).map_err(builder_error)?;
    value.set_sensitive(true);
    Ok(value)
}

fn builder_error<E: Into<BoxError>>(err: E) -> Error {
    Error::new(ErrorKind::Builder, Some(err))
}
