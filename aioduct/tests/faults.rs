//! Servers that close connections, refuse them, or never existed; bad input rejected before I/O.

mod support;

use std::time::Duration;

use aioduct::{Client, HttpRuntime};
use std::io::{Read, Write};
use support::{Server, text};

async fn server_closing_an_idle_pooled_connection_does_not_fail_the_next_request<R: HttpRuntime>() {
    // A raw HTTP/1.1 server that answers one request per connection with keep-alive promised,
    // then closes the connection shortly after: the pooled connection is dead when reused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut sock) = stream else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
                std::thread::sleep(Duration::from_millis(30));
            });
        }
    });

    let client = Client::<R>::new();
    for _ in 0..3 {
        let body = client
            .get(format!("http://{addr}/"))
            .unwrap()
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "ok");
        R::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
}

async fn refused_connection_is_a_connect_error<R: HttpRuntime>() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::<R>::new();
    let err = client
        .get(format!("http://127.0.0.1:{port}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(!err.is_timeout());
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

async fn failing_resolver_is_a_dns_error<R: HttpRuntime>() {
    let client = Client::<R>::builder()
        .resolver(|name: aioduct::core::Name| async move {
            Err::<aioduct::core::Addrs, _>(aioduct::core::BoxError::from(format!(
                "no such host {name}"
            )))
        })
        .build();
    let err = client
        .get("http://nowhere.test/")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_dns(), "{err:?}");
    assert!(
        err.is_connect(),
        "a DNS failure is a kind of connect failure: {err:?}"
    );

    let empty = Client::<R>::builder()
        .resolver(|_name: aioduct::core::Name| async move {
            Ok::<_, aioduct::core::BoxError>(aioduct::core::Addrs::default())
        })
        .build();
    let err = empty
        .get("http://empty.test/")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_dns(), "{err:?}");
}

async fn invalid_headers_are_rejected_before_anything_is_sent<R: HttpRuntime>() {
    let server = Server::http1(|_req| async { text(200, "should not be reached") });
    let client = Client::<R>::new();
    for value in ["a\r\nInjected: yes", "nul\0byte", "line\nfeed"] {
        let err = client
            .get(server.url("/"))
            .unwrap()
            .header("x-bad", value)
            .send()
            .await
            .unwrap_err();
        assert!(err.is_builder(), "{value:?}: {err:?}");
    }
    let err = client
        .get(server.url("/"))
        .unwrap()
        .header("bad name", "v")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    let err = client
        .get(server.url("/"))
        .unwrap()
        .bearer_auth("tok\r\nen")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert!(
        http::Method::from_bytes(b"GE\r\nT").is_err(),
        "methods are validated by http"
    );
    assert_eq!(server.accepted(), 0, "nothing may reach the server");
}

/// As many headers as a `HeaderMap` holds: one more would panic in `HeaderMap::append`.
fn full_header_map() -> http::HeaderMap {
    let mut full = http::HeaderMap::new();
    while full
        .try_append(
            http::HeaderName::from_bytes(format!("x-{}", full.len()).as_bytes()).unwrap(),
            http::HeaderValue::from_static("v"),
        )
        .is_ok()
    {}
    full
}

async fn too_many_headers_are_a_builder_error_not_a_panic<R: HttpRuntime>() {
    let server = Server::http1(|_req| async { text(200, "should not be reached") });
    let client = Client::<R>::new();
    // A full map, where the client would then add its own headers.
    let err = client
        .get(server.url("/"))
        .unwrap()
        .headers(full_header_map())
        .bearer_auth("token")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert!(err.to_string().contains("at most 10000"), "{err}");
    // One more than a map holds, one by one.
    let mut request = client.get(server.url("/")).unwrap();
    for i in 0..=full_header_map().len() {
        request = request.header(format!("x-{i}"), "v");
    }
    let err = request.send().await.unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    // A request built elsewhere, whose URL credentials become one more header.
    let mut built = http::Request::new(aioduct::Body::empty());
    *built.uri_mut() = format!("http://user:pw@{}/", server.addr())
        .parse()
        .unwrap();
    *built.headers_mut() = full_header_map();
    let err = client.execute(built).await.unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    // Default headers count too: a client with a full map of them, a request with no header
    // of its own and one with one.
    let client = Client::<R>::builder()
        .default_headers(full_header_map())
        .build();
    let err = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
    assert!(
        err.to_string().contains("with the client's defaults"),
        "{err}"
    );
    let request = client.get(server.url("/")).unwrap().header("y", "v");
    assert!(request.send().await.unwrap_err().is_builder());
    assert_eq!(server.accepted(), 0, "nothing may reach the server");
}

async fn invalid_urls_are_builder_errors<R: HttpRuntime>() {
    let client = Client::<R>::new();
    for url in [
        "not a url",
        "ftp://example.com/",
        "http://",
        "http://example.com:70000/",
        "http://exa%2fmple.com/",
        "http://example.com/\r\n",
        "http://example.com/%00\0",
    ] {
        let err = client.get(url).unwrap_err();
        assert!(err.is_builder(), "{url:?}: {err:?}");
    }
}

async fn error_without_url_drops_secrets<R: HttpRuntime>() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = Client::<R>::new();
    let err = client
        .get(format!("http://127.0.0.1:{port}/?token=secret"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("secret"));
    let err = err.without_url();
    assert!(!format!("{err} {err:?}").contains("secret"));
}

/// A raw HTTP/1.1 server answering every request with a head of `lines` extra headers of
/// `line_len` bytes each (hyper takes at most 100 headers).
fn server_with_large_head(lines: usize, line_len: usize) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let filler = "f".repeat(line_len - "x-filler: \r\n".len());
    let line = format!("x-filler: {filler}\r\n");
    let reply = format!(
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n{}\r\nok",
        line.repeat(lines)
    );
    support::raw_http_replies(listener, reply.into_bytes());
    addr
}

async fn large_response_heads_are_read_and_oversized_ones_refused<R: HttpRuntime>() {
    let client = Client::<R>::new();
    // 200 KB of headers: more than servers send, within the 256 KiB read buffer.
    let addr = server_with_large_head(40, 5000);
    let resp = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get_all("x-filler").iter().count(), 40);
    assert_eq!(resp.text().await.unwrap(), "ok");
    // 4 MB: an error that says so, not a panic, a hang or a buffer that grows with it.
    let addr = server_with_large_head(80, 50_000);
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    let message: String = err.to_string().chars().take(300).collect();
    assert!(message.contains("too large"), "{message}");
}

runtime_tests!(
    large_response_heads_are_read_and_oversized_ones_refused,
    server_closing_an_idle_pooled_connection_does_not_fail_the_next_request,
    refused_connection_is_a_connect_error,
    failing_resolver_is_a_dns_error,
    invalid_headers_are_rejected_before_anything_is_sent,
    too_many_headers_are_a_builder_error_not_a_panic,
    invalid_urls_are_builder_errors,
    error_without_url_drops_secrets,
);
