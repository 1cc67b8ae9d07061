//! zstd against Caddy's `encode zstd gzip`.

use std::sync::{Arc, Mutex};

use aioduct::core::{BoxFuture, Middleware, Next, Request, Response as CoreResponse};

use super::*;

/// Records the `Content-Encoding` of each response as the transport returns it.
#[derive(Default)]
struct RecordCoding(Arc<Mutex<Vec<String>>>);

impl Middleware for RecordCoding {
    fn handle<'a>(
        &'a self,
        req: Request,
        next: Next<'a>,
    ) -> BoxFuture<'a, aioduct::Result<CoreResponse>> {
        Box::pin(async move {
            let resp = next.run(req).await?;
            let coding = resp
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap_or("?").to_owned())
                .unwrap_or_default();
            self.0.lock().unwrap().push(coding);
            Ok(resp)
        })
    }
}

#[tokio::test]
async fn zstd_bodies_are_decoded() {
    // Not compressible to nothing, and well above Caddy's minimum length for encoding.
    let contents: Vec<u8> = (0..300_000u32)
        .map(|i| b"abcdefghij"[(i.wrapping_mul(2_654_435_761) >> 28) as usize % 10])
        .collect();
    let written = contents.clone();
    let caddy = peers::caddy(move |site| std::fs::write(site.join("data.txt"), &written).unwrap());

    // User middleware sits inside decompression: it sees the coding on the wire.
    let record = RecordCoding::default();
    let seen = record.0.clone();
    let client = Client::<TokioRuntime>::builder()
        .no_proxy()
        .gzip(false)
        .middleware(record)
        .build();
    let url = format!("http://{}/data.txt", caddy.addr);
    let resp = client.get(&url).unwrap().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", caddy.log_tail());
    assert!(resp.headers().get("content-encoding").is_none());
    let body = resp.bytes().await.unwrap();
    assert_eq!(seen.lock().unwrap().as_slice(), ["zstd"]);
    assert_eq!(body.len(), contents.len());
    assert!(body == contents, "decoded body differs from the file");
}
