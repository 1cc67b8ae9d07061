//! Retries: statuses, Retry-After, methods, budget, per-request policies, and the transport's
//! one resend of a request dropped unanswered on a reused connection or refused by an HTTP/2
//! server (REFUSED_STREAM, GOAWAY).

mod support;

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime},
};

use aioduct::{
    Client, SendRuntime,
    middleware::retry::{RetryBudget, RetryPolicy},
};
use support::{Reply, Server, text};

/// A server answering request number `n` (from 0) with `answer(n)`, and counting requests.
fn scripted(answer: fn(usize) -> Reply) -> (Server, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let server = Server::http1(move |_req| {
        let n = seen.fetch_add(1, Ordering::SeqCst);
        async move { answer(n) }
    });
    (server, count)
}

fn with_retry_after(status: u16, value: &str) -> Reply {
    let mut reply = text(status, "busy");
    reply
        .headers_mut()
        .insert("retry-after", value.parse().unwrap());
    reply
}

/// Fast backoff, so tests that retry on backoff alone do not wait.
fn quick() -> RetryPolicy {
    RetryPolicy::new().backoff(Duration::from_millis(1), Duration::from_millis(5))
}

async fn retry_after_http_date_honoured_and_capped<R: SendRuntime>() {
    // Two seconds ahead, at one-second resolution: a wait between one and two seconds.
    let (server, count) = scripted(|n| match n {
        0 => with_retry_after(
            503,
            &httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2)),
        ),
        _ => text(200, "done"),
    });
    let client = Client::<R>::builder().retry(RetryPolicy::new()).build();
    let started = Instant::now();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "done");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited as asked: {:?}",
        started.elapsed()
    );

    // A date an hour ahead is beyond the 60 s cap: the 503 comes back at once, not retried.
    let (server, count) = scripted(|_| {
        with_retry_after(
            503,
            &httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600)),
        )
    });
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // A lower cap applies the same way to what would otherwise be waited for.
    let (server, count) = scripted(|n| match n {
        0 => with_retry_after(503, "5"),
        _ => text(200, "done"),
    });
    let capped = Client::<R>::builder()
        .retry(RetryPolicy::new().max_retry_after(Duration::from_secs(2)))
        .build();
    let resp = capped.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

async fn retry_after_seconds_honoured<R: SendRuntime>() {
    let (server, count) = scripted(|n| match n {
        0 => with_retry_after(429, "1"),
        _ => text(200, "done"),
    });
    let client = Client::<R>::builder().retry(quick()).build();
    let started = Instant::now();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert!(started.elapsed() >= Duration::from_millis(900));
}

async fn too_many_requests_is_retried<R: SendRuntime>() {
    let (server, count) = scripted(|n| {
        if n < 2 {
            text(429, "slow down")
        } else {
            text(200, "ok")
        }
    });
    let client = Client::<R>::builder().retry(quick()).build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // 500 is not retryable by default; 502 only when asked for.
    let (server, count) = scripted(|_| text(500, "broken"));
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 500);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let (server, count) = scripted(|n| {
        if n == 0 {
            text(502, "gw")
        } else {
            text(200, "ok")
        }
    });
    let resp = Client::<R>::builder()
        .retry(quick().retry_status(502))
        .build()
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

async fn post_not_retried_by_default<R: SendRuntime>() {
    let (server, count) = scripted(|_| text(503, "down"));
    let client = Client::<R>::builder().retry(quick()).build();
    let resp = client
        .post(server.url("/"))
        .unwrap()
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);

    // Opting in for one request, through its extensions.
    let resp = client
        .post(server.url("/"))
        .unwrap()
        .body("payload")
        .extension(quick().retry_non_idempotent(true))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1 + 3);
}

async fn max_attempts_bounds_retries<R: SendRuntime>() {
    let (server, count) = scripted(|_| text(503, "down"));
    let client = Client::<R>::builder()
        .retry(quick().max_attempts(4))
        .build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 503, "the last response is returned");
    assert_eq!(count.load(Ordering::SeqCst), 4);

    let resp = client
        .get(server.url("/"))
        .unwrap()
        .extension(RetryPolicy::never())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 5, "never(): one attempt");
}

async fn budget_exhausted_stops_retrying<R: SendRuntime>() {
    let (server, count) = scripted(|_| text(503, "down"));
    // No reserve; half a retry per request, shared by the client and its clone.
    let budget = RetryBudget::new(Duration::from_secs(60), 0, 0.5);
    let client = Client::<R>::builder()
        .retry(quick().max_attempts(10).budget(budget))
        .build();
    let clone = client.clone();
    let mut seen = Vec::new();
    for c in [&client, &clone, &client, &clone] {
        let before = count.load(Ordering::SeqCst);
        let resp = c.get(server.url("/")).unwrap().send().await.unwrap();
        assert_eq!(resp.status(), 503);
        seen.push(count.load(Ordering::SeqCst) - before);
    }
    // Requests 1..=4 allow 0.5, 1, 1.5, 2 retries in total: one retry each on the 2nd and 4th.
    assert_eq!(seen, [1, 2, 1, 2]);
}

