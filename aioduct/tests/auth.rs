//! Basic and bearer helpers, and Digest (RFC 7616) against a server that checks each answer.

#![cfg(feature = "digest-auth")]

mod support;

use std::sync::{Arc, Mutex};

use aioduct::{
    Client, SendRuntime,
    middleware::auth::{basic_header, bearer_header},
};
use md5::Md5;
use sha2::{Digest as _, Sha256, Sha512_256};
use support::{Reply, Server, echo_server, read_body, text};

const USER: &str = "Mufasa";
const PASSWORD: &str = "Circle of Life";
const REALM: &str = "test@aioduct";
const OPAQUE: &str = "0paque";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn h(algorithm: &str, data: &str) -> String {
    h_bytes(algorithm, data.as_bytes())
}

fn h_bytes(algorithm: &str, data: &[u8]) -> String {
    match algorithm.trim_end_matches("-sess") {
        "MD5" => hex(&Md5::digest(data)),
        "SHA-256" => hex(&Sha256::digest(data)),
        "SHA-512-256" => hex(&Sha512_256::digest(data)),
        other => panic!("test server does not know {other}"),
    }
}

/// The params of an `Authorization: Digest ...` value: `name=value` or `name="value"` pairs.
fn params(value: &str) -> Vec<(String, String)> {
    let rest = value.strip_prefix("Digest ").expect("a Digest answer");
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || *c == ' ') {
            chars.next();
        }
        let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if name.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                value.push(c);
            }
        }
        out.push((name.trim().to_owned(), value));
    }
}

/// What the digest server is configured with and what it saw.
struct Digest {
    algorithm: &'static str,
    qop: &'static str,
    userhash: bool,
    /// Another `WWW-Authenticate` header sent before the real challenge.
    extra: Option<&'static str>,
    /// The nonce currently valid; a request with another gets `stale=true`.
    nonce: Mutex<String>,
    /// Per request: the `Authorization` nc sent (`None` for no Authorization) and the verdict.
    log: Mutex<Vec<(Option<String>, bool)>>,
}

impl Digest {
    fn new(algorithm: &'static str, qop: &'static str) -> Arc<Digest> {
        Arc::new(Digest {
            algorithm,
            qop,
            userhash: false,
            extra: None,
            nonce: Mutex::new("nonce-1".to_owned()),
            log: Mutex::new(Vec::new()),
        })
    }

