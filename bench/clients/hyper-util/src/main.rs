//! The benchmark's hyper-util client: the legacy `Client` with hyper-rustls (ring), on a
//! current-thread tokio runtime. It neither follows redirects nor decodes gzip: the driver follows
//! the redirects by hand (reported as `manual`) and the gzip scenario is skipped.
//!
//! `--header "name: value"` (repeatable) adds a header to every request: `cargo xtask bench --counts`
//! uses it to count this client sending the same request as aioduct's.

use std::sync::{Arc, OnceLock};

use aioduct_bench::{Args, BenchClient, Flavor, Reply, pin_to_cpu, run};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::{
    client::legacy::{Client, connect::HttpConnector},
    rt::TokioExecutor,
};
use rustls_pki_types::{CertificateDer, pem::PemObject};

/// The headers of `--header`, added to every request.
static EXTRA_HEADERS: OnceLock<http::HeaderMap> = OnceLock::new();

/// Parses the `--header "name: value"` options.
fn extra_headers(args: &Args) -> Result<http::HeaderMap, String> {
    let mut headers = http::HeaderMap::new();
    for header in args.values("header") {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("--header {header:?}: expected \"name: value\""))?;
        let name =
            http::HeaderName::try_from(name.trim()).map_err(|e| format!("{header:?}: {e}"))?;
        let value =
            http::HeaderValue::try_from(value.trim()).map_err(|e| format!("{header:?}: {e}"))?;
        headers.append(name, value);
    }
    Ok(headers)
}

struct HyperUtil {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HyperUtil {
    async fn send(
        &self,
        mut request: http::Request<Full<Bytes>>,
        keep_body: bool,
    ) -> Result<Reply, String> {
        // Each header inserted into the request's own map, as a client's default headers are.
        for (name, value) in EXTRA_HEADERS.get().into_iter().flatten() {
            request.headers_mut().append(name, value.clone());
        }
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (head, mut body) = response.into_parts();
        let mut reply = Reply {
            status: head.status.as_u16(),
            version: head.version,
            location: head
                .headers
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            ..Reply::default()
        };
        if keep_body {
            let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            reply.len = bytes.len() as u64;
            reply.body = Some(bytes);
        } else {
            while let Some(frame) = body.frame().await {
                if let Ok(data) = frame.map_err(|e| e.to_string())?.into_data() {
                    reply.len += data.len() as u64;
                }
            }
        }
        Ok(reply)
    }
}

impl BenchClient for HyperUtil {
    fn build(flavor: Flavor, ca_pem: &[u8]) -> Result<Self, String> {
        let mut roots = rustls::RootCertStore::empty();
        let ca = CertificateDer::from_pem_slice(ca_pem).map_err(|e| e.to_string())?;
        roots.add(ca).map_err(|e| e.to_string())?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let mut builder = Client::builder(TokioExecutor::new());
        match flavor {
            Flavor::Http1 | Flavor::Tls => {}
            Flavor::H2c => {
                builder.http2_only(true);
            }
            Flavor::NoReuse => {
                builder.pool_max_idle_per_host(0);
            }
        }
        Ok(HyperUtil {
            client: builder.build(https),
        })
    }

    async fn get(&self, url: &str, keep_body: bool) -> Result<Reply, String> {
        let request = http::Request::get(url)
            .body(Full::new(Bytes::new()))
            .map_err(|e| e.to_string())?;
        self.send(request, keep_body).await
    }

    async fn post(&self, url: &str, body: Bytes) -> Result<Reply, String> {
        let request = http::Request::post(url)
            .body(Full::new(body))
            .map_err(|e| e.to_string())?;
        self.send(request, true).await
    }
}

fn main() {
    let args = Args::from_env();
    if let Some(cpu) = args.cpu() {
        pin_to_cpu(cpu);
    }
    let headers = match extra_headers(&args) {
        Ok(headers) => headers,
        Err(err) => {
            eprintln!("client-hyper-util: {err}");
            std::process::exit(2);
        }
    };
    let _ = EXTRA_HEADERS.set(headers);
    let result = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
        .and_then(|rt| rt.block_on(run::<HyperUtil>("hyper-util", "tokio", &args)));
    match result {
        Ok(report) => println!("{}", report.to_json()),
        Err(err) => {
            eprintln!("client-hyper-util: {err}");
            std::process::exit(1);
        }
    }
}
