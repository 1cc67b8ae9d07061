//! `CachingResolver` over resolvers that count their calls.

mod support;

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use aioduct_core::{Addrs, BoxError, Name, Resolve, Resolving};
use aioduct_dns::{CachingResolver, HickoryResolver, StaticResolver};
use futures_util::{FutureExt, future::join_all};
use support::{dns::DnsServer, dns_error, ips, lookup};

/// A resolver that answers 127.0.0.1 after `delay`, or fails for names starting with "bad",
/// and counts its calls.
#[derive(Clone)]
struct Counting {
    calls: Arc<AtomicUsize>,
    delay: Duration,
}

impl Counting {
    fn new(delay: Duration) -> Self {
        Counting {
            calls: Arc::new(AtomicUsize::new(0)),
            delay,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Resolve for Counting {
    fn resolve(&self, name: Name) -> Resolving {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let delay = self.delay;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            if name.as_str().starts_with("bad") {
                return Err(std::io::Error::other(format!("cannot resolve {name}")).into());
            }
            Ok(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 1], 0))]))
        })
    }
}

#[tokio::test]
async fn answers_are_reused_within_the_ttl_and_asked_again_after() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone()).ttl(Duration::from_millis(200));

    assert_eq!(
        lookup(&resolver, "a.test").await.unwrap(),
        ips(&["127.0.0.1"])
    );
    assert_eq!(
        lookup(&resolver, "a.test").await.unwrap(),
        ips(&["127.0.0.1"])
    );
    assert_eq!(inner.calls(), 1);

    tokio::time::sleep(Duration::from_millis(250)).await;
    lookup(&resolver, "a.test").await.unwrap();
    assert_eq!(inner.calls(), 2);
}

#[tokio::test]
async fn names_are_cached_separately() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone());
    lookup(&resolver, "a.test").await.unwrap();
    lookup(&resolver, "b.test").await.unwrap();
    lookup(&resolver, "a.test").await.unwrap();
    assert_eq!(inner.calls(), 2);
}

#[tokio::test]
async fn failures_are_kept_for_the_negative_ttl_with_their_source() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone()).negative_ttl(Duration::from_millis(200));

    for _ in 0..2 {
        let err = lookup(&resolver, "bad.test").await.unwrap_err();
        assert_eq!(err.to_string(), "DNS lookup of bad.test failed");
        let source = err.source().expect("the inner error is the source");
        assert_eq!(source.to_string(), "cannot resolve bad.test");
        assert!(source.downcast_ref::<std::io::Error>().is_some());
    }
    assert_eq!(inner.calls(), 1);

    tokio::time::sleep(Duration::from_millis(250)).await;
    lookup(&resolver, "bad.test").await.unwrap_err();
    assert_eq!(inner.calls(), 2);
}

#[tokio::test]
async fn zero_negative_ttl_keeps_no_failure() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone()).negative_ttl(Duration::ZERO);
    lookup(&resolver, "bad.test").await.unwrap_err();
    lookup(&resolver, "bad.test").await.unwrap_err();
    assert_eq!(inner.calls(), 2);
}

#[tokio::test]
async fn errors_of_this_crate_keep_their_kind() {
    let resolver = CachingResolver::new(StaticResolver::new());
    let err = lookup(&resolver, "nowhere.test").await.unwrap_err();
    assert!(dns_error(&err).is_not_found());
    assert_eq!(err.to_string(), "no static entry for host: nowhere.test");
}

#[tokio::test]
async fn concurrent_lookups_of_one_name_share_one_call() {
    let inner = Counting::new(Duration::from_millis(100));
    let resolver = CachingResolver::new(inner.clone());
    let lookups = (0..16).map(|_| resolver.resolve(Name::new("a.test")));
    let results = join_all(lookups).await;
    assert_eq!(inner.calls(), 1);
    assert!(results.iter().all(|r| r.as_ref().unwrap().len() == 1));
}

#[tokio::test]
async fn concurrent_failures_are_shared_too() {
    let inner = Counting::new(Duration::from_millis(50));
    let resolver = CachingResolver::new(inner.clone()).negative_ttl(Duration::ZERO);
    let results = join_all((0..4).map(|_| resolver.resolve(Name::new("bad.test")))).await;
    assert_eq!(inner.calls(), 1);
    assert!(results.iter().all(Result::is_err));
}

#[tokio::test]
async fn a_cancelled_first_caller_does_not_strand_the_others() {
    let inner = Counting::new(Duration::from_millis(50));
    let resolver = CachingResolver::new(inner.clone());

    let mut first = resolver.resolve(Name::new("a.test"));
    assert!((&mut first).now_or_never().is_none(), "still in flight");
    drop(first);

    lookup(&resolver, "a.test").await.unwrap();
    assert_eq!(
        inner.calls(),
        1,
        "the second caller finished the first lookup"
    );
}

#[tokio::test]
async fn a_full_cache_evicts_the_entry_closest_to_expiry() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone()).max_entries(2);
    lookup(&resolver, "a.test").await.unwrap();
    lookup(&resolver, "b.test").await.unwrap();
    lookup(&resolver, "c.test").await.unwrap(); // a.test expires first: evicted
    assert_eq!(inner.calls(), 3);

    lookup(&resolver, "c.test").await.unwrap();
    assert_eq!(inner.calls(), 3, "c.test is still cached");
    lookup(&resolver, "a.test").await.unwrap();
    assert_eq!(inner.calls(), 4, "a.test was evicted");
}

#[tokio::test]
async fn clear_forgets_everything() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone());
    lookup(&resolver, "a.test").await.unwrap();
    resolver.clear();
    lookup(&resolver, "a.test").await.unwrap();
    assert_eq!(inner.calls(), 2);
}

#[tokio::test]
async fn clones_share_the_cache() {
    let inner = Counting::new(Duration::ZERO);
    let resolver = CachingResolver::new(inner.clone());
    let clone = resolver.clone();
    lookup(&resolver, "a.test").await.unwrap();
    lookup(&clone, "a.test").await.unwrap();
    assert_eq!(inner.calls(), 1);
}

#[tokio::test]
async fn wraps_a_closure_such_as_a_system_resolver() {
    let server = DnsServer::start().await;
    let hickory: Arc<dyn Resolve> = Arc::new(
        HickoryResolver::builder()
            .cache(false)
            .nameserver(server.addr()),
    );
    // A closure stands in for any `Resolve` held as `Arc<dyn Resolve>`.
    let system = move |name: Name| hickory.resolve(name);
    let resolver = CachingResolver::new(system).ttl(Duration::from_secs(30));
    let first = lookup(&resolver, "both.test").await.unwrap();
    assert_eq!(lookup(&resolver, "both.test").await.unwrap(), first);
    assert_eq!(
        server.queries(),
        2,
        "one A and one AAAA query, then the cache"
    );
}

#[test]
fn a_stored_answer_needs_no_runtime() {
    let resolver = CachingResolver::new(|_: Name| async {
        Ok::<_, BoxError>(Addrs::from(vec![SocketAddr::from(([127, 0, 0, 1], 0))]))
    });
    for _ in 0..2 {
        let addrs = resolver
            .resolve(Name::new("a.test"))
            .now_or_never()
            .expect("ready at once")
            .unwrap();
        assert_eq!(addrs.len(), 1);
    }
}
