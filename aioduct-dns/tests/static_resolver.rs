//! `StaticResolver`: curl's `--resolve`, in front of a fallback.

mod support;

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use aioduct_core::{Addrs, BoxError, Name, Resolve};
use aioduct_dns::{HickoryResolver, StaticResolver};
use support::{dns::DnsServer, dns_error, ips, lookup};

#[tokio::test]
async fn exact_name_gets_its_addresses_in_order() {
    let resolver = StaticResolver::new()
        .add(
            "api.test",
            [Ipv4Addr::new(127, 0, 0, 7), Ipv4Addr::new(127, 0, 0, 8)],
        )
        .add("api.test", Ipv6Addr::LOCALHOST);
    assert_eq!(
        lookup(&resolver, "api.test").await.unwrap(),
        ips(&["127.0.0.7", "127.0.0.8", "::1"])
    );
}

#[tokio::test]
async fn names_match_without_case_or_trailing_dot() {
    let resolver = StaticResolver::new().add("Api.Test.", Ipv4Addr::new(127, 0, 0, 7));
    for host in ["api.test", "API.TEST", "api.test.", "aPi.TeSt."] {
        assert_eq!(
            lookup(&resolver, host).await.unwrap(),
            ips(&["127.0.0.7"]),
            "{host}"
        );
    }
}

#[tokio::test]
async fn socket_addresses_lose_their_port() {
    let with_port: SocketAddr = "127.0.0.7:8443".parse().unwrap();
    let resolver = StaticResolver::new().add("api.test", vec![with_port]);
    let addrs = resolver.resolve(Name::new("api.test")).await.unwrap();
    assert_eq!(addrs.as_slice(), &["127.0.0.7:0".parse().unwrap()]);
}

#[tokio::test]
async fn without_fallback_unknown_names_fail_clearly() {
    let resolver = StaticResolver::new().add("api.test", Ipv4Addr::LOCALHOST);
    let err = lookup(&resolver, "other.test").await.unwrap_err();
    assert_eq!(err.to_string(), "no static entry for host: other.test");
    assert!(dns_error(&err).is_not_found());
}

#[tokio::test]
async fn unknown_names_go_to_the_fallback_and_known_ones_never_do() {
    let server = DnsServer::start().await;
    let upstream = HickoryResolver::nameserver(server.addr());
    // both.test is in the local DNS zone too: the static entry must win without a query.
    let resolver = StaticResolver::new()
        .add("both.test", Ipv4Addr::new(127, 0, 0, 99))
        .fallback(Arc::new(upstream));

    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["127.0.0.99"])
    );
    assert_eq!(server.queries(), 0);

    assert_eq!(
        lookup(&resolver, "v4.test").await.unwrap(),
        ips(&["127.0.0.2"])
    );
    assert!(server.queries() > 0);

    // The fallback's own error comes back unchanged.
    let err = lookup(&resolver, "nope.test").await.unwrap_err();
    assert_eq!(err.to_string(), "no such host: nope.test");
}

#[tokio::test]
async fn closure_fallback_sees_the_name() {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let fallback = move |name: Name| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move {
            assert_eq!(name.as_str(), "elsewhere.test");
            Ok::<_, BoxError>(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 42], 0))]))
        }
    };
    let resolver = StaticResolver::new()
        .add("api.test", Ipv4Addr::LOCALHOST)
        .fallback(Arc::new(fallback));
    assert_eq!(
        lookup(&resolver, "elsewhere.test").await.unwrap(),
        ips(&["127.0.0.42"])
    );
    lookup(&resolver, "api.test").await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn usable_as_arc_dyn_resolve_and_through_a_closure() {
    let table = StaticResolver::new().add("api.test", IpAddr::from([127, 0, 0, 7]));
    let stored: Arc<dyn Resolve> = Arc::new(table.clone());
    assert_eq!(
        lookup(&*stored, "api.test").await.unwrap(),
        ips(&["127.0.0.7"])
    );

    // The core's blanket impl makes any `Fn(Name) -> Future` a resolver; wrapping one is a
    // closure away.
    let wrapped = move |name: Name| stored.resolve(name);
    assert_eq!(
        lookup(&wrapped, "API.test.").await.unwrap(),
        ips(&["127.0.0.7"])
    );
    assert!(lookup(&wrapped, "other.test").await.is_err());
}

#[test]
fn entries_can_be_inspected() {
    let resolver = StaticResolver::new().add("api.test", Ipv4Addr::LOCALHOST);
    assert_eq!(
        resolver.entry("API.test."),
        Some(&["127.0.0.1:0".parse().unwrap()][..])
    );
    assert_eq!(resolver.entry("other.test"), None);
}
