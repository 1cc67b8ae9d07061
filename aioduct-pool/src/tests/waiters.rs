//! `max_per_key`: waiting checkouts, their order, their wake-ups and their cancellation.

use super::*;

fn limited(max: usize) -> TestPool {
    pool(Config::default().max_per_key(Some(max)))
}

#[test]
fn checkout_waits_at_the_limit_without_busy_polling() {
    let pool = limited(1);
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());
    assert!(waiter.poll().is_pending());
    assert_eq!(
        waiter.wakes(),
        0,
        "nothing happened, so nothing may wake the waiter"
    );
    assert_eq!(pool.waiting_count(&KEY), 1);
    assert_eq!(pool.connection_count(&KEY), 1);

    // Another key is not limited by this one.
    expect_connect(checkout_now(&pool, "b.example:443"));
    drop(conn);
    assert_eq!(waiter.wakes(), 1);
}

#[test]
fn waiters_are_served_in_fifo_order_when_connections_return() {
    let pool = limited(1);
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    let mut first = Task::new(pool.checkout(KEY));
    let mut second = Task::new(pool.checkout(KEY));
    let mut third = Task::new(pool.checkout(KEY));
    // Polled out of order on purpose: the order of arrival is what counts.
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    assert!(third.poll().is_pending());
    assert_eq!(pool.waiting_count(&KEY), 3);

    drop(conn);
    assert_eq!((first.wakes(), second.wakes(), third.wakes()), (1, 0, 0));
    assert!(third.poll().is_pending());
    assert!(second.poll().is_pending());
    // A newcomer does not overtake the queue either.
    let mut newcomer = Task::new(pool.checkout(KEY));
    assert!(newcomer.poll().is_pending());
    let Poll::Ready(checkout) = first.poll() else {
        panic!("the first waiter was served");
    };
    let conn = expect_reused(checkout);
    assert!(conn.is_reused());
    assert_eq!(conn.id, 1);

    drop(conn);
    assert_eq!((second.wakes(), third.wakes(), newcomer.wakes()), (1, 0, 0));
    let Poll::Ready(checkout) = second.poll() else {
        panic!("the second waiter was served");
    };
    drop(expect_reused(checkout));
    assert_eq!((third.wakes(), newcomer.wakes()), (1, 0));
    assert!(third.poll().is_ready());
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn dropped_permit_wakes_a_waiter_with_a_permit() {
    let pool = limited(1);
    let permit = expect_connect(checkout_now(&pool, KEY));
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());

    // The connect failed.
    drop(permit);
    assert_eq!(waiter.wakes(), 1);
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("the waiter was served");
    };
    let permit = expect_connect(checkout);
    assert_eq!(*permit.key(), KEY);
    assert_eq!(pool.connection_count(&KEY), 1);
    drop(permit);
    assert_eq!(pool.connection_count(&KEY), 0);
}

#[test]
fn closed_connection_returned_gives_a_waiter_a_permit() {
    let pool = limited(1);
    let (conn, remote) = connect(&pool, KEY, 1, false);
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());
    remote.close();
    drop(conn);
    assert_eq!(remote.handles(), 0);
    assert_eq!(waiter.wakes(), 1);
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("the waiter was served");
    };
    let _permit = expect_connect(checkout);
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn connection_closed_after_its_grant_becomes_a_permit() {
    let pool = limited(1);
    let (conn, remote) = connect(&pool, KEY, 1, false);
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());
    drop(conn);
    // Closes after it was handed to the waiter but before the waiter ran.
    remote.close();
    let Poll::Ready(checkout) = waiter.poll() else {
        panic!("the waiter was served");
    };
    let permit = expect_connect(checkout);
    assert_eq!(remote.handles(), 0);
    assert_eq!(pool.connection_count(&KEY), 1);
    drop(permit);
    assert_eq!(pool.connection_count(&KEY), 0);
}

#[test]
fn cancelled_checkout_does_not_lose_a_returned_connection() {
    let pool = limited(1);
    let (conn, remote) = connect(&pool, KEY, 1, false);
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());
    drop(conn);
    assert_eq!(waiter.wakes(), 1);
    // Cancelled after the connection was handed to it.
    drop(waiter);
    assert_eq!(pool.idle_count(&KEY), 1);
    assert_eq!(pool.connection_count(&KEY), 1);
    assert_eq!(remote.handles(), 1);
    assert_eq!(expect_reused(checkout_now(&pool, KEY)).id, 1);
}

