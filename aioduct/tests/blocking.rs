//! The blocking client: same requests without async, from many threads, never inside a runtime.
#![cfg(feature = "blocking")]

mod support;

use std::{io::Read, time::Duration};

use aioduct::blocking::Client;
use support::{Server, drip, echo_server, text};

#[test]
fn get_post_and_headers_work_without_async() {
    let server = echo_server();
    let client = Client::builder().user_agent("blocking/1").build().unwrap();
    let resp = client
        .get(server.url("/x"))
        .unwrap()
        .query(&[("a", "b c")])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.text().unwrap();
    assert!(body.starts_with("GET /x?a=b%20c\n"), "{body}");
    assert!(body.contains("ua=blocking/1"), "{body}");

    let body = client
        .post(server.url("/p"))
        .unwrap()
        .header("x-test", "yes")
        .body("payload")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        body.contains("x-test=yes") && body.ends_with("body=payload"),
        "{body}"
    );
}

#[test]
fn response_implements_read_and_streams() {
    let server =
        Server::http1(|_req| async { drip(vec!["ab", "cd", "ef"], Duration::from_millis(5)) });
    let client = Client::new();
    let mut resp = client.get(server.url("/")).unwrap().send().unwrap();
    let mut first = [0u8; 1];
    resp.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"a");
    let mut rest = String::new();
    resp.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "bcdef");
}

#[test]
fn body_reader_uploads_without_buffering_it_first() {
    let server = echo_server();
    let client = Client::new();
    let data = vec![b'z'; 300_000];
    let body = client
        .put(server.url("/up"))
        .unwrap()
        .body_reader(std::io::Cursor::new(data))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(body.contains("len=300000"), "{}", &body[..80]);
}

#[test]
fn one_client_serves_many_threads_over_pooled_connections() {
    let server = Server::http1(|req| async move { text(200, req.uri().path().to_owned()) });
    let client = Client::new();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let client = client.clone();
            let url = server.url(&format!("/{t}"));
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let body = client.get(&url).unwrap().send().unwrap().text().unwrap();
                    assert_eq!(
                        body,
                        url.rsplit('/').next().map(|p| format!("/{p}")).unwrap()
                    );
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert!(
        server.accepted() <= 8,
        "connections are pooled: {}",
        server.accepted()
    );
}

#[test]
fn timeouts_and_errors_surface() {
    let (addr, _stop) = support::silent_listener();
    let client = Client::builder()
        .timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let err = client
        .get(format!("http://{addr}/"))
        .unwrap()
        .send()
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");

    let server = Server::http1(|_req| async { text(500, "down") });
    let err = client
        .get(server.url("/"))
        .unwrap()
        .send()
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500));
}

#[test]
fn calling_inside_an_async_runtime_panics_with_a_clear_message() {
    let server = echo_server();
    let client = Client::new();
    let url = server.url("/");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async move {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = client.get(&url).unwrap().send();
        }))
    });
    let panic = outcome.unwrap_err();
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    assert!(message.contains("inside an async runtime"), "{message}");
}

#[cfg(feature = "cookies")]
#[test]
fn follows_a_redirect_and_keeps_cookies_across_requests() {
    let server = Server::http1(|req| async move {
        if req.uri().path() == "/login" {
            let mut reply = text(302, "");
            let headers = reply.headers_mut();
            headers.insert("location", "/home".parse().unwrap());
            headers.insert("set-cookie", "session=abc; Path=/".parse().unwrap());
            return reply;
        }
        let cookie = req
            .headers()
            .get("cookie")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        text(200, format!("{} cookie={cookie}", req.uri().path()))
    });
    let client = Client::builder()
        .cookie_store(true)
        .max_redirects(3)
        .build()
        .unwrap();
    let resp = client.get(server.url("/login")).unwrap().send().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.url().path(), "/home");
    assert_eq!(resp.text().unwrap(), "/home cookie=session=abc");

    let body = client.get(server.url("/me")).unwrap().send().unwrap();
    assert_eq!(body.text().unwrap(), "/me cookie=session=abc");

    // Without a jar nothing is kept, and with redirects off the 302 comes back as it is.
    let plain = Client::builder().max_redirects(0).build().unwrap();
    let resp = plain.get(server.url("/login")).unwrap().send().unwrap();
    assert_eq!(resp.status(), 302);
    let body = plain.get(server.url("/me")).unwrap().send().unwrap();
    assert_eq!(body.text().unwrap(), "/me cookie=");
}
