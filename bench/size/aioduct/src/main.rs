//! One HTTPS GET with aioduct (tokio, rustls, ring): the program `cargo xtask size` measures.

use aioduct::{Client, runtime::TokioRuntime};

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://127.0.0.1:8443/".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        let response = Client::<TokioRuntime>::new()
            .get(url.as_str())?
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        Ok::<_, aioduct::Error>((status, body.len()))
    });
    match result {
        Ok((status, len)) => println!("{status} {len} bytes"),
        Err(err) => eprintln!("error: {err}"),
    }
}
