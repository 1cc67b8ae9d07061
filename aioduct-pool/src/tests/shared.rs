//! Multiplexed (HTTP/2-like) connections: one connection, many handles.

use std::thread;
use std::time::Duration;

use super::*;

#[test]
fn shared_connection_is_lent_to_many_checkouts_at_once() {
    let pool = pool(Config::default().max_per_key(Some(1)));
    let (first, remote) = connect(&pool, KEY, 1, true);
    assert!(first.is_shared());
    let handles: Vec<_> = (0..5)
        .map(|_| expect_reused(checkout_now(&pool, KEY)))
        .collect();
    assert!(
        handles
            .iter()
            .all(|conn| conn.id == 1 && conn.is_reused() && conn.is_shared())
    );
    assert_eq!(pool.connection_count(&KEY), 1);
    assert_eq!(
        pool.idle_count(&KEY),
        0,
        "shared connections are not idle exclusive ones"
    );
    // The pool's own handle, the inserter's and five clones.
    assert_eq!(remote.handles(), 7);
    drop(handles);
    drop(first);
    assert_eq!(remote.handles(), 1);
    assert!(pool.try_checkout(&KEY).is_some_and(|conn| conn.is_shared()));
}

#[test]
fn waiters_are_woken_and_served_when_a_shared_connection_is_inserted() {
    let pool = pool(Config::default().max_per_key(Some(1)));
    let permit = expect_connect(checkout_now(&pool, KEY));
    let mut waiters: Vec<_> = (0..3).map(|_| Task::new(pool.checkout(KEY))).collect();
    assert!(waiters.iter_mut().all(|waiter| waiter.poll().is_pending()));

    let (conn, _remote) = fake(1, true);
    let _own = permit.insert(conn);
    for waiter in &mut waiters {
        assert_eq!(waiter.wakes(), 1);
        let Poll::Ready(checkout) = waiter.poll() else {
            panic!("every waiter shares the new connection");
        };
        let conn = expect_reused(checkout);
        assert!(conn.is_shared());
        assert_eq!(conn.id, 1);
    }
    assert_eq!(pool.waiting_count(&KEY), 0);
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn multiplexed_key_waits_for_the_connection_being_opened() {
    let pool = pool(Config::default());
    let (first, remote) = connect(&pool, KEY, 1, true);
    drop(first);
    remote.close();

    // The old connection is gone; one checkout opens a new one and the next waits for it,
    // although no limit is set.
    let permit = expect_connect(checkout_now(&pool, KEY));
    assert_eq!(remote.handles(), 0);
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());

    let (conn, _remote) = fake(2, true);
    let _own = permit.insert(conn);
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("the waiter shares the new connection");
    };
    assert_eq!(expect_reused(checkout).id, 2);
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn failed_multiplexed_connect_passes_the_permit_to_one_waiter() {
    let pool = pool(Config::default());
    let (first, remote) = connect(&pool, KEY, 1, true);
    first.discard();
    assert_eq!(remote.handles(), 0);
    let permit = expect_connect(checkout_now(&pool, KEY));
    let mut first = Task::new(pool.checkout(KEY));
    let mut second = Task::new(pool.checkout(KEY));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());

    drop(permit);
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    let Poll::Ready(checkout) = first.poll() else {
        panic!("the first waiter retries the connect");
    };
    let permit = expect_connect(checkout);
    assert!(second.poll().is_pending());
    let (conn, _remote) = fake(2, true);
    let _own = permit.insert(conn);
    assert!(second.poll().is_ready());
}

#[test]
fn exclusive_connection_for_a_multiplexed_key_lets_waiters_connect() {
    let pool = pool(Config::default());
    let (first, _remote) = connect(&pool, KEY, 1, true);
    first.discard();
    let permit = expect_connect(checkout_now(&pool, KEY));
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());

    // The server answered with HTTP/1.1 this time.
    let (conn, _remote) = fake(2, false);
    let _own = permit.insert(conn);
    assert_eq!(waiter.wakes(), 1);
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("the waiter may open its own connection");
    };
    let _permit = expect_connect(checkout);
    assert_eq!(pool.connection_count(&KEY), 2);
}

#[test]
fn closed_shared_connection_is_retired() {
    let pool = pool(Config::default().max_per_key(Some(1)));
    let (first, remote) = connect(&pool, KEY, 1, true);
    drop(first);
    remote.close();
    assert!(pool.try_checkout(&KEY).is_none());
    assert_eq!(remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 0);
    expect_connect(checkout_now(&pool, KEY));
}

