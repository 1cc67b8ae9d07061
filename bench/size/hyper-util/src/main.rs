//! One HTTPS GET with hyper-util's legacy client and hyper-rustls (ring, webpki roots): the
//! program `cargo xtask size` measures.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://127.0.0.1:8443/".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        let uri: hyper::Uri = url.parse()?;
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let client = Client::builder(TokioExecutor::new()).build::<_, Empty<Bytes>>(https);
        let response = client.get(uri).await?;
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        Ok::<_, Box<dyn std::error::Error>>((status, body.len()))
    });
    match result {
        Ok((status, len)) => println!("{status} {len} bytes"),
        Err(err) => eprintln!("error: {err}"),
    }
}
