//! Exclusive (HTTP/1.1-like) connections: reuse, order, timeouts and limits.

use std::thread;
use std::time::Duration;

use super::*;

#[test]
fn idle_connection_is_reused() {
    let pool = pool(Config::default());
    let (conn, remote) = connect(&pool, KEY, 1, false);
    assert_eq!(pool.connection_count(&KEY), 1);
    assert_eq!(pool.idle_count(&KEY), 0);
    drop(conn);
    assert_eq!(pool.idle_count(&KEY), 1);

    let conn = expect_reused(checkout_now(&pool, KEY));
    assert_eq!(conn.id, 1);
    assert!(conn.is_reused());
    assert!(!conn.is_shared());
    assert_eq!(pool.idle_count(&KEY), 0);
    assert_eq!(pool.connection_count(&KEY), 1);
    assert_eq!(remote.handles(), 1);
}

#[test]
fn idle_connections_are_reused_most_recent_first() {
    let pool = pool(Config::default());
    let (first, _r1) = connect(&pool, KEY, 1, false);
    let (second, _r2) = connect(&pool, KEY, 2, false);
    let (third, _r3) = connect(&pool, KEY, 3, false);
    drop(second);
    drop(first);
    drop(third);
    assert_eq!(pool.idle_count(&KEY), 3);

    // Each connection stays checked out, so every checkout takes the next one.
    let lent: Vec<_> = (0..3)
        .map(|_| expect_reused(checkout_now(&pool, KEY)))
        .collect();
    let ids: Vec<usize> = lent.iter().map(|conn| conn.id).collect();
    assert_eq!(ids, [3, 1, 2]);
}

#[test]
fn keys_do_not_share_connections() {
    let pool = pool(Config::default());
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    drop(conn);
    let other = expect_connect(checkout_now(&pool, "b.example:443"));
    assert_eq!(*other.key(), "b.example:443");
    assert_eq!(pool.idle_count(&KEY), 1);
    assert_eq!(pool.connection_count(&"b.example:443"), 1);
}

#[test]
fn expired_idle_connections_are_dropped_on_checkout() {
    let pool = pool(Config::default().idle_timeout(Some(Duration::from_millis(20))));
    let (old, old_remote) = connect(&pool, KEY, 1, false);
    let (older, older_remote) = connect(&pool, KEY, 2, false);
    drop(older);
    drop(old);
    thread::sleep(Duration::from_millis(50));

    let permit = expect_connect(checkout_now(&pool, KEY));
    assert_eq!(old_remote.handles(), 0, "expired connection still alive");
    assert_eq!(older_remote.handles(), 0, "expired connection still alive");
    assert_eq!(pool.idle_count(&KEY), 0);
    assert_eq!(
        pool.connection_count(&KEY),
        1,
        "only the new permit holds a slot"
    );
    drop(permit);
    assert_eq!(pool.connection_count(&KEY), 0);
}

#[test]
fn idle_connections_within_the_timeout_are_kept() {
    let pool = pool(Config::default().idle_timeout(Some(Duration::from_secs(60))));
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    drop(conn);
    thread::sleep(Duration::from_millis(20));
    pool.evict_expired();
    assert_eq!(pool.idle_count(&KEY), 1);
    assert_eq!(expect_reused(checkout_now(&pool, KEY)).id, 1);
}

#[test]
fn evict_expired_drops_expired_and_closed_idle_connections() {
    let pool = pool(Config::default().idle_timeout(Some(Duration::from_millis(30))));
    let (stale, stale_remote) = connect(&pool, KEY, 1, false);
    drop(stale);
    thread::sleep(Duration::from_millis(60));
    let (closed, closed_remote) = connect(&pool, "b.example:443", 2, false);
    let (fresh, _fresh_remote) = connect(&pool, "b.example:443", 3, false);
    drop(closed);
    drop(fresh);
    closed_remote.close();
    assert_eq!(pool.idle_count(&KEY), 1);
    assert_eq!(pool.idle_count(&"b.example:443"), 2);

    pool.evict_expired();
    assert_eq!(stale_remote.handles(), 0);
    assert_eq!(closed_remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 0);
    assert_eq!(pool.idle_count(&"b.example:443"), 1);
    assert_eq!(pool.connection_count(&"b.example:443"), 1);
    assert_eq!(expect_reused(checkout_now(&pool, "b.example:443")).id, 3);
}

