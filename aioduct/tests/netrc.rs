//! `.netrc` credentials: sent to the exact host only, never after a redirect to another host.

mod support;

use std::sync::{Arc, Mutex};

use aioduct::{Client, SendRuntime, middleware::netrc::Netrc};
use support::{Server, echo_server, text};

fn netrc(text: &str) -> Netrc {
    Netrc::parse(text).unwrap()
}

async fn auth_seen(client: &Client<impl SendRuntime>, url: String) -> String {
    let report = client
        .get(url)
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    report
        .lines()
        .find_map(|l| l.strip_prefix("auth="))
        .unwrap()
        .to_owned()
}

async fn netrc_credentials_go_to_the_exact_host<R: SendRuntime>() {
    let server = echo_server();
    let port = server.addr().port();
    let client = Client::<R>::builder()
        .netrc(netrc(
            "# ours\nmachine 127.0.0.1\n  login alice\n  password \"se cret\"",
        ))
        .build();
    // base64("alice:se cret")
    assert_eq!(
        auth_seen(&client, server.url("/")).await,
        "Basic YWxpY2U6c2UgY3JldA=="
    );
    // The same server under another name is another host.
    assert_eq!(
        auth_seen(&client, format!("http://localhost:{port}/")).await,
        ""
    );
    // The caller's own Authorization is left alone.
    let report = client
        .get(server.url("/"))
        .unwrap()
        .bearer_auth("mine")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(report.contains("auth=Bearer mine"), "{report}");
}

async fn netrc_default_entry_serves_other_hosts<R: SendRuntime>() {
    let server = echo_server();
    let port = server.addr().port();
    let client = Client::<R>::builder()
        .netrc(netrc(
            "machine 127.0.0.1 login alice password a\ndefault login anon password guest",
        ))
        .build();
    assert_eq!(
        auth_seen(&client, server.url("/")).await,
        "Basic YWxpY2U6YQ=="
    );
    // base64("anon:guest")
    assert_eq!(
        auth_seen(&client, format!("http://localhost:{port}/")).await,
        "Basic YW5vbjpndWVzdA=="
    );
}

/// Server B (reached as `localhost`) records the Authorization of each request; server A (at
/// 127.0.0.1) redirects there.
fn redirect_pair() -> (Server, Server, Arc<Mutex<Vec<Option<String>>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let b = Server::http1(move |req| {
        let auth = req
            .headers()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        record.lock().unwrap().push(auth);
        async { text(200, "landed") }
    });
    let target = format!("http://localhost:{}/landing", b.addr().port());
    let a = Server::http1(move |_req| {
        let target = target.clone();
        async move {
            let mut reply = text(302, "elsewhere");
            reply
                .headers_mut()
                .insert("location", target.parse().unwrap());
            reply
        }
    });
    (a, b, seen)
}

async fn netrc_password_not_sent_after_a_cross_host_redirect<R: SendRuntime>() {
    // Credentials for A's host only, and then also a default entry that would match B.
    for file in [
        "machine 127.0.0.1 login alice password secret",
        "machine 127.0.0.1 login alice password secret\ndefault login anon password guest",
    ] {
        let (a, _b, seen) = redirect_pair();
        let client = Client::<R>::builder().netrc(netrc(file)).build();
        let resp = client.get(a.url("/start")).unwrap().send().await.unwrap();
        assert_eq!(resp.status(), 200, "the redirect was followed");
        assert_eq!(resp.text().await.unwrap(), "landed");
        assert_eq!(*seen.lock().unwrap(), [None], "{file}");
    }
}

send_runtime_tests!(
    netrc_credentials_go_to_the_exact_host,
    netrc_default_entry_serves_other_hosts,
    netrc_password_not_sent_after_a_cross_host_redirect,
);
