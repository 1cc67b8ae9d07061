//! The pool alone (no aioduct facade) pooling hyper's HTTP/1.1 `SendRequest` over tokio, against an
//! in-process server on 127.0.0.1.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use aioduct_pool::{Checkout, Config, Connection, Pool};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, header};
use tokio::net::TcpStream;

use support::{Server, TokioIo};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One HTTP/1.1 connection: hyper's sender, its driver task running on tokio.
struct Http1 {
    sender: SendRequest<Empty<Bytes>>,
}

impl Http1 {
    async fn connect(addr: SocketAddr) -> Result<Self, Error> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo(stream)).await?;
        tokio::spawn(async move {
            // An error here surfaces to the sender as a closed connection.
            let _ = connection.await;
        });
        Ok(Self { sender })
    }
}

impl Connection for Http1 {
    fn is_open(&self) -> bool {
        // Connections are returned only once ready (see `get`), so an idle one that is not ready
        // has been closed.
        self.sender.is_ready()
    }
}

/// What one request saw.
struct Outcome {
    body: Bytes,
    reused: bool,
}

/// GETs `/` through the pool, opening a connection when the pool has none for `addr`.
async fn get(pool: &Pool<SocketAddr, Http1>, addr: SocketAddr) -> Result<Outcome, Error> {
    let mut conn = match pool.checkout(addr).await {
        Checkout::Reused(conn) => conn,
        Checkout::Connect(permit) => {
            let conn = Http1::connect(*permit.key()).await?;
            permit.insert(conn)
        }
    };
    let reused = conn.is_reused();
    conn.sender.ready().await?;
    let request = Request::get("/")
        .header(header::HOST, addr.to_string())
        .body(Empty::new())?;
    let response = conn.sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    // Hand the connection back once it can take the next request, as hyper's own pool does. If it
    // closes instead (`Connection: close`), dropping it frees its slot.
    let _closed = conn.sender.ready().await;
    drop(conn);
    Ok(Outcome { body, reused })
}

#[tokio::test]
async fn sequential_requests_reuse_one_connection() -> Result<(), Error> {
    let server = Server::start(true).await?;
    let addr = server.addr();
    let pool = Pool::new(Config::default());

    let mut reused = Vec::new();
    for _ in 0..5 {
        let outcome = get(&pool, addr).await?;
        assert_eq!(outcome.body, "hello");
        reused.push(outcome.reused);
    }
    assert_eq!(reused, [false, true, true, true, true]);
    assert_eq!(
        server.accepted(),
        1,
        "every request after the first reuses the connection"
    );
    assert_eq!(pool.idle_count(&addr), 1);
    assert_eq!(pool.connection_count(&addr), 1);
    Ok(())
}

#[tokio::test]
async fn connection_closed_by_the_server_after_a_response_is_not_reused() -> Result<(), Error> {
    let server = Server::start(false).await?;
    let addr = server.addr();
    let pool = Pool::new(Config::default());

    let first = get(&pool, addr).await?;
    assert_eq!(first.body, "hello");
    assert_eq!(pool.idle_count(&addr), 0);
    assert_eq!(
        pool.connection_count(&addr),
        0,
        "the closed connection freed its slot"
    );

    let Checkout::Connect(permit) = pool.checkout(addr).await else {
        panic!("a closed connection was handed out");
    };
    drop(permit);
    let second = get(&pool, addr).await?;
    assert!(!second.reused);
    assert_eq!(second.body, "hello");
    assert_eq!(server.accepted(), 2);
    Ok(())
}

#[tokio::test]
async fn idle_connection_the_server_hangs_up_is_not_reused() -> Result<(), Error> {
    let server = Server::start(true).await?;
    let addr = server.addr();
    let pool = Pool::new(Config::default());
    get(&pool, addr).await?;
    assert_eq!(pool.idle_count(&addr), 1);

    server.hang_up();
    // The pool learns of it when the connection's driver does; evicting makes that visible.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while pool.connection_count(&addr) > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pool kept a closed connection"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
        pool.evict_expired();
    }

    let outcome = get(&pool, addr).await?;
    assert!(!outcome.reused);
    assert_eq!(server.accepted(), 2);
    Ok(())
}

#[tokio::test]
async fn concurrent_requests_respect_max_per_key() -> Result<(), Error> {
    let server = Server::start(true).await?;
    let addr = server.addr();
    let pool = Pool::new(Config::default().max_per_key(Some(2)));

    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let pool = pool.clone();
        requests.spawn(async move { get(&pool, addr).await.map(|outcome| outcome.body) });
    }
    while let Some(body) = requests.join_next().await {
        assert_eq!(body??, "hello");
    }
    assert!(
        server.accepted() <= 2,
        "opened {} connections",
        server.accepted()
    );
    assert_eq!(pool.connection_count(&addr), server.accepted());
    assert_eq!(pool.waiting_count(&addr), 0);
    Ok(())
}
