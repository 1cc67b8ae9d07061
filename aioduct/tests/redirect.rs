//! Redirects end to end: methods and bodies per status, credentials across origins, loops,
//! limits, policies, https_only and the final URL.

mod support;

use std::sync::{Arc, Mutex};

use aioduct::{
    Client, HeaderMap, HttpRuntime, SendRuntime, StatusCode, Uri,
    core::{BoxFuture, Middleware, Next, Request, Response},
    redirect::Policy,
};
use bytes::Bytes;
use support::redirects::{Log, Seen, server, values_seen, via};

/// Records the headers of every hop just before the transport (which removes a
/// Proxy-Authorization that no proxy needs, so only here can its stripping be seen).
#[derive(Clone, Default)]
struct Hops(Arc<Mutex<Vec<(String, HeaderMap)>>>);

impl Middleware for Hops {
    fn handle<'a>(
        &'a self,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, aioduct::Result<Response>> {
        self.0
            .lock()
            .unwrap()
            .push((req.uri().to_string(), req.headers().clone()));
        next.run(req)
    }
}

fn client<R: SendRuntime>(hops: &Hops) -> Client<R> {
    Client::<R>::builder()
        .no_proxy()
        .middleware(hops.clone())
        .build()
}

const CREDENTIALS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// Sends a GET to `url` with a bearer token, a Cookie and a Proxy-Authorization.
async fn get_with_credentials<R: SendRuntime>(client: &Client<R>, url: String) -> Response {
    client
        .get(url)
        .unwrap()
        .bearer_auth("secret-token")
        .header("cookie", "session=caller")
        .header("proxy-authorization", "Basic cHJveHk6cHc=")
        .send()
        .await
        .unwrap()
        .into_http()
}

/// The first hop carried every credential, the others none.
fn assert_stripped_after_first(hops: &Hops, expected_hops: usize) {
    let hops = hops.0.lock().unwrap();
    assert_eq!(hops.len(), expected_hops, "{hops:?}");
    for name in CREDENTIALS {
        assert!(hops[0].1.contains_key(name), "first hop lacks {name}");
        for (url, headers) in &hops[1..] {
            assert!(!headers.contains_key(name), "{name} sent to {url}");
        }
    }
}

fn assert_no_credentials(seen: &[Seen]) {
    for request in seen {
        for name in CREDENTIALS {
            assert!(
                !request.headers.contains_key(name),
                "{name} reached {}",
                request.path
            );
        }
    }
}

async fn default_headers_reach_every_hop_but_credentials_stay_behind<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let port = server.addr().port();
    let start = server.url(&via(302, &format!("http://localhost:{port}/landed")));
    let client = |defaults: &[(&'static str, &'static str)]| {
        let mut headers = HeaderMap::new();
        for (name, value) in defaults {
            headers.insert(*name, value.parse().unwrap());
        }
        Client::<R>::builder()
            .no_proxy()
            .default_headers(headers)
            .build()
    };
    let client_one = client(&[("x-custom", "one")]);
    let resp = client_one.get(&start).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let seen = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(seen.len(), 2);
    assert_eq!(values_seen(&seen, "x-custom"), [["one"], ["one"]]);
    for name in ["user-agent", "accept"] {
        assert!(
            values_seen(&seen, name).iter().all(|v| v.len() == 1),
            "{name}"
        );
    }
    assert!(
        values_seen(&seen, "accept-encoding")
            .iter()
            .all(|v| v.len() <= 1)
    );

    // A default credential and a default body header are the request's own as far as a
    // redirect is concerned: the first stays on its origin, the second goes with the body.
    let client = client(&[
        ("authorization", "Bearer default-secret"),
        ("content-type", "application/json"),
        ("x-custom", "two"),
    ]);
    let resp = client.get(&start).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let see_other = server.url(&via(303, "/after-post"));
    let resp = client.post(&see_other).unwrap().body("{}").send().await;
    assert_eq!(resp.unwrap().status(), StatusCode::OK);
    let seen = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(seen.len(), 4);
    let authorization = values_seen(&seen, "authorization");
    assert_eq!(authorization[0], ["Bearer default-secret"]);
    assert!(authorization[1].is_empty(), "credentials crossed origins");
    let content_type = values_seen(&seen, "content-type");
    assert_eq!(
        (seen[2].method.as_str(), seen[3].method.as_str()),
        ("POST", "GET")
    );
    assert_eq!(content_type[2], ["application/json"]);
    assert!(
        content_type[3].is_empty(),
        "a GET without body kept Content-Type"
    );
    assert!(values_seen(&seen, "x-custom").iter().all(|v| v == &["two"]));
}

