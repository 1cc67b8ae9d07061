//! User middleware around the transport: order, short-circuits, re-running `next`, one deadline.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use aioduct::{
    Client, SendRuntime,
    core::{Body, BoxFuture, Middleware, Next, Request, Response},
};
use support::{Server, echo_server, text};

fn stamp_one<'a>(mut req: Request, next: Next<'a>) -> BoxFuture<'a, aioduct::Result<Response>> {
    req.headers_mut().append("x-test", "one".parse().unwrap());
    next.run(req)
}

fn stamp_two<'a>(mut req: Request, next: Next<'a>) -> BoxFuture<'a, aioduct::Result<Response>> {
    req.headers_mut().append("x-test", "two".parse().unwrap());
    next.run(req)
}

async fn middleware_runs_outermost_first_and_reaches_the_server<R: SendRuntime>() {
    let server = Server::http1(|req| async move {
        let stamps: Vec<_> = req
            .headers()
            .get_all("x-test")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        text(200, stamps.join(","))
    });
    let client = Client::<R>::builder()
        .middleware(stamp_one)
        .middleware(stamp_two)
        .build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(
        resp.remote_addr(),
        Some(server.addr()),
        "transport metadata survives the chain"
    );
    assert!(resp.timings().ttfb.is_some());
    assert_eq!(resp.url().to_string(), server.url("/"));
    assert_eq!(resp.text().await.unwrap(), "one,two");
}

/// Answers every request itself.
struct Teapot;

impl Middleware for Teapot {
    fn handle<'a>(
        &'a self,
        _req: Request,
        _next: Next<'a>,
    ) -> BoxFuture<'a, aioduct::Result<Response>> {
        Box::pin(async {
            let mut resp = http::Response::new(Body::from("short and stout"));
            *resp.status_mut() = http::StatusCode::IM_A_TEAPOT;
            Ok(resp)
        })
    }
}

async fn middleware_can_answer_without_the_network<R: SendRuntime>() {
    let server = echo_server();
    let client = Client::<R>::builder().middleware(Teapot).build();
    let resp = client
        .get(server.url("/tea"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 418);
    assert_eq!(resp.url().to_string(), server.url("/tea"));
    assert_eq!(resp.text().await.unwrap(), "short and stout");
    assert_eq!(server.accepted(), 0);
}

/// Sends every request twice and returns the second answer.
struct Twice(Arc<AtomicUsize>);

impl Middleware for Twice {
    fn handle<'a>(
        &'a self,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, aioduct::Result<Response>> {
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let again = http::Request::from_parts(parts.clone(), body.try_clone().unwrap());
            let first = next.run(http::Request::from_parts(parts, body)).await?;
            self.0.fetch_add(1, Ordering::SeqCst);
            drop(first);
            next.run(again).await
        })
    }
}

async fn next_can_run_more_than_once<R: SendRuntime>() {
    let hits = Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let server = Server::http1(move |_req| {
        let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
        async move { text(200, format!("hit {n}")) }
    });
    let ran = Arc::new(AtomicUsize::new(0));
    let client = Client::<R>::builder()
        .middleware(Twice(ran.clone()))
        .build();
    let body = client
        .post(server.url("/"))
        .unwrap()
        .body("replayable")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "hit 2");
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert_eq!(ran.load(Ordering::SeqCst), 1);
}

async fn the_client_timeout_bounds_the_whole_chain<R: SendRuntime>() {
    let (addr, _stop) = support::silent_listener();
    let client = Client::<R>::builder()
        .middleware(stamp_one)
        .timeout(Duration::from_millis(150))
        .build();
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

send_runtime_tests!(
    middleware_runs_outermost_first_and_reaches_the_server,
    middleware_can_answer_without_the_network,
    next_can_run_more_than_once,
    the_client_timeout_bounds_the_whole_chain,
);
