//! The client as a tower `Service`, composed with tower layers.
#![cfg(feature = "tower")]

mod support;

use aioduct::{Client, runtime::TokioRuntime};
use support::echo_server;
use tower::{Service, ServiceBuilder, ServiceExt};

#[tokio::test]
async fn client_serves_requests_behind_tower_layers() {
    let server = echo_server();
    let client = Client::<TokioRuntime>::new();
    let mut service = ServiceBuilder::new()
        .concurrency_limit(2)
        .map_request(|mut req: http::Request<String>| {
            req.headers_mut()
                .insert("x-test", "from-layer".parse().unwrap());
            req
        })
        .service(client);
    let request = http::Request::post(server.url("/t"))
        .body("sent".to_owned())
        .unwrap();
    let response = service.ready().await.unwrap().call(request).await.unwrap();
    let body = response.text().await.unwrap();
    assert!(body.starts_with("POST /t\n"), "{body}");
    assert!(body.contains("x-test=from-layer"), "{body}");
    assert!(body.ends_with("body=sent"), "{body}");
}

#[tokio::test]
async fn service_errors_are_aioduct_errors() {
    let mut client = Client::<TokioRuntime>::new();
    let request = http::Request::get("ftp://127.0.0.1/")
        .body(String::new())
        .unwrap();
    let err = ServiceExt::<http::Request<String>>::ready(&mut client)
        .await
        .unwrap()
        .call(request)
        .await
        .unwrap_err();
    assert!(err.is_builder(), "{err:?}");
}

#[test]
fn service_futures_are_send() {
    fn send<T: Send>(_: &T) {}
    let mut client = Client::<TokioRuntime>::new();
    let future = client.call(http::Request::new(String::new()));
    send(&future);
}
