//! The hickory resolvers plugged into the client (the `hickory-dns` feature; lookups on tokio).
#![cfg(feature = "hickory-dns")]

mod support;

use std::net::{IpAddr, Ipv4Addr};

use aioduct::{
    Client,
    dns::{HickoryResolver, StaticResolver},
    runtime::TokioRuntime,
};
use support::{Server, text};

#[tokio::test]
async fn static_entries_resolve_names_like_curls_resolve_option() {
    let server = Server::http1(|req| async move {
        text(200, req.headers()["host"].to_str().unwrap().to_owned())
    });
    let resolver = StaticResolver::new().add("api.test", IpAddr::V4(Ipv4Addr::LOCALHOST));
    let client = Client::<TokioRuntime>::builder().resolver(resolver).build();
    let url = format!("http://api.test:{}/", server.addr().port());
    let body = client
        .get(url)
        .unwrap()
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, format!("api.test:{}", server.addr().port()));

    let err = client
        .get("http://other.test/")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_dns(), "{err:?}");
    assert!(format!("{err}").contains("no static entry"), "{err}");
}

#[tokio::test]
async fn an_unreachable_nameserver_is_a_dns_error() {
    // A UDP port on this machine with nothing behind it: queries are refused at once.
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let resolver = HickoryResolver::builder()
        .timeout(std::time::Duration::from_millis(300))
        .attempts(1)
        .nameserver(([127, 0, 0, 1], port).into());
    let client = Client::<TokioRuntime>::builder().resolver(resolver).build();
    let err = client
        .get("http://nowhere.test/")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_dns(), "{err:?}");
}
