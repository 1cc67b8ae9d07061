//! The redirect middleware against a scripted endpoint, no sockets.

use std::sync::{Arc, Mutex};

use aioduct_core::{Body, Endpoint, Middleware};
use http::{
    Method,
    header::{LOCATION, REFERER},
};

use super::*;
use crate::RedirectContext;

/// What the endpoint saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: Method,
    url: String,
    headers: HeaderMap,
    body: Vec<u8>,
    context: Option<RedirectContext>,
}

/// Answers by URL path: `/to?<location>` redirects with the status in `x-status` (302 by
/// default) to `<location>`; anything else is a 200 with body "done".
struct Script {
    seen: Mutex<Vec<Seen>>,
    status: u16,
}

impl Endpoint for Script {
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>> {
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            self.seen.lock().unwrap().push(Seen {
                method: parts.method.clone(),
                url: parts.uri.to_string(),
                headers: parts.headers.clone(),
                body: body.as_bytes().map(<[u8]>::to_vec).unwrap_or_default(),
                context: parts.extensions.get::<RedirectContext>().cloned(),
            });
            let response = match parts.uri.path() {
                "/to" => http::Response::builder()
                    .status(self.status)
                    .header(
                        LOCATION,
                        parts.uri.query().unwrap_or("").replace("%3F", "?"),
                    )
                    .body(Body::from("moved"))
                    .unwrap(),
                _ => http::Response::new(Body::from("done")),
            };
            Ok(response)
        })
    }
}

fn run(redirect: Redirect, status: u16, req: Request) -> (Result<Response>, Vec<Seen>) {
    let script = Script {
        seen: Mutex::new(Vec::new()),
        status,
    };
    let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(redirect)];
    let result = futures_lite::future::block_on(Next::new(&chain, &script).run(req));
    (result, script.seen.into_inner().unwrap())
}

fn request(method: Method, url: &str, body: Body) -> Request {
    let mut req = http::Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = url.parse().unwrap();
    let headers = req.headers_mut();
    headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer secret"));
    headers.insert(COOKIE, HeaderValue::from_static("session=1"));
    headers.insert(
        PROXY_AUTHORIZATION,
        HeaderValue::from_static("Basic cHJveHk="),
    );
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let mut key = HeaderValue::from_static("k");
    key.set_sensitive(true);
    headers.insert("x-marked", key);
    headers.insert("x-api-key", HeaderValue::from_static("k"));
    req
}

const CREDENTIAL_NAMES: [&str; 5] = [
    "authorization",
    "cookie",
    "proxy-authorization",
    "x-marked",
    "x-api-key",
];

#[test]
fn cross_origin_hops_strip_credentials_for_the_rest_of_the_chain() {
    // a -> b (cross-host) -> b again: nothing on both b hops.
    let url = "http://a.test/to?http://b.test/to%3F/final";
    let redirect = Redirect::default().sensitive_header(HeaderName::from_static("x-api-key"));
    let (result, seen) = run(redirect, 302, request(Method::GET, url, Body::empty()));
    assert_eq!(result.unwrap().status(), StatusCode::OK);
    assert_eq!(seen.len(), 3);
    for name in CREDENTIAL_NAMES {
        assert!(seen[0].headers.contains_key(name), "first hop keeps {name}");
        assert!(!seen[1].headers.contains_key(name), "b hop 1 has {name}");
        assert!(!seen[2].headers.contains_key(name), "b hop 2 has {name}");
    }
    assert_eq!(seen[2].url, "http://b.test/final");
    assert!(seen[0].context.is_none());
    let last = seen[2].context.as_ref().unwrap();
    assert_eq!(last.hops, 2);
    assert!(last.credentials_stripped);
    assert_eq!(last.first_url, "http://a.test/to?http://b.test/to%3F/final");
    assert_eq!(last.previous_url, "http://b.test/to?/final");
    // Across origins the Referer is the origin alone.
    assert_eq!(seen[1].headers[REFERER], "http://a.test/");
    assert_eq!(seen[2].headers[REFERER], "http://b.test/to?/final");
}

#[test]
fn same_origin_hop_keeps_credentials_and_the_full_referer() {
    let (_, seen) = run(
        Redirect::default(),
        302,
        request(Method::GET, "http://a.test/to?/x", Body::empty()),
    );
    assert_eq!(seen.len(), 2);
    for name in CREDENTIAL_NAMES {
        assert!(seen[1].headers.contains_key(name), "{name}");
    }
    assert_eq!(seen[1].headers[REFERER], "http://a.test/to?/x");
    assert!(!seen[1].context.as_ref().unwrap().credentials_stripped);
}

#[test]
fn port_and_scheme_changes_are_cross_origin() {
    for target in ["http://a.test:8080/x", "https://a.test/x"] {
        let url = format!("http://a.test/to?{target}");
        let (_, seen) = run(
            Redirect::default(),
            307,
            request(Method::GET, &url, Body::empty()),
        );
        assert_eq!(seen[1].url, target);
        assert!(!seen[1].headers.contains_key(AUTHORIZATION), "{target}");
        assert!(!seen[1].headers.contains_key(COOKIE), "{target}");
    }
}

#[test]
fn https_to_http_sends_no_referer() {
    let (_, seen) = run(
        Redirect::default(),
        302,
        request(
            Method::GET,
            "https://a.test/to?http://a.test/x",
            Body::empty(),
        ),
    );
    assert!(!seen[1].headers.contains_key(REFERER));
}

