//! The calls the README and the seed specification show, run against local servers: every
//! builder, request and response method a newcomer meets first.
#![cfg(all(feature = "json", feature = "rustls"))]

mod support;

use std::time::Duration;

use aioduct::{
    Client, Http2Config, StatusCode,
    runtime::TokioRuntime,
    tls::{Certificate, RustlsConnector},
};
use support::{Mode, Server, read_body, text, tls::pki};

/// One server for the whole tour, answering by path.
fn tour_server(mode: Mode) -> Server {
    Server::start(mode, |req| async move {
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        let auth = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let (parts, body) = read_body(req).await;
        let body = String::from_utf8_lossy(&body).into_owned();
        match path.as_str() {
            "/get" => text(200, "hello from the tour"),
            "/users" => {
                let ctype = parts.headers.get("content-type").unwrap().to_str().unwrap();
                assert_eq!(ctype, "application/json");
                let name: serde_json::Value = serde_json::from_str(&body).unwrap();
                text(201, format!(r#"{{"id":1,"name":{}}}"#, name["name"]))
            }
            "/login" => text(200, body),
            "/search" => text(200, query),
            "/me" | "/protected" => text(200, auth),
            _ => text(404, "no such page"),
        }
    })
}

#[tokio::test]
async fn quick_start() {
    let server = tour_server(Mode::Http1);
    let client = Client::<TokioRuntime>::new();
    let resp = client
        .get(server.url("/get"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.text().await.unwrap(), "hello from the tour");
}

#[tokio::test]
async fn https_with_rustls_and_a_custom_root() {
    let server = tour_server(Mode::Tls {
        h2: true,
        http1: true,
    });
    // `with_rustls` trusts the public roots only: the test CA is refused.
    let public = Client::<TokioRuntime>::with_rustls();
    assert!(
        public
            .get(server.https_url("/get"))
            .unwrap()
            .send()
            .await
            .unwrap_err()
            .is_tls()
    );

    let ca = Certificate::from_pem(pki().ca_pem.as_bytes()).unwrap();
    let client = Client::<TokioRuntime>::builder()
        .tls(RustlsConnector::with_extra_roots(&[ca]))
        .build();
    let resp = client
        .get(server.https_url("/get"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "hello from the tour");
}

#[tokio::test]
async fn json_form_auth_and_query() {
    #[derive(serde::Deserialize)]
    struct User {
        id: u64,
        name: String,
    }
    let server = tour_server(Mode::Http1);
    let client = Client::<TokioRuntime>::new();

    let resp = client
        .post(server.url("/users"))
        .unwrap()
        .json(&serde_json::json!({"name": "Alice"}))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let user: User = resp.json().await.unwrap();
    assert_eq!((user.id, user.name.as_str()), (1, "Alice"));

    let resp = client
        .post(server.url("/login"))
        .unwrap()
        .form(&[("username", "admin"), ("password", "secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "username=admin&password=secret");

    let resp = client
        .get(server.url("/me"))
        .unwrap()
        .bearer_auth("my-token")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "Bearer my-token");

    let resp = client
        .get(server.url("/protected"))
        .unwrap()
        .basic_auth("user", Some("pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "Basic dXNlcjpwYXNz");

    let resp = client
        .get(server.url("/search"))
        .unwrap()
        .query(&[("q", "hello world"), ("page", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.text().await.unwrap(), "q=hello%20world&page=1");
}

#[tokio::test]
async fn client_configuration_and_http2_tuning() {
    let server = tour_server(Mode::Tls {
        h2: true,
        http1: true,
    });
    let client = Client::<TokioRuntime>::builder()
        .timeout(Duration::from_secs(30))
        .max_redirects(5)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(10)
        .tcp_keepalive(Duration::from_secs(60))
        .local_address("127.0.0.1".parse::<std::net::IpAddr>().unwrap())
        .tls(RustlsConnector::with_extra_roots(&[Certificate::from_der(
            pki().ca_der.clone(),
        )]))
        .http2(
            Http2Config::new()
                .initial_stream_window_size(2 * 1024 * 1024)
                .adaptive_window(true)
                .keep_alive_interval(Duration::from_secs(20))
                .keep_alive_while_idle(true),
        )
        .build();
    let resp = client
        .get(server.https_url("/get"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.version(), aioduct::Version::HTTP_2);
    assert_eq!(resp.text().await.unwrap(), "hello from the tour");

    // The seed's public-roots builder call compiles and builds as it stands.
    let _public = Client::<TokioRuntime>::builder()
        .tls(RustlsConnector::with_webpki_roots())
        .http2(Http2Config::new().initial_stream_window_size(2 * 1024 * 1024))
        .build();
}

#[tokio::test]
async fn local_address_is_used_for_outgoing_connections() {
    let server = Server::http1(|_req| async { text(200, "ok") });
    let client = Client::<TokioRuntime>::builder()
        .local_address("192.0.2.1".parse::<std::net::IpAddr>().unwrap())
        .build();
    // 192.0.2.1 (TEST-NET-1) is not an address of this machine: binding fails before any packet.
    let err = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(server.accepted(), 0);
}
