//! Interop with a real unbound (Debian's 1.17, built with nghttp2): Do53, DoT and DoH.
//!
//! Needs `--features interop` and the `unbound` binary (`apt-get install unbound`).

#![cfg(feature = "interop")]

mod support;
#[path = "support/unbound.rs"]
mod unbound;

use std::time::Duration;

use aioduct_dns::{HickoryBuilder, HickoryResolver};
use support::{chain, dns_error, ips, lookup};
use unbound::{TLS_NAME, TestCa, Unbound};

fn options() -> HickoryBuilder {
    HickoryResolver::builder()
        .timeout(Duration::from_secs(3))
        .attempts(1)
}

#[tokio::test]
async fn do53_via_unbound() {
    let ca = TestCa::new("aioduct test CA");
    let unbound = Unbound::start(&ca).await;
    let resolver = options().nameserver(unbound.do53);
    assert_eq!(
        lookup(&resolver, "host.test").await.unwrap(),
        ips(&["::1", "127.0.0.1"])
    );
    let err = lookup(&resolver, "nope.test").await.unwrap_err();
    assert_eq!(err.to_string(), "no such host: nope.test");
}

#[tokio::test]
async fn unbound_refuses_names_outside_the_test_zone() {
    let ca = TestCa::new("aioduct test CA");
    let unbound = Unbound::start(&ca).await;
    let resolver = options().nameserver(unbound.do53);
    let err = lookup(&resolver, "example.com").await.unwrap_err();
    let text = chain(&*err);
    assert!(!dns_error(&err).is_timeout(), "{text}");
    assert!(text.contains("Refused"), "{text}");
}

#[tokio::test]
async fn dot_via_unbound() {
    let ca = TestCa::new("aioduct test CA");
    let unbound = Unbound::start(&ca).await;
    let resolver = options().dot(unbound.dot, TLS_NAME, &[ca.cert()]).unwrap();
    let found = lookup(&resolver, "host.test").await;
    assert_eq!(
        found.unwrap_or_else(|err| panic!("{}\n{}", chain(&*err), unbound.log())),
        ips(&["::1", "127.0.0.1"])
    );
    assert_eq!(
        lookup(&resolver, "v4.test").await.unwrap(),
        ips(&["127.0.0.2"])
    );
}

#[tokio::test]
async fn doh_via_unbound() {
    let ca = TestCa::new("aioduct test CA");
    let unbound = Unbound::start(&ca).await;
    let resolver = options().doh(unbound.doh, TLS_NAME, &[ca.cert()]).unwrap();
    let found = lookup(&resolver, "host.test").await;
    assert_eq!(
        found.unwrap_or_else(|err| panic!("{}\n{}", chain(&*err), unbound.log())),
        ips(&["::1", "127.0.0.1"])
    );
    let err = lookup(&resolver, "nope.test").await.unwrap_err();
    assert_eq!(err.to_string(), "no such host: nope.test");
}

#[tokio::test]
async fn dot_with_an_untrusted_ca_fails_clearly() {
    let ca = TestCa::new("aioduct test CA");
    let unbound = Unbound::start(&ca).await;
    let stranger = TestCa::new("some other CA");
    let resolver = options()
        .dot(unbound.dot, TLS_NAME, &[stranger.cert()])
        .unwrap();
    let err = lookup(&resolver, "host.test").await.unwrap_err();
    let text = chain(&*err);
    assert!(!dns_error(&err).is_timeout(), "{text}");
    assert!(text.contains("UnknownIssuer"), "{text}");
}

#[tokio::test]
async fn doh_with_the_wrong_tls_name_fails_clearly() {
    let ca = TestCa::new("aioduct test CA");
    let unbound = Unbound::start(&ca).await;
    let resolver = options()
        .doh(unbound.doh, "other.test", &[ca.cert()])
        .unwrap();
    let err = lookup(&resolver, "host.test").await.unwrap_err();
    let text = chain(&*err);
    assert!(!dns_error(&err).is_timeout(), "{text}");
    assert!(
        text.contains("certificate not valid for name \"other.test\""),
        "{text}"
    );
}