async fn streamed_bodies_are_not_retried<R: SendRuntime>() {
    let (server, count) = scripted(|_| text(503, "down"));
    let client = Client::<R>::builder().retry(quick()).build();
    let chunks = futures_lite::stream::iter(vec![Ok::<_, std::io::Error>("a"), Ok("b")]);
    let resp = client
        .put(server.url("/"))
        .unwrap()
        .body_stream(chunks)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// Reads one request head (and a body of `content-length` bytes); `false` at EOF.
fn read_request(sock: &mut TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&seen[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while seen.len() < end + 4 + len {
                match sock.read(&mut buf) {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            return true;
        }
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

fn answer(sock: &mut TcpStream, body: &str) {
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    sock.write_all(reply.as_bytes()).unwrap();
}

/// A raw HTTP/1.1 server: connection `k` (from 0) answers its first `answered(k)` requests with
/// "conn-k", then reads one more request and closes without answering. Returns the address and
/// the count of connections accepted.
fn closing_server(answered: fn(usize) -> usize) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut sock) = stream else { return };
            let k = count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                for _ in 0..answered(k) {
                    if !read_request(&mut sock) {
                        return;
                    }
                    answer(&mut sock, &format!("conn-{k}"));
                }
                read_request(&mut sock);
                // Dropped: closed without a byte of response.
            });
        }
    });
    (addr, accepted)
}

async fn reused_connection_closed_unanswered_is_resent_once<R: SendRuntime>() {
    // The first connection answers one request and drops the next; later ones answer all.
    let (addr, accepted) = closing_server(|k| if k == 0 { 1 } else { usize::MAX });
    let client = Client::<R>::new();
    let url = format!("http://{addr}/");
    let first = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(first.text().await.unwrap(), "conn-0");
    let second = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(
        second.text().await.unwrap(),
        "conn-1",
        "resent on a fresh connection"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

async fn post_on_reused_connection_closed_unanswered_is_an_error<R: SendRuntime>() {
    let (addr, accepted) = closing_server(|k| if k == 0 { 1 } else { usize::MAX });
    let client = Client::<R>::new();
    let url = format!("http://{addr}/");
    let first = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(first.text().await.unwrap(), "conn-0");
    let err = client
        .post(&url)
        .unwrap()
        .body("once only")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request(), "{err:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "the POST was not sent again"
    );
}

async fn resend_on_a_fresh_connection_never_loops<R: SendRuntime>() {
    // Only the first connection ever answers, once.
    let (addr, accepted) = closing_server(|k| usize::from(k == 0));
    let client = Client::<R>::new();
    let url = format!("http://{addr}/");
    let first = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(first.text().await.unwrap(), "conn-0");
    let err = client.get(&url).unwrap().send().await.unwrap_err();
    assert!(err.is_request(), "{err:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        2,
        "one resend, then the error"
    );
}

/// A raw h2c connection that reads the client's first request head, answers it with a GOAWAY
/// whose last stream id is 0 (nothing was processed), and closes.
async fn go_away_at_once(mut sock: tokio::net::TcpStream, requests: &AtomicUsize) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut preface = [0u8; 24];
    if sock.read_exact(&mut preface).await.is_err() {
        return;
    }
    // The server preface: an empty SETTINGS frame.
    sock.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap();
    loop {
        let mut head = [0u8; 9];
        if sock.read_exact(&mut head).await.is_err() {
            return;
        }
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        if sock.read_exact(&mut payload).await.is_err() {
            return;
        }
        const HEADERS: u8 = 1;
        if head[3] == HEADERS {
            break;
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    // GOAWAY: length 8, type 7, stream 0; last stream id 0, NO_ERROR.
    let mut go_away = vec![0, 0, 8, 7, 0, 0, 0, 0, 0];
    go_away.extend_from_slice(&[0; 8]);
    sock.write_all(&go_away).await.unwrap();
    // Close our side, then wait for the client to close its own, so no unread byte turns the
    // close into a reset that could overtake the GOAWAY.
    let _ = sock.shutdown().await;
    let mut rest = Vec::new();
    let _ = sock.read_to_end(&mut rest).await;
}

/// An h2c connection served by the h2 crate: request number `n` (from 0, over all connections)
/// is reset with REFUSED_STREAM when `refuse(n)`; the others are answered 200 with
/// "conn-k METHOD body".
async fn serve_h2(
    sock: tokio::net::TcpStream,
    k: usize,
    requests: Arc<AtomicUsize>,
    refuse: fn(usize) -> bool,
) {
    let Ok(mut conn) = h2::server::handshake(sock).await else {
        return;
    };
    while let Some(Ok((req, mut respond))) = conn.accept().await {
        let n = requests.fetch_add(1, Ordering::SeqCst);
        if refuse(n) {
            respond.send_reset(h2::Reason::REFUSED_STREAM);
            continue;
        }
        tokio::spawn(async move {
            let (parts, mut body) = req.into_parts();
            let mut seen = Vec::new();
            while let Some(chunk) = body.data().await {
                let Ok(chunk) = chunk else { return };
                let _ = body.flow_control().release_capacity(chunk.len());
                seen.extend_from_slice(&chunk);
            }
            let reply = format!(
                "conn-{k} {} {}",
                parts.method,
                String::from_utf8_lossy(&seen)
            );
            let Ok(mut send) = respond.send_response(http::Response::new(()), false) else {
                return;
            };
            let _ = send.send_data(reply.into(), true);
        });
    }
}

/// Counts of what an h2c test server saw.
struct H2Seen {
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
}

impl H2Seen {
    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// An h2c server on its own tokio runtime. With `go_away_first`, the first connection sends a
/// GOAWAY for its first request and closes; other connections are served by [`serve_h2`].
fn h2_server(go_away_first: bool, refuse: fn(usize) -> bool) -> (SocketAddr, H2Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = H2Seen {
        requests: Arc::new(AtomicUsize::new(0)),
        connections: Arc::new(AtomicUsize::new(0)),
    };
    let (requests, connections) = (seen.requests.clone(), seen.connections.clone());
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((sock, _)) = listener.accept().await {
                let k = connections.fetch_add(1, Ordering::SeqCst);
                let requests = requests.clone();
                tokio::spawn(async move {
                    if go_away_first && k == 0 {
                        go_away_at_once(sock, &requests).await;
                    } else {
                        serve_h2(sock, k, requests, refuse).await;
                    }
                });
            }
        });
    });
    (addr, seen)
}