#[test]
fn max_idle_per_key_closes_the_surplus() {
    let pool = pool(Config::default().max_idle_per_key(1));
    let (first, first_remote) = connect(&pool, KEY, 1, false);
    let (second, second_remote) = connect(&pool, KEY, 2, false);
    drop(first);
    drop(second);
    assert_eq!(pool.idle_count(&KEY), 1);
    assert_eq!(pool.connection_count(&KEY), 1);
    assert_eq!(first_remote.handles(), 1);
    assert_eq!(
        second_remote.handles(),
        0,
        "the surplus connection must be closed"
    );
}

#[test]
fn zero_max_idle_disables_reuse() {
    let pool = pool(Config::default().max_idle_per_key(0));
    let (conn, remote) = connect(&pool, KEY, 1, false);
    drop(conn);
    assert_eq!(remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 0);
    expect_connect(checkout_now(&pool, KEY));
}

#[test]
fn closed_idle_connection_is_never_handed_out() {
    let pool = pool(Config::default());
    let (first, first_remote) = connect(&pool, KEY, 1, false);
    let (second, second_remote) = connect(&pool, KEY, 2, false);
    drop(first);
    drop(second);
    // The most recently used one closes while idle: the checkout skips it and drops it.
    second_remote.close();
    let reused = expect_reused(checkout_now(&pool, KEY));
    assert_eq!(reused.id, 1);
    assert_eq!(second_remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 1);

    first_remote.close();
    drop(reused);
    assert!(pool.try_checkout(&KEY).is_none());
    assert_eq!(pool.connection_count(&KEY), 0);
}

#[test]
fn closed_connection_is_not_returned_to_the_idle_list() {
    let pool = pool(Config::default());
    let (conn, remote) = connect(&pool, KEY, 1, false);
    remote.close();
    drop(conn);
    assert_eq!(remote.handles(), 0);
    assert_eq!(pool.idle_count(&KEY), 0);
    assert_eq!(pool.connection_count(&KEY), 0);
}

#[test]
fn discarded_connection_is_not_reused() {
    let pool = pool(Config::default());
    let (conn, remote) = connect(&pool, KEY, 1, false);
    conn.discard();
    assert_eq!(remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 0);
    expect_connect(checkout_now(&pool, KEY));
}

#[test]
fn try_checkout_returns_only_idle_connections() {
    let pool = pool(Config::default());
    assert!(pool.try_checkout(&KEY).is_none());
    assert_eq!(
        pool.connection_count(&KEY),
        0,
        "try_checkout must not reserve a slot"
    );
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    assert!(pool.try_checkout(&KEY).is_none());
    drop(conn);
    let conn = pool.try_checkout(&KEY).expect("idle connection");
    assert!(conn.is_reused());
    assert_eq!(conn.id, 1);
}

#[test]
fn dropping_the_pool_drops_idle_connections() {
    let pool = pool(Config::default());
    let (idle, idle_remote) = connect(&pool, KEY, 1, false);
    let (lent, lent_remote) = connect(&pool, KEY, 2, false);
    let permit = expect_connect(checkout_now(&pool, KEY));
    drop(idle);
    drop(pool);
    assert_eq!(idle_remote.handles(), 0);
    assert_eq!(lent.id, 2);
    drop(lent);
    assert_eq!(lent_remote.handles(), 0);
    let (conn, remote) = fake(3, false);
    drop(permit.insert(conn));
    assert_eq!(remote.handles(), 0);
}