    fn challenge(&self, stale: bool) -> Reply {
        let mut value = format!(
            r#"Basic realm="other", Digest realm="{REALM}", nonce="{}", opaque="{OPAQUE}", algorithm={}"#,
            self.nonce.lock().unwrap(),
            self.algorithm,
        );
        if !self.qop.is_empty() {
            value.push_str(&format!(r#", qop="{}""#, self.qop));
        }
        if self.userhash {
            value.push_str(", userhash=true");
        }
        if stale {
            value.push_str(", stale=true");
        }
        let mut reply = text(401, "who are you");
        let headers = reply.headers_mut();
        if let Some(extra) = self.extra {
            headers.append("www-authenticate", extra.parse().unwrap());
        }
        headers.append("www-authenticate", value.parse().unwrap());
        reply
    }

    /// Checks an `Authorization` value the way a server does: `Ok` when it proves the password,
    /// `Err(stale)` otherwise.
    fn verify(&self, method: &str, target: &str, body: &[u8], auth: &str) -> Result<(), bool> {
        let p = params(auth);
        let get = |name: &str| {
            p.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let alg = self.algorithm;
        let expected_user = if self.userhash {
            h(alg, &format!("{USER}:{REALM}"))
        } else {
            USER.to_owned()
        };
        let fields_ok = get("username") == expected_user
            && get("realm") == REALM
            && get("uri") == target
            && get("opaque") == OPAQUE
            && get("algorithm") == alg
            && (get("userhash") == "true") == self.userhash;
        if !fields_ok {
            return Err(false);
        }
        let nonce = get("nonce");
        let mut ha1 = h(alg, &format!("{USER}:{REALM}:{PASSWORD}"));
        if alg.ends_with("-sess") {
            ha1 = h(alg, &format!("{ha1}:{nonce}:{}", get("cnonce")));
        }
        let qop = get("qop");
        let ha2 = if qop == "auth-int" {
            h(alg, &format!("{method}:{target}:{}", h_bytes(alg, body)))
        } else {
            h(alg, &format!("{method}:{target}"))
        };
        let expected = if qop.is_empty() {
            h(alg, &format!("{ha1}:{nonce}:{ha2}"))
        } else {
            h(
                alg,
                &format!("{ha1}:{nonce}:{}:{}:{qop}:{ha2}", get("nc"), get("cnonce")),
            )
        };
        if get("response") != expected {
            return Err(false);
        }
        if nonce != *self.nonce.lock().unwrap() {
            return Err(true);
        }
        Ok(())
    }

    fn serve(self: &Arc<Self>) -> Server {
        let digest = self.clone();
        Server::http1(move |req| {
            let digest = digest.clone();
            async move {
                let (parts, body) = read_body(req).await;
                let Some(auth) = parts.headers.get("authorization") else {
                    digest.log.lock().unwrap().push((None, false));
                    return digest.challenge(false);
                };
                let auth = auth.to_str().unwrap().to_owned();
                let nc = params(&auth)
                    .into_iter()
                    .find(|(n, _)| n == "nc")
                    .map(|(_, v)| v)
                    .unwrap_or_default();
                let target = parts.uri.path_and_query().unwrap().as_str();
                let verdict = digest.verify(parts.method.as_str(), target, &body, &auth);
                digest.log.lock().unwrap().push((Some(nc), verdict.is_ok()));
                match verdict {
                    Ok(()) => text(200, format!("welcome {}", String::from_utf8_lossy(&body))),
                    Err(stale) => digest.challenge(stale),
                }
            }
        })
    }

    fn log(&self) -> Vec<(Option<String>, bool)> {
        self.log.lock().unwrap().clone()
    }
}

fn nc(n: u32) -> Option<String> {
    Some(format!("{n:08x}"))
}

async fn digest_answers_once_then_preemptively<R: SendRuntime>() {
    for algorithm in [
        "MD5",
        "MD5-sess",
        "SHA-256",
        "SHA-256-sess",
        "SHA-512-256",
        "SHA-512-256-sess",
    ] {
        let digest = Digest::new(algorithm, "auth");
        let server = digest.serve();
        let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
        let resp = client
            .get(server.url("/a?x=1"))
            .unwrap()
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{algorithm}");
        assert_eq!(digest.log(), [(None, false), (nc(1), true)], "{algorithm}");
        // The same origin later: Authorization from the start, the nonce count moving on.
        let resp = client.get(server.url("/b")).unwrap().send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let resp = client.get(server.url("/c")).unwrap().send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            digest.log()[2..],
            [(nc(2), true), (nc(3), true)],
            "{algorithm}"
        );
    }
}

async fn digest_strongest_algorithm_of_several_challenges<R: SendRuntime>() {
    // The real SHA-256 challenge comes after a header offering an unknown and a weaker one.
    let digest = Arc::new(Digest {
        extra: Some(
            r#"Digest realm="test@aioduct", nonce="x", algorithm=SHA3-256, Digest realm="test@aioduct", nonce="y", algorithm=MD5, qop=auth"#,
        ),
        ..Arc::into_inner(Digest::new("SHA-256", "auth")).unwrap()
    });
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client.get(server.url("/s")).unwrap().send().await.unwrap();
    assert_eq!(
        resp.status(),
        200,
        "answered with SHA-256, which the server checks"
    );
    assert_eq!(digest.log(), [(None, false), (nc(1), true)]);
}

async fn digest_wrong_password_returns_the_second_401<R: SendRuntime>() {
    let digest = Digest::new("SHA-256", "auth");
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, "wrong").build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        digest.log(),
        [(None, false), (nc(1), false)],
        "one retry only"
    );
}

