//! HTTP/1.1 end to end: methods, headers, query, bodies both ways, pooling.

mod support;

use std::time::Duration;

use aioduct::{Client, HttpRuntime, StatusCode, Version};
use bytes::Bytes;
use http_body_util::BodyExt;
use support::{Server, echo_server, text};

async fn get_reads_status_headers_and_text<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let resp = client
        .get(server.url("/hello?x=1"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.version(), Version::HTTP_11);
    assert_eq!(resp.url().to_string(), server.url("/hello?x=1"));
    assert_eq!(resp.remote_addr(), Some(server.addr()));
    let body = resp.text().await.unwrap();
    assert!(body.starts_with("GET /hello?x=1\n"), "{body}");
    assert!(body.contains(&format!("host={}", server.addr())), "{body}");
    assert!(body.contains("ua=aioduct/"), "{body}");
    assert!(body.contains("accept=*/*"), "{body}");
}

async fn host_is_sent_on_every_request_of_a_connection<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let host_seen = |body: String| {
        let line = body.lines().find(|l| l.starts_with("host=")).unwrap_or("");
        line.trim_start_matches("host=").to_owned()
    };
    let mut hosts = Vec::new();
    for own_host in [None, None, Some("other.test"), None] {
        let mut request = client.get(server.url("/h")).unwrap();
        if let Some(host) = own_host {
            request = request.header("host", host);
        }
        hosts.push(host_seen(
            request.send().await.unwrap().text().await.unwrap(),
        ));
    }
    let addr = server.addr().to_string();
    assert_eq!(hosts, [&addr, &addr, "other.test", &addr]);
    // The same server by another name: another connection, with its own Host.
    let port = server.addr().port();
    let url = format!("http://localhost:{port}/h");
    let body = client.get(&url).unwrap().send().await.unwrap().text().await;
    assert_eq!(host_seen(body.unwrap()), format!("localhost:{port}"));
    assert_eq!(server.accepted(), 2, "one connection per authority");
}

async fn every_method_reaches_the_server<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let url = server.url("/m");
    let checks = [
        (client.get(&url).unwrap(), "GET"),
        (client.post(&url).unwrap(), "POST"),
        (client.put(&url).unwrap(), "PUT"),
        (client.patch(&url).unwrap(), "PATCH"),
        (client.delete(&url).unwrap(), "DELETE"),
        (
            client.request(http::Method::OPTIONS, &url).unwrap(),
            "OPTIONS",
        ),
    ];
    for (builder, method) in checks {
        let body = builder.send().await.unwrap().text().await.unwrap();
        assert!(body.starts_with(&format!("{method} /m")), "{body}");
    }
    let head = client.head(&url).unwrap().send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.bytes().await.unwrap().is_empty());
}

async fn query_is_percent_encoded_and_appended<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let body = client
        .get(server.url("/search?lang=en"))
        .unwrap()
        .query(&[("q", "hello world"), ("page", "1"), ("plus", "a+b&c")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.starts_with("GET /search?lang=en&q=hello%20world&page=1&plus=a%2Bb%26c\n"),
        "{body}"
    );
}

async fn form_and_bytes_bodies_arrive_whole<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();

    let body = client
        .post(server.url("/login"))
        .unwrap()
        .form(&[("username", "admin"), ("password", "s3cret&x")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("ctype=application/x-www-form-urlencoded"),
        "{body}"
    );
    assert!(
        body.contains("body=username=admin&password=s3cret%26x"),
        "{body}"
    );

    for payload in [
        aioduct::Body::from(vec![b'v'; 10]),
        aioduct::Body::from(Bytes::from_static(b"bytes")),
        aioduct::Body::from(String::from("string")),
        aioduct::Body::from("static"),
    ] {
        let expected = String::from_utf8(payload.as_bytes().unwrap().to_vec()).unwrap();
        let body = client
            .put(server.url("/b"))
            .unwrap()
            .body(payload)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            body.ends_with(&format!("len={}\nbody={expected}", expected.len())),
            "{body}"
        );
    }
}

async fn streamed_upload_is_sent_as_produced<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..64)
        .map(|i| Ok(Bytes::from(vec![b'a' + (i % 26) as u8; 1024])))
        .collect();
    let body = client
        .post(server.url("/upload"))
        .unwrap()
        .body_stream(futures_lite::stream::iter(chunks))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("len=65536"), "{body}");
}

async fn streamed_download_arrives_in_chunks_and_counts_bytes<R: HttpRuntime>() {
    let server = Server::http1(|_req| async {
        support::drip(vec!["one,", "two,", "three"], Duration::from_millis(5))
    });
    let client = Client::<R>::new();
    let mut resp = client
        .get(server.url("/drip"))
        .unwrap()
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    while let Some(chunk) = resp.chunk().await.unwrap() {
        seen.push(chunk);
    }
    assert_eq!(seen.concat(), b"one,two,three");
    assert!(seen.len() >= 2, "expected several chunks, got {seen:?}");
    let timings = resp.timings();
    assert!(timings.total.is_some());
    assert!(timings.total >= timings.ttfb);

    let resp = client
        .get(server.url("/drip"))
        .unwrap()
        .send()
        .await
        .unwrap();
    let collected: Vec<Bytes> = futures_lite::StreamExt::try_collect(resp.bytes_stream())
        .await
        .unwrap();
    assert_eq!(collected.concat(), b"one,two,three");
}

