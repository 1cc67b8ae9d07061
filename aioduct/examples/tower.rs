//! aioduct as a tower `Service`, behind tower layers: a concurrency limit and a request mapper
//! that stamps a header on every request. Runs against a server it starts on 127.0.0.1.
//!
//! `cargo run -p aioduct --example tower --features tower`

use std::convert::Infallible;

use aioduct::{Client, runtime::TokioRuntime};
use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, body::Incoming, service::service_fn};
use tower::{Service, ServiceBuilder, ServiceExt};

#[path = "../tests/support/io.rs"]
#[allow(unreachable_pub)]
mod io;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(
                io::TokioIo::new(stream),
                service_fn(|req: Request<Incoming>| async move {
                    let stamp = req.headers().get("x-stamp").cloned();
                    let body = format!("stamp={:?}", stamp);
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body))))
                }),
            ));
        }
    });

    let client = Client::<TokioRuntime>::new();
    let mut service = ServiceBuilder::new()
        .concurrency_limit(4)
        .map_request(|mut req: http::Request<String>| {
            req.headers_mut()
                .insert("x-stamp", "tower".parse().unwrap());
            req
        })
        .service(client);

    for i in 0..3 {
        let request = http::Request::get(format!("http://{addr}/{i}")).body(String::new())?;
        let response = service.ready().await?.call(request).await?;
        let status = response.status();
        let text = response.text().await?;
        println!("{i}: {status} {text}");
        if text != "stamp=Some(\"tower\")" {
            return Err("the tower layer did not run".into());
        }
    }
    Ok(())
}
