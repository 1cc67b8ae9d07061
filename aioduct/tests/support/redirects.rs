//! A server for the redirect tests: it logs every request and answers with the redirect its
//! path asks for.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use hyper::{HeaderMap, Request, body::Incoming};

use super::{Reply, Server, read_body, text};

/// What a server saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub type Log = Arc<Mutex<Vec<Seen>>>;

/// Reads `req` whole and logs it; returns its method, path and query, and body.
pub async fn record(log: &Log, req: Request<Incoming>) -> Seen {
    let (parts, body) = read_body(req).await;
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path_and_query().unwrap().as_str().to_owned(),
        headers: parts.headers,
        body,
    };
    log.lock().unwrap().push(seen.clone());
    seen
}

/// A server that logs every request and answers `/r/<status>/<location>` with that redirect
/// (the location is the rest of the path and query), `/ping` and `/pong` with redirects to each
/// other, `/grow...` with a redirect one segment longer, anything else with 200 and
/// `<method> <path> <body>`.
pub fn server(log: &Log) -> Server {
    let log = log.clone();
    Server::http1(move |req| {
        let log = log.clone();
        async move {
            let Seen {
                method, path, body, ..
            } = record(&log, req).await;
            match path.strip_prefix("/r/") {
                _ if path == "/ping" => redirect(302, "/pong"),
                _ if path == "/pong" => redirect(302, "/ping"),
                // Never the same URL twice: /grow -> /grow/g -> /grow/g/g ...
                _ if path.starts_with("/grow") => redirect(302, &format!("{path}/g")),
                Some(rest) => {
                    let (status, location) = rest.split_once('/').unwrap();
                    redirect(status.parse().unwrap(), location)
                }
                None => text(
                    200,
                    format!("{method} {path} {}", String::from_utf8_lossy(&body)),
                ),
            }
        }
    })
}

pub fn redirect(status: u16, location: &str) -> Reply {
    let mut reply = text(status, "redirecting");
    reply
        .headers_mut()
        .insert("location", location.parse().unwrap());
    reply
}

/// A redirect path on a server: `/r/<status>/<target>`.
pub fn via(status: u16, target: &str) -> String {
    format!("/r/{status}/{target}")
}

/// The values of `name` the server saw on each request, in order.
pub fn values_seen(seen: &[Seen], name: &str) -> Vec<Vec<String>> {
    let values = |request: &Seen| {
        let all = request.headers.get_all(name).iter();
        all.map(|v| v.to_str().unwrap().to_owned()).collect()
    };
    seen.iter().map(values).collect()
}
