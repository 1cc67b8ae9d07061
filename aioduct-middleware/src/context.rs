use http::Uri;

/// What the redirect middleware tells the middleware inside it about a hop, in the request's
/// extensions. Absent on the first request of a chain.
///
/// Cookies use `first_url` for SameSite decisions; auth and netrc stop adding credentials once
/// `credentials_stripped` is set (a hop left the original origin).
#[derive(Debug, Clone)]
pub struct RedirectContext {
    /// The URL the caller asked for.
    pub first_url: Uri,
    /// The URL whose response redirected here.
    pub previous_url: Uri,
    /// How many redirects have been followed, this one included.
    pub hops: usize,
    /// Whether some hop so far crossed origins, so credentials were removed for good.
    pub credentials_stripped: bool,
}

impl RedirectContext {
    /// Whether credentials may be added to `req`: it is not a hop after a cross-origin redirect.
    ///
    /// ```
    /// use aioduct_core::{Body, http};
    /// use aioduct_middleware::RedirectContext;
    ///
    /// let req = http::Request::new(Body::empty());
    /// assert!(RedirectContext::credentials_allowed(&req));
    /// ```
    pub fn credentials_allowed<B>(req: &http::Request<B>) -> bool {
        req.extensions()
            .get::<RedirectContext>()
            .is_none_or(|context| !context.credentials_stripped)
    }
}