async fn digest_unknown_algorithm_is_an_error<R: SendRuntime>() {
    let server = Server::http1(|_req| async {
        let mut reply = text(401, "no");
        reply.headers_mut().insert(
            "www-authenticate",
            r#"Digest realm="r", nonce="n", algorithm=SHA3-512, qop="auth""#
                .parse()
                .unwrap(),
        );
        reply
    });
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let err = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    assert!(err.to_string().contains("SHA3-512"), "{err}");
}

async fn digest_auth_int_covers_the_body<R: SendRuntime>() {
    let digest = Digest::new("SHA-256", "auth-int");
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client
        .put(server.url("/upload"))
        .unwrap()
        .body("the payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "welcome the payload");
    assert_eq!(digest.log(), [(None, false), (nc(1), true)]);
}

async fn digest_userhash_and_legacy_forms<R: SendRuntime>() {
    let digest = Arc::new(Digest {
        userhash: true,
        ..Arc::into_inner(Digest::new("SHA-512-256", "auth")).unwrap()
    });
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);

    // RFC 2069: no qop, no nc.
    let digest = Digest::new("MD5", "");
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(digest.log(), [(None, false), (Some(String::new()), true)]);
}

async fn digest_stale_nonce_is_renewed<R: SendRuntime>() {
    let digest = Digest::new("SHA-256", "auth");
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    // The server moves on to a new nonce: the preemptive answer is stale, and renewed once.
    *digest.nonce.lock().unwrap() = "nonce-2".to_owned();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        digest.log(),
        [(None, false), (nc(1), true), (nc(2), false), (nc(1), true)]
    );
}

async fn digest_leaves_the_callers_authorization_alone<R: SendRuntime>() {
    let digest = Digest::new("MD5", "auth");
    let server = digest.serve();
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client
        .get(server.url("/"))
        .unwrap()
        .header("authorization", "Digest username=\"x\"")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(digest.log(), [(Some(String::new()), false)]);
}

async fn digest_not_answered_after_a_cross_host_redirect<R: SendRuntime>() {
    // B (reached as `localhost`) challenges; A (127.0.0.1) redirects there.
    let digest = Digest::new("SHA-256", "auth");
    let b = digest.serve();
    let target = format!("http://localhost:{}/landing", b.addr().port());
    let a = Server::http1(move |_req| {
        let target = target.clone();
        async move {
            let mut reply = text(307, "elsewhere");
            reply
                .headers_mut()
                .insert("location", target.parse().unwrap());
            reply
        }
    });
    let client = Client::<R>::builder().digest_auth(USER, PASSWORD).build();
    let resp = client.get(a.url("/start")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 401, "B's challenge is returned unanswered");
    assert_eq!(digest.log(), [(None, false)]);
}

async fn basic_and_bearer_helpers_are_sent<R: SendRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let resp = client
        .get(server.url("/"))
        .unwrap()
        .header("authorization", basic_header("Aladdin", "open sesame"))
        .send()
        .await
        .unwrap();
    let report = resp.text().await.unwrap();
    assert!(
        report.contains("auth=Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        "{report}"
    );
    let resp = client
        .get(server.url("/"))
        .unwrap()
        .header("authorization", bearer_header("t0ken").unwrap())
        .send()
        .await
        .unwrap();
    assert!(resp.text().await.unwrap().contains("auth=Bearer t0ken"));
}

send_runtime_tests!(
    digest_answers_once_then_preemptively,
    digest_strongest_algorithm_of_several_challenges,
    digest_wrong_password_returns_the_second_401,
    digest_unknown_algorithm_is_an_error,
    digest_auth_int_covers_the_body,
    digest_userhash_and_legacy_forms,
    digest_stale_nonce_is_renewed,
    digest_leaves_the_callers_authorization_alone,
    digest_not_answered_after_a_cross_host_redirect,
    basic_and_bearer_helpers_are_sent,
);
