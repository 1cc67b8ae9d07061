//! JSON request bodies and responses (the `json` feature).
#![cfg(feature = "json")]

mod support;

use aioduct::{Client, HttpRuntime};
use support::{Server, echo_server, text};

async fn json_body_is_sent_with_its_content_type<R: HttpRuntime>() {
    let server = echo_server();
    let client = Client::<R>::new();
    let body = client
        .post(server.url("/users"))
        .unwrap()
        .json(&serde_json::json!({"name": "Alice"}))
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("ctype=application/json"), "{body}");
    assert!(body.contains(r#"body={"name":"Alice"}"#), "{body}");
}

async fn json_response_parses<R: HttpRuntime>() {
    #[derive(serde::Deserialize)]
    struct User {
        name: String,
        id: u32,
    }
    let server = Server::http1(|_req| async { text(200, r#"{"name":"Alice","id":7}"#) });
    let client = Client::<R>::new();
    let user: User = client
        .get(server.url("/u"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!((user.name.as_str(), user.id), ("Alice", 7));

    let bad = Server::http1(|_req| async { text(200, "not json") });
    let err = client
        .get(bad.url("/u"))
        .unwrap()
        .send()
        .await
        .unwrap()
        .json::<User>()
        .await
        .err()
        .unwrap();
    assert!(err.is_decode(), "{err:?}");
}

runtime_tests!(
    json_body_is_sent_with_its_content_type,
    json_response_parses,
);