async fn auth_helpers_and_url_userinfo_set_authorization<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let body = client
        .get(server.url("/"))
        .unwrap()
        .bearer_auth("my-token")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("auth=Bearer my-token"), "{body}");

    let body = client
        .get(server.url("/"))
        .unwrap()
        .basic_auth("user", Some("pass"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("auth=Basic dXNlcjpwYXNz"), "{body}");

    let url = format!("http://user:pass@{}/", server.addr());
    let resp = client.get(url).unwrap().send().await.unwrap();
    assert_eq!(
        resp.url().to_string(),
        server.url("/"),
        "userinfo must leave the URL"
    );
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("auth=Basic dXNlcjpwYXNz")
    );
}

async fn headers_defaults_and_user_agent<R: HttpRuntime>() {
    let server = echo_server();
    let mut defaults = http::HeaderMap::new();
    defaults.insert("x-test", "from-default".parse().unwrap());
    let client = Client::<R>::builder()
        .default_headers(defaults)
        .user_agent("custom/9")
        .build();
    let body = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("x-test=from-default"), "{body}");
    assert!(body.contains("ua=custom/9"), "{body}");

    let body = client
        .get(server.url("/"))
        .unwrap()
        .header("x-test", "per-request")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("x-test=per-request"), "{body}");
    assert!(!body.contains("from-default"), "{body}");
    assert!(body.contains("ua=custom/9"), "{body}");
}

async fn content_length_and_error_for_status<R: HttpRuntime>() {
    let server = Server::http1(|req| async move {
        match req.uri().path() {
            "/missing" => text(404, "nope"),
            "/broken" => text(503, "down"),
            _ => text(200, "12345"),
        }
    });
    let client = Client::<R>::new();
    let resp = client.get(server.url("/ok")).unwrap().send().await.unwrap();
    assert_eq!(resp.content_length(), Some(5));
    assert!(resp.error_for_status_ref().is_ok());

    let resp = client
        .get(server.url("/missing"))
        .unwrap()
        .send()
        .await
        .unwrap();
    let err = resp.error_for_status().unwrap_err();
    assert!(err.is_status());
    assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
    assert_eq!(err.url().map(|u| u.path()), Some("/missing"));

    let resp = client
        .get(server.url("/broken"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.error_for_status_ref().unwrap_err().status(),
        Some(StatusCode::SERVICE_UNAVAILABLE)
    );
    assert_eq!(resp.text().await.unwrap(), "down");
}

async fn sequential_requests_reuse_one_connection<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    for _ in 0..20 {
        let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
        resp.bytes().await.unwrap();
    }
    assert_eq!(server.accepted(), 1);

    // A response dropped before its body was read does not poison the pool.
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    drop(resp);
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.bytes().await.unwrap();
}

async fn no_connection_reuse_opens_one_connection_per_request<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::builder().no_connection_reuse().build();
    for _ in 0..3 {
        client
            .get(server.url("/"))
            .unwrap()
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    assert_eq!(server.accepted(), 3);
}

async fn timings_report_connect_for_new_connections_only<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let first = client.get(server.url("/")).unwrap().send().await.unwrap();
    let t = first.timings();
    assert!(t.connect.is_some() && t.dns.is_some() && t.ttfb.is_some());
    assert!(t.tls.is_none());
    first.bytes().await.unwrap();
    let second = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert!(second.timings().connect.is_none());
}

async fn custom_resolver_is_used_for_names<R: HttpRuntime>() {
    let server = echo_server();
    let port = server.addr().port();
    let client = Client::<R>::builder()
        .resolver(|name: aioduct::core::Name| async move {
            assert_eq!(name.as_str(), "service.test");
            let addrs: aioduct::core::Addrs =
                vec!["127.0.0.1:1".parse().unwrap()].into_iter().collect();
            Ok::<_, aioduct::core::BoxError>(addrs)
        })
        .build();
    let body = client
        .get(format!("http://service.test:{port}/r"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        body.contains(&format!("host=service.test:{port}")),
        "{body}"
    );
}

async fn large_download_streams_without_loss<R: HttpRuntime>() {
    const SIZE: usize = 8 * 1024 * 1024;
    let server = Server::http1(|_req| async {
        let data: Vec<u8> = (0..SIZE).map(|i| (i % 251) as u8).collect();
        text(200, data)
    });
    let client = Client::<R>::new();
    let resp = client
        .get(server.url("/big"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.content_length(), Some(SIZE as u64));
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), SIZE);
    assert!(body.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
}

async fn into_http_keeps_head_and_body<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let resp = client.get(server.url("/x")).unwrap().send().await.unwrap();
    let http = resp.into_http();
    assert_eq!(http.status(), 200);
    let body = http.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"GET /x"));
}

runtime_tests!(
    host_is_sent_on_every_request_of_a_connection,
    get_reads_status_headers_and_text,
    every_method_reaches_the_server,
    query_is_percent_encoded_and_appended,
    form_and_bytes_bodies_arrive_whole,
    streamed_upload_is_sent_as_produced,
    streamed_download_arrives_in_chunks_and_counts_bytes,
    auth_helpers_and_url_userinfo_set_authorization,
    headers_defaults_and_user_agent,
    content_length_and_error_for_status,
    sequential_requests_reuse_one_connection,
    no_connection_reuse_opens_one_connection_per_request,
    timings_report_connect_for_new_connections_only,
    custom_resolver_is_used_for_names,
    large_download_streams_without_loss,
    into_http_keeps_head_and_body,
);
