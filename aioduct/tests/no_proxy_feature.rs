//! A build without the `proxy` feature connects directly, whatever the environment says.
#![cfg(not(feature = "proxy"))]

mod support;

use aioduct::{Client, HttpRuntime};

/// The environment's proxy variables are not read: the request reaches the server directly,
/// where a client that used them would fail on the dead proxy.
#[test]
fn environment_proxies_are_ignored() {
    // A proxy address nothing listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // SAFETY: the only test of this binary, and it sets the variables before it starts any
    // thread (the server's runtime, the client's), so nothing reads the environment meanwhile.
    unsafe {
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            std::env::set_var(name, format!("http://{dead}"));
        }
    }
    let server = support::Server::http1(|_req| async { support::text(200, "direct") });
    let url = server.url("/");
    #[cfg(feature = "smol")]
    support::run_smol(reaches_the_server::<aioduct::runtime::SmolRuntime>(&url));
    #[cfg(feature = "tokio")]
    support::run_tokio(reaches_the_server::<aioduct::runtime::TokioRuntime>(&url));
    assert_eq!(
        server.accepted(),
        1 + usize::from(cfg!(all(feature = "smol", feature = "tokio")))
    );
}

async fn reaches_the_server<R: HttpRuntime>(url: &str) {
    let response = Client::<R>::new().get(url).unwrap().send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "direct");
}