async fn cross_host_redirect_strips_credentials<R: SendRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let port = server.addr().port();
    // Same server and port, another host name: 127.0.0.1 -> localhost.
    let start = server.url(&via(302, &format!("http://localhost:{port}/landed")));
    let hops = Hops::default();
    let resp = get_with_credentials(&client::<R>(&hops), start).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_stripped_after_first(&hops, 2);
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].headers["authorization"], "Bearer secret-token");
    assert_eq!(seen[0].headers["cookie"], "session=caller");
    assert_eq!(seen[1].path, "/landed");
    assert_no_credentials(&seen[1..]);
}

async fn cross_port_redirect_strips_credentials<R: SendRuntime>() {
    let (log_a, log_b) = (Log::default(), Log::default());
    let (a, b) = (server(&log_a), server(&log_b));
    let start = a.url(&via(307, &b.url("/landed")));
    let hops = Hops::default();
    let resp = get_with_credentials(&client::<R>(&hops), start).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_stripped_after_first(&hops, 2);
    assert_eq!(
        log_a.lock().unwrap()[0].headers["authorization"],
        "Bearer secret-token"
    );
    let seen = log_b.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_no_credentials(&seen);
}

/// a -> b -> b: the second hop on b is same-origin, and still carries nothing.
async fn credentials_stay_stripped_a_to_b_to_b<R: SendRuntime>() {
    let (log_a, log_b) = (Log::default(), Log::default());
    let (a, b) = (server(&log_a), server(&log_b));
    let b_port = b.addr().port();
    let second = format!("http://localhost:{b_port}/final");
    let first = format!("http://localhost:{b_port}{}", via(302, &second));
    let hops = Hops::default();
    let resp = get_with_credentials(&client::<R>(&hops), a.url(&via(302, &first))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_stripped_after_first(&hops, 3);
    let seen = log_b.lock().unwrap();
    assert_eq!(seen.len(), 2, "both hops reached b");
    assert_eq!(seen[1].path, "/final");
    assert_no_credentials(&seen);
}

/// Credentials from URL user information travel as Authorization, and are stripped like it.
async fn userinfo_never_travels_cross_origin<R: SendRuntime>() {
    let (log_a, log_b) = (Log::default(), Log::default());
    let (a, b) = (server(&log_a), server(&log_b));
    let start = a
        .url(&via(302, &b.url("/landed")))
        .replace("http://", "http://user:pass@");
    let client = Client::<R>::builder().no_proxy().build();
    let resp = client.get(start).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        log_a.lock().unwrap()[0].headers["authorization"],
        "Basic dXNlcjpwYXNz"
    );
    assert_no_credentials(&log_b.lock().unwrap());
}

async fn same_origin_redirect_keeps_authorization<R: SendRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let first = server.url(&via(301, "/landed"));
    let hops = Hops::default();
    let resp = get_with_credentials(&client::<R>(&hops), first.clone()).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].headers["authorization"], "Bearer secret-token");
    assert_eq!(seen[1].headers["cookie"], "session=caller");
    assert_eq!(seen[1].headers["referer"], first.as_str());
    let hops = hops.0.lock().unwrap();
    assert!(hops[1].1.contains_key("proxy-authorization"));
}

/// `[::1%25.foo.com]` is an IPv6 literal with a zone identifier: not the origin it redirects
/// from, and refused outright, so nothing (credentials least of all) is sent to it.
async fn ipv6_zone_id_location_is_cross_origin_and_refused<R: SendRuntime>() {
    use aioduct::middleware::same_origin;
    let zoned: Uri = "http://[::1%25.foo.com]/".parse().unwrap();
    for other in ["http://[::1]/", "http://foo.com/", "http://127.0.0.1/"] {
        assert!(!same_origin(&zoned, &other.parse().unwrap()), "{other}");
    }

    let (log_a, log_b) = (Log::default(), Log::default());
    let (a, b) = (server(&log_a), server(&log_b));
    let target = format!("http://[::1%25.foo.com]:{}/stolen", b.addr().port());
    let start = a.url(&via(302, &target));
    let hops = Hops::default();
    let err = client::<R>(&hops)
        .get(&start)
        .unwrap()
        .bearer_auth("secret-token")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    assert_eq!(err.url().unwrap().to_string(), start);
    assert!(err.to_string().contains("zone"), "{err}");
    assert_eq!(hops.0.lock().unwrap().len(), 1);
    assert!(log_b.lock().unwrap().is_empty());
    assert_eq!(b.accepted(), 0);
}