async fn refused_stream_is_resent_on_a_new_connection<R: SendRuntime>() {
    let (addr, seen) = h2_server(false, |n| n == 0);
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    let url = format!("http://{addr}/");
    let resp = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), http::Version::HTTP_2);
    assert_eq!(resp.text().await.unwrap(), "conn-1 GET ");
    assert_eq!(seen.requests(), 2, "refused once, then answered");
    assert_eq!(
        seen.connections(),
        2,
        "the refusing connection is not reused"
    );

    // Any method: a refused stream was never processed. The in-memory body travels again.
    let (addr, seen) = h2_server(false, |n| n == 0);
    let resp = client
        .post(format!("http://{addr}/"))
        .unwrap()
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "conn-1 POST payload");
    assert_eq!(seen.requests(), 2);
}

async fn go_away_before_the_stream_is_resent_on_a_new_connection<R: SendRuntime>() {
    let (addr, seen) = h2_server(true, |_| false);
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    let url = format!("http://{addr}/");
    let resp = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "conn-1 GET ");
    assert_eq!(
        seen.requests(),
        2,
        "the GOAWAY connection saw it, then the new one"
    );
    assert_eq!(seen.connections(), 2);

    // Later requests use the new connection.
    let again = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(again.text().await.unwrap(), "conn-1 GET ");
    assert_eq!(seen.connections(), 2);
}

async fn refused_streaming_post_is_not_resent<R: SendRuntime>() {
    let (addr, seen) = h2_server(false, |n| n == 0);
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    let chunks = futures_lite::stream::iter(vec![Ok::<_, std::io::Error>("a"), Ok("b")]);
    let err = client
        .post(format!("http://{addr}/"))
        .unwrap()
        .body_stream(chunks)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request(), "{err:?}");
    assert_eq!(seen.requests(), 1, "a stream cannot be sent twice");
    assert_eq!(seen.connections(), 1);
}

async fn refused_stream_resend_never_loops<R: SendRuntime>() {
    let (addr, seen) = h2_server(false, |_| true);
    let client = Client::<R>::builder().http2_prior_knowledge().build();
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_request(), "{err:?}");
    assert_eq!(seen.requests(), 2, "one resend, then the error");
    assert_eq!(seen.connections(), 2);
}

send_runtime_tests!(
    retry_after_http_date_honoured_and_capped,
    retry_after_seconds_honoured,
    too_many_requests_is_retried,
    post_not_retried_by_default,
    max_attempts_bounds_retries,
    budget_exhausted_stops_retrying,
    streamed_bodies_are_not_retried,
    reused_connection_closed_unanswered_is_resent_once,
    post_on_reused_connection_closed_unanswered_is_an_error,
    resend_on_a_fresh_connection_never_loops,
    refused_stream_is_resent_on_a_new_connection,
    go_away_before_the_stream_is_resent_on_a_new_connection,
    refused_streaming_post_is_not_resent,
    refused_stream_resend_never_loops,
);
