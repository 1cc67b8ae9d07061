//! One HTTPS GET with reqwest (rustls, ring): the program `cargo xtask size` measures.

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "https://127.0.0.1:8443/".to_owned());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = runtime.block_on(async {
        let response = reqwest::Client::new().get(url).send().await?;
        let status = response.status();
        let body = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, body.len()))
    });
    match result {
        Ok((status, len)) => println!("{status} {len} bytes"),
        Err(err) => eprintln!("error: {err}"),
    }
}