async fn post_303_becomes_get_without_body<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().build();
    let resp = client
        .post(server.url(&via(303, "/result")))
        .unwrap()
        .header("content-type", "text/plain")
        .body("form data")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "GET /result ");
    let seen = log.lock().unwrap();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(&seen[0].body[..], b"form data");
    assert_eq!(seen[1].method, "GET");
    assert!(seen[1].body.is_empty());
    for name in ["content-type", "content-length", "transfer-encoding"] {
        assert!(!seen[1].headers.contains_key(name), "{name}");
    }
}

async fn post_307_replays_body<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().build();
    let resp = client
        .post(server.url(&via(307, "/again")))
        .unwrap()
        .header("content-type", "text/plain")
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "POST /again payload");
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].headers["content-type"], "text/plain");
}

async fn streaming_body_on_307_is_an_error<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().build();
    let chunks = futures_lite::stream::iter([Ok::<_, std::io::Error>(Bytes::from("streamed"))]);
    let err = client
        .post(server.url(&via(307, "/again")))
        .unwrap()
        .body_stream(chunks)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    assert_eq!(err.url().unwrap().to_string(), server.url("/again"));
    assert!(err.to_string().contains("stream"), "{err}");
    let seen = log.lock().unwrap();
    assert_eq!(seen.len(), 1, "the stream was sent once and not replayed");
    assert_eq!(&seen[0].body[..], b"streamed");
}

async fn redirect_loop_is_detected<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().build();
    let err = client
        .get(server.url("/ping"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    assert!(err.to_string().contains("loop"), "{err}");
    assert_eq!(err.url().unwrap().to_string(), server.url("/ping"));
    let paths: Vec<String> = log.lock().unwrap().iter().map(|s| s.path.clone()).collect();
    assert_eq!(paths, ["/ping", "/pong"]);
}

async fn too_many_redirects_is_an_error<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().max_redirects(3).build();
    let err = client
        .get(server.url("/grow"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err:?}");
    assert!(err.to_string().contains("too many"), "{err}");
    assert_eq!(err.url().unwrap().to_string(), server.url("/grow/g/g/g/g"));
    assert_eq!(
        log.lock().unwrap().len(),
        4,
        "the first request and 3 redirects"
    );
}

async fn policy_none_returns_the_redirect<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let url = server.url(&via(302, "/landed"));
    // Per request, overriding the client's default.
    let client = Client::<R>::builder().no_proxy().build();
    let resp = client
        .get(&url)
        .unwrap()
        .extension(Policy::none())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()["location"], "/landed");
    assert_eq!(resp.url().to_string(), url);
    assert_eq!(resp.text().await.unwrap(), "redirecting");
    // For the whole client.
    let client = Client::<R>::builder()
        .no_proxy()
        .redirect(Policy::none())
        .build();
    let resp = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(log.lock().unwrap().len(), 2);
}

async fn custom_policy_decides_each_hop<R: SendRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let policy = Policy::custom(|attempt| {
        if attempt.url().path() == "/stop-here" {
            attempt.stop()
        } else if attempt.url().path() == "/forbidden" {
            attempt.error("not there")
        } else {
            attempt.follow()
        }
    });
    let client = Client::<R>::builder().no_proxy().redirect(policy).build();
    let resp = client
        .get(server.url(&via(302, &via(307, "/stop-here"))))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(resp.url().to_string(), server.url("/r/307//stop-here"));
    let err = client
        .get(server.url(&via(302, "/forbidden")))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect());
    assert_eq!(err.url().unwrap().to_string(), server.url("/forbidden"));
    let paths: Vec<String> = log.lock().unwrap().iter().map(|s| s.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/r/302//r/307//stop-here",
            "/r/307//stop-here",
            "/r/302//forbidden"
        ]
    );
}

async fn https_only_refuses_an_http_url<R: SendRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().https_only(true).build();
    let err = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert_eq!(err.url().unwrap().to_string(), server.url("/"));
    assert_eq!(server.accepted(), 0);
}

async fn response_url_is_the_final_url_and_the_connection_is_reused<R: HttpRuntime>() {
    let log = Log::default();
    let server = server(&log);
    let client = Client::<R>::builder().no_proxy().build();
    let resp = client
        .get(server.url(&via(301, &via(308, "/final?q=1"))))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.url().to_string(), server.url("/final?q=1"));
    assert_eq!(resp.remote_addr(), Some(server.addr()));
    assert_eq!(resp.text().await.unwrap(), "GET /final?q=1 ");
    assert_eq!(log.lock().unwrap().len(), 3);
    // The short redirect bodies were read to their end, so one connection served all hops.
    assert_eq!(server.accepted(), 1);
}

