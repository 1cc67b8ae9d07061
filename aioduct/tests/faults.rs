//! Servers that close connections, refuse them, or never existed; bad input rejected before I/O.

mod support;

use std::time::Duration;

use aioduct::{Client, runtime::TokioRuntime};
use support::{Server, text};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

type TestClient = Client<TokioRuntime>;

#[tokio::test]
async fn server_closing_an_idle_pooled_connection_does_not_fail_the_next_request() {
    // A raw HTTP/1.1 server that answers one request per connection with keep-alive promised,
    // then closes the connection shortly after: the pooled connection is dead when reused.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    let server = tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = sock.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&buf[..n]);
                }
                sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(30)).await;
                drop(sock);
            });
        }
    });

    let client = TestClient::new();
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
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 3);
    server.abort();
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = TestClient::new();
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

#[tokio::test]
async fn failing_resolver_is_a_dns_error() {
    let client = TestClient::builder()
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

    let empty = TestClient::builder()
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

#[tokio::test]
async fn invalid_headers_are_rejected_before_anything_is_sent() {
    let server = Server::http1(|_req| async { text(200, "should not be reached") });
    let client = TestClient::new();
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

#[tokio::test]
async fn invalid_urls_are_builder_errors() {
    let client = TestClient::new();
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

/// Without the rustls feature, https is refused with a clear error before connecting.
#[cfg(not(feature = "rustls"))]
#[tokio::test]
async fn https_without_tls_compiled_fails_clearly() {
    let client = TestClient::new();
    let err = client
        .get("https://127.0.0.1:1/")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
}

#[tokio::test]
async fn error_without_url_drops_secrets() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = TestClient::new();
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