#[test]
fn methods_and_bodies_per_status() {
    // (status, method, expected method, body kept)
    let cases = [
        (301, Method::POST, Method::GET, false),
        (302, Method::POST, Method::GET, false),
        (303, Method::POST, Method::GET, false),
        (303, Method::PUT, Method::GET, false),
        (303, Method::HEAD, Method::HEAD, false),
        (301, Method::PUT, Method::PUT, true),
        (302, Method::DELETE, Method::DELETE, true),
        (307, Method::POST, Method::POST, true),
        (308, Method::PUT, Method::PUT, true),
        (307, Method::HEAD, Method::HEAD, true),
    ];
    for (status, method, expected, kept) in cases {
        let req = request(method.clone(), "http://a.test/to?/x", Body::from("payload"));
        let (result, seen) = run(Redirect::default(), status, req);
        assert!(result.is_ok(), "{status} {method}");
        assert_eq!(seen[1].method, expected, "{status} {method}");
        let body: &[u8] = if kept { b"payload" } else { b"" };
        assert_eq!(seen[1].body, body, "{status} {method}");
        assert_eq!(
            seen[1].headers.contains_key(CONTENT_TYPE),
            kept,
            "{status} {method}"
        );
    }
}

#[test]
fn streaming_body_cannot_follow_307_but_can_follow_303() {
    let stream = || {
        Body::wrap_stream(futures_lite::stream::iter([Ok::<_, std::io::Error>(
            bytes::Bytes::from_static(b"chunk"),
        )]))
    };
    let (result, seen) = run(
        Redirect::default(),
        307,
        request(Method::POST, "http://a.test/to?/x", stream()),
    );
    let err = result.unwrap_err();
    assert!(err.is_redirect());
    assert_eq!(err.url().unwrap(), "http://a.test/x");
    assert_eq!(seen.len(), 1);

    let (result, seen) = run(
        Redirect::default(),
        303,
        request(Method::POST, "http://a.test/to?/x", stream()),
    );
    assert!(result.is_ok());
    assert_eq!(seen[1].method, Method::GET);
}

#[test]
fn loops_limits_and_bad_locations_are_redirect_errors_with_the_url() {
    let (result, seen) = run(
        Redirect::default(),
        302,
        request(Method::GET, "http://a.test/to?/to%3F/to", Body::empty()),
    );
    // /to?/to%3F/to -> /to?/to -> /to? -> "" ... the chain revisits a URL.
    let err = result.unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    assert!(err.url().is_some());
    assert!(seen.len() <= 4);

    let (result, seen) = run(
        Redirect::new(Policy::limited(1)),
        302,
        request(Method::GET, "http://a.test/to?/to%3F/x", Body::empty()),
    );
    let err = result.unwrap_err();
    assert!(err.is_redirect());
    assert_eq!(err.url().unwrap(), "http://a.test/x");
    assert_eq!(seen.len(), 2);

    let (result, _) = run(
        Redirect::default(),
        302,
        request(Method::GET, "http://a.test/to?ftp://a.test/", Body::empty()),
    );
    let err = result.unwrap_err();
    assert!(err.is_redirect());
    assert_eq!(err.url().unwrap(), "http://a.test/to?ftp://a.test/");
}

#[test]
fn policy_in_the_request_extensions_wins() {
    let mut req = request(Method::GET, "http://a.test/to?/x", Body::empty());
    req.extensions_mut().insert(Policy::none());
    let (result, seen) = run(Redirect::default(), 302, req);
    assert_eq!(result.unwrap().status(), StatusCode::FOUND);
    assert_eq!(seen.len(), 1);
}

#[test]
fn https_only_refuses_http_first_and_on_hops() {
    let (result, seen) = run(
        Redirect::default().https_only(true),
        302,
        request(Method::GET, "http://a.test/", Body::empty()),
    );
    assert!(result.unwrap_err().is_builder());
    assert!(seen.is_empty());

    let (result, seen) = run(
        Redirect::default().https_only(true),
        302,
        request(
            Method::GET,
            "https://a.test/to?http://a.test/",
            Body::empty(),
        ),
    );
    let err = result.unwrap_err();
    assert!(err.is_redirect());
    assert_eq!(err.url().unwrap(), "http://a.test/");
    assert_eq!(seen.len(), 1);
}

#[test]
fn redirect_without_location_is_returned() {
    let (result, seen) = run(
        Redirect::default(),
        302,
        request(Method::GET, "http://a.test/to", Body::empty()),
    );
    // An empty Location header resolves to the same URL: a loop.
    assert!(result.unwrap_err().is_redirect());
    assert_eq!(seen.len(), 1);
}

#[test]
fn may_rewrite_names_what_a_hop_can_remove_or_replace() {
    let redirect = Redirect::default().sensitive_header(HeaderName::from_static("x-api-key"));
    let plain = HeaderValue::from_static("v");
    let mut marked = plain.clone();
    marked.set_sensitive(true);
    let rewritten = [
        "authorization",
        "cookie",
        "proxy-authorization",
        "x-api-key",
        "content-type",
        "content-length",
        "host",
        "referer",
    ];
    for name in rewritten {
        let name = HeaderName::from_static(name);
        assert!(redirect.may_rewrite(&name, &plain), "{name}");
    }
    for name in ["user-agent", "accept", "x-custom"] {
        let name = HeaderName::from_static(name);
        assert!(!redirect.may_rewrite(&name, &plain), "{name}");
    }
    let custom = HeaderName::from_static("x-custom");
    assert!(
        redirect.may_rewrite(&custom, &marked),
        "a value marked sensitive"
    );
}