send_runtime_tests!(
    cross_host_redirect_strips_credentials,
    cross_port_redirect_strips_credentials,
    credentials_stay_stripped_a_to_b_to_b,
    userinfo_never_travels_cross_origin,
    same_origin_redirect_keeps_authorization,
    ipv6_zone_id_location_is_cross_origin_and_refused,
    custom_policy_decides_each_hop,
    https_only_refuses_an_http_url,
);

/// The default built-ins (redirects, decompression) run inline, without `Send` futures: these
/// run on compio too.
mod every_runtime {
    use super::*;

    runtime_tests!(
        default_headers_reach_every_hop_but_credentials_stay_behind,
        post_303_becomes_get_without_body,
        post_307_replays_body,
        streaming_body_on_307_is_an_error,
        redirect_loop_is_detected,
        too_many_redirects_is_an_error,
        policy_none_returns_the_redirect,
        response_url_is_the_final_url_and_the_connection_is_reused,
    );
}

/// Redirects between http and https, against the TLS test server.
#[cfg(feature = "rustls")]
mod tls {
    use aioduct::tls::{Certificate, RustlsConnector};

    use super::*;
    use crate::support::{
        Mode, Server,
        redirects::{record, redirect},
        text,
        tls::pki,
    };

    fn trusting<R: SendRuntime>() -> aioduct::ClientBuilder<R> {
        let ca = Certificate::from_der(pki().ca_der.clone());
        Client::<R>::builder()
            .no_proxy()
            .tls(RustlsConnector::with_extra_roots(&[ca]))
    }

    fn tls_server(log: &Log) -> Server {
        let log = log.clone();
        Server::start(
            Mode::Tls {
                h2: false,
                http1: true,
            },
            move |req| {
                let log = log.clone();
                async move {
                    let path = record(&log, req).await.path;
                    match path.strip_prefix("/to/") {
                        Some(location) => redirect(302, location),
                        None => text(200, format!("tls {path}")),
                    }
                }
            },
        )
    }

    /// Same host name, http then https: a scheme change is an origin change.
    async fn http_to_https_redirect_strips_credentials<R: SendRuntime>() {
        let (log_a, log_b) = (Log::default(), Log::default());
        let (a, b) = (server(&log_a), tls_server(&log_b));
        let plain = format!("http://localhost:{}", a.addr().port());
        let start = format!("{plain}{}", via(302, &b.https_url("/secure")));
        let hops = Hops::default();
        let client = trusting::<R>().middleware(hops.clone()).build();
        let resp = client
            .get(start)
            .unwrap()
            .bearer_auth("secret-token")
            .header("cookie", "session=caller")
            .header("proxy-authorization", "Basic cHJveHk6cHc=")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.url().to_string(), b.https_url("/secure"));
        assert_eq!(resp.text().await.unwrap(), "tls /secure");
        assert_stripped_after_first(&hops, 2);
        assert_eq!(log_a.lock().unwrap()[0].headers["cookie"], "session=caller");
        let seen = log_b.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_no_credentials(&seen);
    }

    async fn https_only_refuses_a_downgrade<R: SendRuntime>() {
        let (log_a, log_b) = (Log::default(), Log::default());
        let (a, b) = (server(&log_a), tls_server(&log_b));
        let target = a.url("/plain");
        let client = trusting::<R>().https_only(true).build();
        let err = client
            .get(b.https_url(&format!("/to/{target}")))
            .unwrap()
            .send()
            .await
            .unwrap_err();
        assert!(err.is_redirect(), "{err:?}");
        assert_eq!(err.url().unwrap().to_string(), target);
        assert_eq!(log_b.lock().unwrap().len(), 1);
        assert_eq!(a.accepted(), 0, "nothing was sent over http");
        // Without https_only the same downgrade is followed, with no Referer.
        let client = trusting::<R>().build();
        let resp = client
            .get(b.https_url(&format!("/to/{target}")))
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(resp.text().await.unwrap(), "GET /plain ");
        assert!(!log_a.lock().unwrap()[0].headers.contains_key("referer"));
    }

    send_runtime_tests!(
        http_to_https_redirect_strips_credentials,
        https_only_refuses_a_downgrade,
    );
}
