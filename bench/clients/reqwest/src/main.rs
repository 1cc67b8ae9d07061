//! The benchmark's reqwest client (rustls with ring, gzip), on a current-thread tokio runtime.

use aioduct_bench::{Args, BenchClient, Flavor, Reply, pin_to_cpu, run};
use bytes::Bytes;

struct Reqwest {
    client: reqwest::Client,
}

impl BenchClient for Reqwest {
    fn build(flavor: Flavor, ca_pem: &[u8]) -> Result<Self, String> {
        let ca = reqwest::Certificate::from_pem(ca_pem).map_err(|e| e.to_string())?;
        let builder = reqwest::Client::builder().no_proxy().tls_certs_only([ca]);
        let builder = match flavor {
            Flavor::Http1 | Flavor::Tls => builder,
            Flavor::H2c => builder.http2_prior_knowledge(),
            Flavor::NoReuse => builder.pool_max_idle_per_host(0),
        };
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Reqwest { client })
    }

    async fn get(&self, url: &str, keep_body: bool) -> Result<Reply, String> {
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let mut reply = Reply {
            status: response.status().as_u16(),
            version: response.version(),
            location: response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ..Reply::default()
        };
        if keep_body {
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            reply.len = body.len() as u64;
            reply.body = Some(body);
        } else {
            while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
                reply.len += chunk.len() as u64;
            }
        }
        Ok(reply)
    }

    async fn post(&self, url: &str, body: Bytes) -> Result<Reply, String> {
        let response = self
            .client
            .post(url)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let (status, version) = (response.status().as_u16(), response.version());
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        Ok(Reply {
            status,
            version,
            len: body.len() as u64,
            location: None,
            body: Some(body),
        })
    }

    fn follows_redirects(&self) -> bool {
        true
    }

    fn decodes_gzip(&self) -> bool {
        true
    }
}

fn main() {
    let args = Args::from_env();
    if let Some(cpu) = args.cpu() {
        pin_to_cpu(cpu);
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(run::<Reqwest>("reqwest", "tokio", &args)));
    match result {
        Ok(report) => println!("{}", report.to_json()),
        Err(err) => {
            eprintln!("client-reqwest: {err}");
            std::process::exit(1);
        }
    }
}
