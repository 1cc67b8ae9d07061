//! `HickoryResolver::nameserver` against the in-process DNS server on 127.0.0.1.

mod support;

use std::time::{Duration, Instant};

use aioduct_core::{Name, Resolve};
use aioduct_dns::{HickoryBuilder, HickoryResolver, LookupStrategy};
use futures_util::FutureExt;
use support::{chain, dns::DnsServer, dns_error, ips, lookup};

/// Short timeouts so a broken test fails fast; one try unless a test says otherwise.
fn options() -> HickoryBuilder {
    HickoryResolver::builder()
        .timeout(Duration::from_secs(2))
        .attempts(1)
}

#[tokio::test]
async fn a_only_name() {
    let server = DnsServer::start().await;
    let resolver = HickoryResolver::nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "v4.test").await.unwrap(),
        ips(&["127.0.0.2"])
    );
}

#[tokio::test]
async fn aaaa_only_name() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "v6.test").await.unwrap(),
        ips(&["2001:db8::6"])
    );
}

#[tokio::test]
async fn both_families_are_interleaved_ipv6_first_by_default() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["2001:db8::3", "127.0.0.3", "2001:db8::4", "127.0.0.4"])
    );
}

#[tokio::test]
async fn ipv4_and_ipv6_strategy_lists_ipv4_first() {
    let server = DnsServer::start().await;
    let resolver = options()
        .strategy(LookupStrategy::Ipv4AndIpv6)
        .nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["127.0.0.3", "2001:db8::3", "127.0.0.4", "2001:db8::4"])
    );
}

#[tokio::test]
async fn ipv4_only_returns_no_ipv6() {
    let server = DnsServer::start().await;
    let resolver = options()
        .strategy(LookupStrategy::Ipv4Only)
        .nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["127.0.0.3", "127.0.0.4"])
    );
    // A name with only AAAA records has nothing to offer.
    let err = lookup(&resolver, "v6.test").await.unwrap_err();
    assert!(dns_error(&err).is_not_found(), "{err}");
    assert_eq!(err.to_string(), "no IP addresses found for host: v6.test");
}

#[tokio::test]
async fn ipv6_only_returns_no_ipv4() {
    let server = DnsServer::start().await;
    let resolver = options()
        .strategy(LookupStrategy::Ipv6Only)
        .nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["2001:db8::3", "2001:db8::4"])
    );
}

#[tokio::test]
async fn ipv4_then_ipv6_asks_aaaa_only_when_there_is_no_a() {
    let server = DnsServer::start().await;
    let resolver = options()
        .strategy(LookupStrategy::Ipv4thenIpv6)
        .nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["127.0.0.3", "127.0.0.4"])
    );
    assert_eq!(server.queries(), 1, "an A answer needs no AAAA query");
    assert_eq!(
        lookup(&resolver, "v6.test").await.unwrap(),
        ips(&["2001:db8::6"])
    );
}

#[tokio::test]
async fn nxdomain_says_no_such_host() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    let err = lookup(&resolver, "nope.test").await.unwrap_err();
    assert_eq!(err.to_string(), "no such host: nope.test");
    let err = dns_error(&err);
    assert!(err.is_not_found() && !err.is_timeout());
    assert_eq!(err.name().map(Name::as_str), Some("nope.test"));
}

#[tokio::test]
async fn silent_server_times_out_within_the_configured_timeout() {
    let server = DnsServer::start().await;
    server.drop_queries(true);
    let timeout = Duration::from_millis(300);
    let resolver = HickoryResolver::builder()
        .timeout(timeout)
        .attempts(1)
        .nameserver(server.addr());

    let started = Instant::now();
    let err = lookup(&resolver, "v4.test").await.unwrap_err();
    let elapsed = started.elapsed();

    assert!(dns_error(&err).is_timeout(), "{}", chain(&*err));
    assert_eq!(
        err.to_string(),
        "DNS lookup of v4.test timed out after 300ms"
    );
    assert!(
        elapsed >= timeout - Duration::from_millis(50),
        "{elapsed:?}"
    );
    assert!(
        elapsed < timeout + Duration::from_millis(500),
        "{elapsed:?}"
    );
    assert!(server.queries() >= 1);
}

#[tokio::test]
async fn attempts_resend_the_question_and_bound_the_whole_lookup() {
    let server = DnsServer::start().await;
    server.drop_queries(true);
    let timeout = Duration::from_millis(200);
    let resolver = HickoryResolver::builder()
        .timeout(timeout)
        .attempts(2)
        .strategy(LookupStrategy::Ipv4Only)
        .nameserver(server.addr());

    let started = Instant::now();
    let err = lookup(&resolver, "v4.test").await.unwrap_err();
    let elapsed = started.elapsed();

    assert!(dns_error(&err).is_timeout(), "{}", chain(&*err));
    assert!(
        elapsed >= 2 * timeout - Duration::from_millis(50),
        "{elapsed:?}"
    );
    assert!(
        elapsed < 2 * timeout + Duration::from_millis(500),
        "{elapsed:?}"
    );
    assert_eq!(server.queries(), 2, "one A query per attempt");
}

