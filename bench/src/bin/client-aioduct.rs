//! The benchmark's aioduct client: `--runtime tokio|smol|compio` (tokio by default).
//!
//! Redirects and gzip are aioduct's built-in middleware, on tokio and smol. compio has no
//! middleware (its request futures are `!Send`): there the driver follows redirects by hand, the
//! report marks that figure `manual`, and the gzip scenario is skipped.

use aioduct::{
    Client, HttpRuntime,
    runtime::{CompioRuntime, SmolRuntime, TokioRuntime},
    tls::{Certificate, RustlsConnector},
};
use aioduct_bench::{Args, BenchClient, Flavor, Reply, pin_to_cpu, run};
use bytes::Bytes;

struct Aioduct<R: HttpRuntime> {
    client: Client<R>,
}

impl<R: HttpRuntime> BenchClient for Aioduct<R> {
    fn build(flavor: Flavor, ca_pem: &[u8]) -> Result<Self, String> {
        let ca = Certificate::from_pem(ca_pem).map_err(|e| e.to_string())?;
        // Only the server's CA, as the reqwest and hyper-util clients are given.
        let tls = RustlsConnector::builder()
            .add_root_certificate(ca)
            .build()
            .map_err(|e| e.to_string())?;
        let builder = Client::<R>::builder().no_proxy().tls(tls);
        let builder = match flavor {
            Flavor::Http1 | Flavor::Tls => builder,
            Flavor::H2c => builder.http2_prior_knowledge(),
            Flavor::NoReuse => builder.no_connection_reuse(),
        };
        Ok(Aioduct {
            client: builder.build(),
        })
    }

    async fn get(&self, url: &str, keep_body: bool) -> Result<Reply, String> {
        let request = self.client.get(url).map_err(|e| e.to_string())?;
        let mut response = request.send().await.map_err(|e| e.to_string())?;
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
        let request = self.client.post(url).map_err(|e| e.to_string())?.body(body);
        let response = request.send().await.map_err(|e| e.to_string())?;
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
        has_middleware::<R>()
    }

    fn decodes_gzip(&self) -> bool {
        has_middleware::<R>()
    }
}

/// Whether runtime `R` runs aioduct's middleware: every runtime here but compio.
fn has_middleware<R>() -> bool {
    !std::any::type_name::<R>().ends_with("CompioRuntime")
}

fn main() {
    let args = Args::from_env();
    if let Some(cpu) = args.cpu() {
        pin_to_cpu(cpu);
    }
    let runtime = args.value("runtime").unwrap_or_else(|| "tokio".to_owned());
    let result = match runtime.as_str() {
        "tokio" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
            .and_then(|rt| rt.block_on(run::<Aioduct<TokioRuntime>>("aioduct", "tokio", &args))),
        "smol" => async_io::block_on(run::<Aioduct<SmolRuntime>>("aioduct", "smol", &args)),
        "compio" => {
            CompioRuntime::block_on(run::<Aioduct<CompioRuntime>>("aioduct", "compio", &args))
                .map_err(|e| e.to_string())
                .and_then(|result| result)
        }
        other => Err(format!("unknown runtime `{other}`")),
    };
    match result {
        Ok(report) => println!("{}", report.to_json()),
        Err(err) => {
            eprintln!("client-aioduct ({runtime}): {err}");
            std::process::exit(1);
        }
    }
}
