//! compio specifics: requests really go through the io_uring driver, and a client is usable from
//! the thread-per-core model (one runtime per thread).
#![cfg(feature = "compio")]

mod support;

use aioduct::{Client, runtime::CompioRuntime};
use support::{Server, text};

#[test]
fn requests_run_on_the_io_uring_driver() {
    let server = Server::http1(|_req| async { text(200, "uring") });
    CompioRuntime::block_on(async {
        assert!(
            CompioRuntime::is_io_uring(),
            "driver: {:?}",
            CompioRuntime::driver_name()
        );
        let client = Client::<CompioRuntime>::new();
        let body = client
            .get(server.url("/"))
            .unwrap()
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(body, "uring");
    })
    .unwrap();
}

#[test]
fn one_client_per_thread_each_on_its_own_runtime() {
    let server = Server::http1(|req| async move { text(200, req.uri().path().to_owned()) });
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let url = server.url(&format!("/{t}"));
            std::thread::spawn(move || {
                CompioRuntime::block_on(async move {
                    let client = Client::<CompioRuntime>::new();
                    for _ in 0..3 {
                        let body = client
                            .get(&url)
                            .unwrap()
                            .send()
                            .await
                            .unwrap()
                            .text()
                            .await
                            .unwrap();
                        assert_eq!(body, format!("/{t}"));
                    }
                })
                .unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(server.accepted(), 2, "each thread pools its own connection");
}