#[tokio::test]
async fn truncated_udp_answer_falls_back_to_tcp() {
    let server = DnsServer::start().await;
    server.truncate_udp(true);
    let resolver = options().nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "both.test").await.unwrap(),
        ips(&["2001:db8::3", "127.0.0.3", "2001:db8::4", "127.0.0.4"])
    );
    assert!(server.udp_queries() >= 1, "asked over UDP first");
    assert!(server.tcp_queries() >= 2, "then A and AAAA over TCP");
}

#[tokio::test]
async fn answers_are_cached_for_their_ttl() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());

    // short.test has a TTL of 1 s: one A and one AAAA query.
    let first = lookup(&resolver, "short.test").await.unwrap();
    assert_eq!(server.queries(), 2);
    assert_eq!(lookup(&resolver, "short.test").await.unwrap(), first);
    assert_eq!(server.queries(), 2, "within the TTL: no new query");

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(lookup(&resolver, "short.test").await.unwrap(), first);
    assert_eq!(server.queries(), 4, "after the TTL: asked again");
}

#[tokio::test]
async fn no_such_host_is_cached_for_the_negative_ttl() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());

    lookup(&resolver, "nope.test").await.unwrap_err();
    let asked = server.queries();
    assert!(asked >= 1);
    lookup(&resolver, "nope.test").await.unwrap_err();
    assert_eq!(server.queries(), asked, "the SOA minimum (1 s) covers it");

    tokio::time::sleep(Duration::from_millis(1200)).await;
    lookup(&resolver, "nope.test").await.unwrap_err();
    assert!(server.queries() > asked);
}

#[tokio::test]
async fn cache_off_asks_every_time() {
    let server = DnsServer::start().await;
    let resolver = options().cache(false).nameserver(server.addr());
    lookup(&resolver, "both.test").await.unwrap();
    lookup(&resolver, "both.test").await.unwrap();
    assert_eq!(server.queries(), 4);
}

#[tokio::test]
async fn clear_cache_forgets_answers() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    lookup(&resolver, "both.test").await.unwrap();
    resolver.clear_cache();
    lookup(&resolver, "both.test").await.unwrap();
    assert_eq!(server.queries(), 4);
}

#[tokio::test]
async fn clones_share_the_cache() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    let clone = resolver.clone();
    lookup(&resolver, "both.test").await.unwrap();
    lookup(&clone, "both.test").await.unwrap();
    assert_eq!(server.queries(), 2);
}

#[tokio::test]
async fn ip_literals_resolve_without_a_query() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "127.0.0.9").await.unwrap(),
        ips(&["127.0.0.9"])
    );
    assert_eq!(lookup(&resolver, "[::1]").await.unwrap(), ips(&["::1"]));
    assert_eq!(server.queries(), 0);
}

#[tokio::test]
async fn fully_qualified_and_upper_case_names_resolve() {
    let server = DnsServer::start().await;
    let resolver = options().nameserver(server.addr());
    assert_eq!(
        lookup(&resolver, "V4.Test.").await.unwrap(),
        ips(&["127.0.0.2"])
    );
}

#[tokio::test]
async fn usable_as_arc_dyn_resolve() {
    let server = DnsServer::start().await;
    let resolver: std::sync::Arc<dyn Resolve> =
        std::sync::Arc::new(options().nameserver(server.addr()));
    assert_eq!(
        lookup(&*resolver, "v4.test").await.unwrap(),
        ips(&["127.0.0.2"])
    );
}

#[test]
fn outside_a_tokio_runtime_the_lookup_fails_clearly() {
    // Built and polled with no runtime at all; the port is never contacted.
    let resolver = HickoryResolver::nameserver("127.0.0.1:9".parse().unwrap());
    let result = resolver
        .resolve(Name::new("v4.test"))
        .now_or_never()
        .expect("fails on the first poll");
    let err = result.unwrap_err();
    assert!(err.to_string().contains("tokio runtime"), "{err}");
}

#[test]
fn system_configuration_builds_or_says_why_not() {
    // Reads /etc/resolv.conf; no query is sent. Minimal containers may have none.
    let readable = std::fs::read_to_string("/etc/resolv.conf").is_ok_and(|conf| {
        conf.lines()
            .any(|l| l.trim_start().starts_with("nameserver"))
    });
    match HickoryResolver::system() {
        Ok(_) => assert!(readable),
        Err(err) => {
            assert!(!readable, "{}", chain(&err));
            assert!(err.is_config());
            assert!(err.to_string().contains("/etc/resolv.conf"), "{err}");
        }
    }
}

#[test]
fn unreadable_resolv_conf_is_an_error() {
    let err = HickoryResolver::builder()
        .resolv_conf("/nonexistent/resolv.conf")
        .unwrap_err();
    assert!(err.is_config());
    assert_eq!(
        chain(&err),
        "invalid DNS resolver configuration: cannot use /nonexistent/resolv.conf: \
         No such file or directory (os error 2)"
    );
}

#[test]
fn resolv_conf_without_nameserver_is_an_error() {
    let path = std::env::temp_dir().join(format!("aioduct-dns-{}.conf", std::process::id()));
    std::fs::write(&path, "search example.test\noptions ndots:2\n").unwrap();
    let result = HickoryResolver::builder().resolv_conf(&path);
    std::fs::remove_file(&path).unwrap();
    let err = result.unwrap_err();
    assert!(err.is_config());
    assert!(chain(&err).contains("no nameservers"), "{}", chain(&err));
}