#[test]
fn cancelled_checkout_passes_its_connection_to_the_next_waiter() {
    let pool = limited(1);
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    let mut first = Task::new(pool.checkout(KEY));
    let mut second = Task::new(pool.checkout(KEY));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    drop(conn);
    assert_eq!(second.wakes(), 0);
    drop(first);
    assert_eq!(second.wakes(), 1);
    let Poll::Ready(checkout) = second.poll() else {
        panic!("the second waiter got the connection");
    };
    assert_eq!(expect_reused(checkout).id, 1);
}

#[test]
fn cancelled_checkout_passes_its_permit_on() {
    let pool = limited(1);
    let permit = expect_connect(checkout_now(&pool, KEY));
    let mut first = Task::new(pool.checkout(KEY));
    let mut second = Task::new(pool.checkout(KEY));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    drop(permit);
    drop(first);
    let Poll::Ready(checkout) = second.poll() else {
        panic!("the second waiter got the permit");
    };
    let _permit = expect_connect(checkout);
    assert_eq!(pool.connection_count(&KEY), 1);
}

#[test]
fn cancelled_waiter_leaves_the_queue() {
    let pool = limited(1);
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    let mut first = Task::new(pool.checkout(KEY));
    let mut second = Task::new(pool.checkout(KEY));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    drop(first);
    assert_eq!(pool.waiting_count(&KEY), 1);
    drop(conn);
    assert_eq!(second.wakes(), 1);
    assert!(second.poll().is_ready());
    assert_eq!(pool.waiting_count(&KEY), 0);
}

#[test]
fn waiter_on_an_unknown_key_is_cleaned_up() {
    let pool = limited(1);
    let permit = expect_connect(checkout_now(&pool, KEY));
    let mut waiter = Task::new(pool.checkout(KEY));
    assert!(waiter.poll().is_pending());
    drop(waiter);
    drop(permit);
    assert_eq!(pool.connection_count(&KEY), 0);
    assert_eq!(pool.waiting_count(&KEY), 0);
    // The key starts afresh.
    expect_connect(checkout_now(&pool, KEY));
}

#[test]
fn waiters_are_woken_across_threads() {
    let pool = limited(1);
    let (conn, _remote) = connect(&pool, KEY, 1, false);
    let waiter = {
        let pool = pool.clone();
        std::thread::spawn(move || {
            let checkout = futures_lite::future::block_on(pool.checkout(KEY));
            expect_reused(checkout).id
        })
    };
    while pool.waiting_count(&KEY) == 0 {
        std::thread::yield_now();
    }
    drop(conn);
    assert_eq!(waiter.join().expect("waiter thread"), 1);
}

#[test]
fn many_threads_never_exceed_the_limit_and_never_stall() {
    const LIMIT: usize = 3;
    let pool = limited(LIMIT);
    let in_use = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|thread| {
            let pool = pool.clone();
            let in_use = Arc::clone(&in_use);
            std::thread::spawn(move || {
                for round in 0..300 {
                    let checkout = futures_lite::future::block_on(pool.checkout(KEY));
                    let conn = match checkout {
                        Checkout::Reused(conn) => conn,
                        // Every seventh connect fails.
                        Checkout::Connect(permit) if round % 7 == 3 => {
                            drop(permit);
                            continue;
                        }
                        Checkout::Connect(permit) => permit.insert(fake(thread, false).0),
                    };
                    let now_in_use = in_use.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(now_in_use <= LIMIT, "{now_in_use} connections lent at once");
                    std::thread::yield_now();
                    in_use.fetch_sub(1, Ordering::SeqCst);
                    match round % 5 {
                        0 => conn.discard(),
                        1 => {
                            conn.open.store(false, Ordering::SeqCst);
                            drop(conn);
                        }
                        _ => drop(conn),
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("worker thread");
    }
    assert_eq!(pool.waiting_count(&KEY), 0);
    assert!(pool.connection_count(&KEY) <= LIMIT);
    assert_eq!(pool.connection_count(&KEY), pool.idle_count(&KEY));
}
