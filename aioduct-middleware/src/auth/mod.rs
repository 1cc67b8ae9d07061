//! Authentication: `Basic` and `Bearer` header values, and Digest access authentication
//! (RFC 7616) as a middleware.
//!
//! [`DigestAuth`] answers a `401` carrying a `WWW-Authenticate: Digest` challenge once, with
//! the strongest algorithm offered (SHA-512-256, then SHA-256, then MD5, each also as `-sess`),
//! qop `auth` or `auth-int` (or RFC 2069's form without qop), `userhash`, and a fresh client
//! nonce. Later requests to the same origin carry `Authorization` from the start, reusing the
//! server's nonce with an incremented nonce count; a `stale=true` challenge is answered with its
//! new nonce. A challenge whose algorithms are all unknown is an error
//! ([`Error::is_unsupported`](aioduct_core::Error::is_unsupported)), never a silent fallback to
//! MD5. Credentials are never added to a hop after a cross-origin redirect.

mod challenge;
mod digest;

use std::{collections::HashMap, fmt, sync::Mutex};

use aioduct_core::{
    BoxFuture, Error, ErrorKind, Middleware, Next, Request, Response, Result, try_clone_request,
};
use base64::Engine as _;
use http::{
    HeaderValue, StatusCode,
    header::{AUTHORIZATION, WWW_AUTHENTICATE},
};

use self::{
    challenge::{Challenge, parse_challenges, parse_params},
    digest::{Answer, DigestChallenge, Qop, Refusal, cnonce},
};
use crate::{Origin, RedirectContext};

/// `Basic base64(user:password)`, marked sensitive so it is never logged.
///
/// ```
/// use aioduct_middleware::auth::basic_header;
///
/// let value = basic_header("Aladdin", "open sesame");
/// assert_eq!(value, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
/// assert!(value.is_sensitive());
/// ```
pub fn basic_header(user: &str, password: &str) -> HeaderValue {
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut value = HeaderValue::try_from(format!("Basic {encoded}"))
        .expect("base64 output is a valid header value");
    value.set_sensitive(true);
    value
}

/// `Bearer <token>`, marked sensitive. An error (`is_builder`) when the token holds characters a
/// header cannot carry (control characters such as CR or LF).
///
/// ```
/// use aioduct_middleware::auth::bearer_header;
///
/// let value = bearer_header("abc.def").unwrap();
/// assert_eq!(value, "Bearer abc.def");
/// assert!(value.is_sensitive());
/// assert!(bearer_header("bad\r\ntoken").unwrap_err().is_builder());
/// ```
pub fn bearer_header(token: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|e| Error::new(ErrorKind::Builder, Some(e)))?;
    value.set_sensitive(true);
    Ok(value)
}

/// The Digest authentication middleware (RFC 7616).
///
/// ```
/// use aioduct_middleware::auth::DigestAuth;
///
/// let digest = DigestAuth::new("Mufasa", "Circle of Life");
/// # drop(digest);
/// ```
pub struct DigestAuth {
    user: String,
    password: String,
    /// The last challenge answered per origin, for preemptive `Authorization` on later requests.
    sessions: Mutex<HashMap<Origin, Session>>,
}

struct Session {
    challenge: DigestChallenge,
    /// The last nonce count sent with this nonce.
    nc: u32,
    cnonce: String,
}

