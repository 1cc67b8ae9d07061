//! Pools hyper's HTTP/1.1 connections with `aioduct-pool` alone: no aioduct facade, no hyper-util.
//!
//! It starts a small HTTP/1.1 server on 127.0.0.1, then sends requests through the pool, first one
//! after another (all on one connection), then many at once (at most `max_per_key` connections).
//!
//! Run it with `cargo run -p aioduct-pool --example hyper_http1`.

// The hyper I/O adapter for tokio's `TcpStream` and the server are shared with the tests.
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;

use aioduct_pool::{Checkout, Config, Connection, Pool};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, header};
use tokio::net::TcpStream;

use support::{Server, TokioIo};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// One HTTP/1.1 connection: hyper's request sender. Its driver runs as a tokio task.
struct Http1 {
    sender: SendRequest<Empty<Bytes>>,
}

impl Http1 {
    async fn connect(addr: SocketAddr) -> Result<Self, Error> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo(stream)).await?;
        tokio::spawn(async move {
            // An error here reaches the sender as a closed connection.
            let _ = connection.await;
        });
        Ok(Self { sender })
    }
}

impl Connection for Http1 {
    fn is_open(&self) -> bool {
        // Connections go back to the pool only once ready for the next request (see `get`), so
        // one that is no longer ready has been closed.
        self.sender.is_ready()
    }
}

/// GETs `/` from `addr`, reusing a pooled connection when there is one.
async fn get(pool: &Pool<SocketAddr, Http1>, addr: SocketAddr) -> Result<(Bytes, bool), Error> {
    let mut conn = match pool.checkout(addr).await {
        Checkout::Reused(conn) => conn,
        Checkout::Connect(permit) => {
            let conn = Http1::connect(*permit.key()).await?;
            permit.insert(conn)
        }
    };
    conn.sender.ready().await?;
    let request = Request::get("/")
        .header(header::HOST, addr.to_string())
        .body(Empty::new())?;
    let response = conn.sender.send_request(request).await?;
    let body = response.into_body().collect().await?.to_bytes();
    let reused = conn.is_reused();
    // Give the connection back once it can take another request; if the server closed it
    // instead, dropping it frees its slot for a new one.
    let _closed = conn.sender.ready().await;
    Ok((body, reused))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let server = Server::start(true).await?;
    let addr = server.addr();
    let pool = Pool::new(Config::default().max_per_key(Some(4)));

    for i in 1..=3 {
        let (body, reused) = get(&pool, addr).await?;
        println!("request {i}: {body:?} (reused connection: {reused})");
    }
    println!("connections accepted so far: {}", server.accepted());

    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let pool = pool.clone();
        requests.spawn(async move { get(&pool, addr).await });
    }
    while let Some(result) = requests.join_next().await {
        result??;
    }
    println!(
        "20 concurrent requests done; connections accepted: {}, idle in the pool: {}",
        server.accepted(),
        pool.idle_count(&addr)
    );
    Ok(())
}
