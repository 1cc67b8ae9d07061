//! aioduct as a [`BenchClient`], on any runtime: shared by `client-aioduct` (tokio only, the
//! build a tokio program links) and `client-aioduct-runtimes` (tokio, smol and compio).

use aioduct::{
    Client, HttpRuntime,
    tls::{Certificate, RustlsConnector},
};
use bytes::Bytes;

use aioduct_bench::{BenchClient, Flavor, Reply};

/// An aioduct client on runtime `R`.
pub struct Aioduct<R: HttpRuntime> {
    /// The client, built for the scenario's flavor.
    pub client: Client<R>,
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
        true
    }

    fn decodes_gzip(&self) -> bool {
        true
    }
}