impl DigestAuth {
    /// Answers Digest challenges as `user` with `password`.
    pub fn new(user: impl Into<String>, password: impl Into<String>) -> Self {
        DigestAuth {
            user: user.into(),
            password: password.into(),
            sessions: Mutex::new(HashMap::new()),
        }
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<Origin, Session>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The `Authorization` value for `req` from the cached session of `origin`, counting one
    /// more use of its nonce; `None` without a session or when the body it needs is a stream.
    fn preemptive(&self, origin: &Origin, req: &Request) -> Option<Result<HeaderValue>> {
        let mut sessions = self.sessions();
        let session = sessions.get_mut(origin)?;
        let body = req.body().as_bytes();
        if session.challenge.qop == Qop::AuthInt && body.is_none() {
            return None;
        }
        session.nc = session.nc.wrapping_add(1);
        let value = self.answer(&session.challenge, req, session.nc, &session.cnonce);
        Some(value)
    }

    /// Starts a session on `challenge` for `origin` and returns the first `Authorization`.
    fn start(
        &self,
        origin: &Origin,
        challenge: DigestChallenge,
        req: &Request,
    ) -> Result<HeaderValue> {
        let cnonce = cnonce();
        let value = self.answer(&challenge, req, 1, &cnonce)?;
        self.sessions().insert(
            origin.clone(),
            Session {
                challenge,
                nc: 1,
                cnonce,
            },
        );
        Ok(value)
    }

    fn answer(
        &self,
        challenge: &DigestChallenge,
        req: &Request,
        nc: u32,
        cnonce: &str,
    ) -> Result<HeaderValue> {
        let uri = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        let value = challenge.authorization(&Answer {
            user: &self.user,
            password: &self.password,
            method: req.method().as_str(),
            uri: &uri,
            body: req.body().as_bytes().unwrap_or_default(),
            nc,
            cnonce,
        });
        let mut value = HeaderValue::from_bytes(value.as_bytes())
            .map_err(|e| Error::new(ErrorKind::Builder, Some(e)).with_url(req.uri().clone()))?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Follows `Authentication-Info: nextnonce=...`: the next request uses the new nonce.
    fn note_next_nonce(&self, origin: &Origin, resp: &Response) {
        let Some(info) = resp
            .headers()
            .get("authentication-info")
            .and_then(|v| v.to_str().ok())
        else {
            return;
        };
        let next = parse_params(info)
            .into_iter()
            .find(|(name, _)| name == "nextnonce");
        if let Some((_, nonce)) = next
            && let Some(session) = self.sessions().get_mut(origin)
            && session.challenge.nonce != nonce
        {
            session.challenge.nonce = nonce;
            session.nc = 0;
            session.cnonce = cnonce();
        }
    }

    fn forget(&self, origin: &Origin) {
        self.sessions().remove(origin);
    }
}

/// The Digest challenge of a 401 response: `Ok(None)` when it has none.
fn digest_challenge(resp: &Response) -> Result<Option<DigestChallenge>> {
    let mut challenges: Vec<Challenge> = Vec::new();
    for value in resp.headers().get_all(WWW_AUTHENTICATE) {
        parse_challenges(&String::from_utf8_lossy(value.as_bytes()), &mut challenges);
    }
    DigestChallenge::pick(&challenges).map_err(|refusal| {
        let message = match refusal {
            Refusal::Algorithm(name) => {
                format!("digest challenge uses unsupported algorithm {name:?}")
            }
            Refusal::Qop(list) => format!("digest challenge offers only unsupported qop {list:?}"),
            Refusal::Malformed => "digest challenge without a nonce".to_owned(),
        };
        Error::msg(ErrorKind::Unsupported, message)
    })
}

impl fmt::Debug for DigestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DigestAuth")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Middleware for DigestAuth {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        Box::pin(async move {
            // The caller's own Authorization wins; nothing is added after a cross-origin hop.
            if !RedirectContext::credentials_allowed(&req)
                || req.headers().contains_key(AUTHORIZATION)
            {
                return next.run(req).await;
            }
            let Some(origin) = Origin::of(req.uri()) else {
                return next.run(req).await;
            };
            let url = req.uri().clone();
            let template = try_clone_request(&req);
            let mut req = req;
            if let Some(value) = self.preemptive(&origin, &req) {
                req.headers_mut().insert(AUTHORIZATION, value?);
            }
            let mut resp = next.run(req).await?;
            self.note_next_nonce(&origin, &resp);
            // One answer to a challenge, and one more only if that answer's nonce went stale.
            let mut stale_retry = true;
            loop {
                if resp.status() != StatusCode::UNAUTHORIZED {
                    return Ok(resp);
                }
                let challenge = match digest_challenge(&resp) {
                    Ok(Some(challenge)) => challenge,
                    Ok(None) => return Ok(resp),
                    Err(err) => return Err(err.with_url(url)),
                };
                // A streamed body cannot be sent again: the caller gets the 401.
                let Some(mut again) = template.as_ref().and_then(try_clone_request) else {
                    return Ok(resp);
                };
                let value = self.start(&origin, challenge, &again)?;
                again.headers_mut().insert(AUTHORIZATION, value);
                drop(resp);
                resp = next.run(again).await?;
                self.note_next_nonce(&origin, &resp);
                if resp.status() != StatusCode::UNAUTHORIZED {
                    return Ok(resp);
                }
                let stale_again = matches!(digest_challenge(&resp), Ok(Some(c)) if c.stale);
                if !(stale_again && stale_retry) {
                    self.forget(&origin);
                    return Ok(resp);
                }
                stale_retry = false;
            }
        })
    }
}