#[test]
fn closed_shared_handle_frees_the_slot_for_a_waiter() {
    let pool = pool(Config::default().max_per_key(Some(1)));
    let permit = expect_connect(checkout_now(&pool, KEY));
    let (conn, remote) = fake(1, true);
    let handle = permit.insert(conn);
    remote.close();
    let mut waiter = Task::new(pool.checkout(KEY));
    // The checkout itself notices the closed connection and takes its slot.
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("the closed connection's slot is free");
    };
    let _permit = expect_connect(checkout);
    drop(handle);
    assert_eq!(remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn discarded_shared_handle_retires_the_connection() {
    let pool = pool(Config::default());
    let (first, remote) = connect(&pool, KEY, 1, true);
    let second = expect_reused(checkout_now(&pool, KEY));
    first.discard();
    assert_eq!(pool.connection_count(&KEY), 0);
    // Requests already running keep their handle.
    assert_eq!(remote.handles(), 1);
    assert!(second.is_open());
    drop(second);
    assert_eq!(remote.handles(), 0);
    expect_connect(checkout_now(&pool, KEY));
}

#[test]
fn racing_connects_keep_one_shared_connection() {
    let pool = pool(Config::default());
    let first_permit = expect_connect(checkout_now(&pool, KEY));
    let second_permit = expect_connect(checkout_now(&pool, KEY));
    let (conn, first_remote) = fake(1, true);
    let kept = first_permit.insert(conn);
    let (conn, second_remote) = fake(2, true);
    let detached = second_permit.insert(conn);
    assert!(detached.is_shared());
    assert_eq!(pool.connection_count(&KEY), 2);
    assert_eq!(expect_reused(checkout_now(&pool, KEY)).id, 1);

    drop(detached);
    assert_eq!(second_remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 1);
    drop(kept);
    assert_eq!(first_remote.handles(), 1);
}

#[test]
fn idle_shared_connection_expires_but_a_busy_one_does_not() {
    let pool = pool(Config::default().idle_timeout(Some(Duration::from_millis(20))));
    let (busy, busy_remote) = connect(&pool, KEY, 1, true);
    let (idle, idle_remote) = connect(&pool, "b.example:443", 2, true);
    drop(idle);
    thread::sleep(Duration::from_millis(50));
    pool.evict_expired();
    assert_eq!(idle_remote.handles(), 0);
    assert_eq!(pool.connection_count(&"b.example:443"), 0);
    assert_eq!(busy_remote.handles(), 2);
    assert_eq!(expect_reused(checkout_now(&pool, KEY)).id, 1);
    drop(busy);
}

#[test]
fn expected_multiplexing_makes_a_burst_on_a_new_key_share_the_first_connection() {
    let pool = pool(Config::default());
    let Poll::Ready(first) = Task::new(pool.checkout_multiplexed(KEY)).poll() else {
        panic!("the first checkout gets a permit at once");
    };
    let permit = expect_connect(first);
    let mut second = Task::new(pool.checkout_multiplexed(KEY));
    assert!(
        second.poll().is_pending(),
        "waits for the connection being opened"
    );

    let (conn, _remote) = fake(1, true);
    let _own = permit.insert(conn);
    let Poll::Ready(checkout) = second.poll() else {
        panic!("the waiter shares the new connection");
    };
    assert_eq!(expect_reused(checkout).id, 1);
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn expected_multiplexing_that_turns_out_exclusive_lets_waiters_connect_and_is_remembered() {
    let pool = pool(Config::default());
    let permit = expect_connect(checkout_now_multiplexed(&pool));
    let mut waiter = Task::new(pool.checkout_multiplexed(KEY));
    assert!(waiter.poll().is_pending());

    let (conn, _remote) = fake(1, false);
    let own = permit.insert(conn);
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("an exclusive first connection releases the waiter");
    };
    let _second = expect_connect(checkout);

    // The key is now known to be exclusive: a further checkout connects without waiting.
    let Poll::Ready(third) = Task::new(pool.checkout_multiplexed(KEY)).poll() else {
        panic!("no waiting once the key is known not to multiplex");
    };
    let _third = expect_connect(third);
    drop(own);
}

fn checkout_now_multiplexed(pool: &TestPool) -> Checkout<&'static str, Fake> {
    match Task::new(pool.checkout_multiplexed(KEY)).poll() {
        Poll::Ready(checkout) => checkout,
        Poll::Pending => panic!("checkout should not wait"),
    }
}
