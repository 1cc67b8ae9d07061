//! Response decompression end to end: every coding, stacked codings, broken streams, bomb
//! ceilings, and the caller's own `Accept-Encoding`. On every runtime: decompression runs inline.

mod support;

use std::sync::{Arc, Mutex};

use aioduct::{Client, HttpRuntime, middleware::decompress::Decompression};
use bytes::Bytes;
use futures_lite::{AsyncReadExt, future::block_on, io::Cursor};
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH};
use support::{Server, text};

/// Compresses `data` with one coding (`deflate` is zlib, `raw` is raw deflate).
fn encode(coding: &str, data: &[u8]) -> Vec<u8> {
    use async_compression::futures::bufread as ac;
    let input = Cursor::new(data.to_vec());
    let mut out = Vec::new();
    block_on(async {
        match coding {
            "gzip" => ac::GzipEncoder::new(input).read_to_end(&mut out).await,
            "deflate" => ac::ZlibEncoder::new(input).read_to_end(&mut out).await,
            "raw" => ac::DeflateEncoder::new(input).read_to_end(&mut out).await,
            "br" => ac::BrotliEncoder::new(input).read_to_end(&mut out).await,
            "zstd" => ac::ZstdEncoder::new(input).read_to_end(&mut out).await,
            other => panic!("no encoder for {other}"),
        }
    })
    .unwrap();
    out
}

/// Applies `codings` in order.
fn encode_all(codings: &[&str], data: &[u8]) -> Vec<u8> {
    codings
        .iter()
        .fold(data.to_vec(), |body, coding| encode(coding, &body))
}

fn sample() -> Vec<u8> {
    (0..200_000u32)
        .flat_map(|i| format!("line {i} of the sample body\n").into_bytes())
        .take(200_000)
        .collect()
}

/// A server answering every request with `body` labelled `content_encoding`; it records the
/// `Accept-Encoding` of the last request (`None` when absent).
fn serve(content_encoding: &str, body: Vec<u8>) -> (Server, Arc<Mutex<Option<String>>>) {
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let content_encoding = content_encoding.to_owned();
    let body = Bytes::from(body);
    let server = Server::http1(move |req| {
        *record.lock().unwrap() = req
            .headers()
            .get(ACCEPT_ENCODING)
            .map(|v| v.to_str().unwrap().to_owned());
        let mut reply = text(200, body.clone());
        reply
            .headers_mut()
            .insert(CONTENT_ENCODING, content_encoding.parse().unwrap());
        async move { reply }
    });
    (server, seen)
}

/// Fetches `coding`-encoded sample data with a default client and checks it decodes.
async fn decodes<R: HttpRuntime>(coding: &str, label: &str) {
    let data = sample();
    let (server, seen) = serve(label, encode(coding, &data));
    let resp = Client::<R>::new()
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.lock().unwrap().as_deref(),
        Some("gzip, deflate, br, zstd")
    );
    assert!(resp.headers().get(CONTENT_ENCODING).is_none(), "{coding}");
    assert!(resp.headers().get(CONTENT_LENGTH).is_none(), "{coding}");
    assert_eq!(resp.content_length(), None, "{coding}");
    assert_eq!(resp.bytes().await.unwrap(), data, "{coding}");
}

async fn gzip<R: HttpRuntime>() {
    decodes::<R>("gzip", "gzip").await;
}

async fn deflate_zlib_and_raw<R: HttpRuntime>() {
    decodes::<R>("deflate", "deflate").await;
    decodes::<R>("raw", "deflate").await;
}

async fn br<R: HttpRuntime>() {
    decodes::<R>("br", "br").await;
}

async fn zstd<R: HttpRuntime>() {
    decodes::<R>("zstd", "zstd").await;
}

async fn five_stacked_codings_accepted<R: HttpRuntime>() {
    let data = sample();
    let codings = ["gzip", "deflate", "br", "zstd", "gzip"];
    let (server, _) = serve(&codings.join(", "), encode_all(&codings, &data));
    let resp = Client::<R>::new()
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.bytes().await.unwrap(), data);
}

async fn six_stacked_codings_rejected<R: HttpRuntime>() {
    let codings = ["gzip", "deflate", "br", "zstd", "gzip", "gzip"];
    let (server, _) = serve(&codings.join(", "), encode_all(&codings, b"six"));
    let err = Client::<R>::new()
        .get(server.url("/six"))
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_decode(), "{err:?}");
    assert_eq!(err.url().unwrap().to_string(), server.url("/six"));
}

async fn truncated_gzip_errors<R: HttpRuntime>() {
    let data = sample();
    let mut body = encode("gzip", &data);
    // The server sends the cut body whole, with a matching Content-Length: only the gzip
    // stream is short.
    body.truncate(body.len() - 6);
    let (server, _) = serve("gzip", body);
    let resp = Client::<R>::new()
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
}

async fn corrupt_stream_errors<R: HttpRuntime>() {
    let mut body = encode("zstd", &sample());
    let middle = body.len() / 2;
    for byte in &mut body[middle..middle + 32] {
        *byte = !*byte;
    }
    let (server, _) = serve("zstd", body);
    let resp = Client::<R>::new()
        .get(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    let err = resp.text().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
}

async fn bomb_ceiling<R: HttpRuntime>() {
    // 16 MiB of zeros, about 16 KiB on the wire.
    let bomb = encode("gzip", &vec![0u8; 16 << 20]);
    let (server, _) = serve("gzip", bomb);

    let by_size = Client::<R>::builder()
        .decompression(Decompression::new().max_decoded_size(4 << 20))
        .build();
    let resp = by_size.get(server.url("/")).unwrap().send().await.unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");

    let by_ratio = Client::<R>::builder()
        .decompression(Decompression::new().max_ratio(100))
        .build();
    let resp = by_ratio.get(server.url("/")).unwrap().send().await.unwrap();
    let err = resp.bytes().await.unwrap_err();
    assert!(err.is_decode(), "{err:?}");
}

async fn callers_accept_encoding_honoured<R: HttpRuntime>() {
    let body = encode("gzip", b"the raw bytes, please");
    let (server, seen) = serve("gzip", body.clone());
    let resp = Client::<R>::new()
        .get(server.url("/"))
        .unwrap()
        .header(ACCEPT_ENCODING, "gzip;q=1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some("gzip;q=1.0"));
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(
        resp.headers()[CONTENT_LENGTH],
        body.len().to_string().as_str()
    );
    assert_eq!(resp.bytes().await.unwrap(), body);

    // The same from the client's default headers.
    let mut defaults = http::HeaderMap::new();
    defaults.insert(ACCEPT_ENCODING, "gzip;q=0.5".parse().unwrap());
    let client = Client::<R>::builder().default_headers(defaults).build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some("gzip;q=0.5"));
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(resp.bytes().await.unwrap(), body);
}

async fn codings_switched_off_are_not_asked_for_nor_decoded<R: HttpRuntime>() {
    let body = encode("gzip", b"left as it is");
    let (server, seen) = serve("gzip", body.clone());
    let client = Client::<R>::builder().gzip(false).brotli(false).build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(seen.lock().unwrap().as_deref(), Some("deflate, zstd"));
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(resp.bytes().await.unwrap(), body);

    let client = Client::<R>::builder()
        .decompression(Decompression::none())
        .build();
    let resp = client.get(server.url("/")).unwrap().send().await.unwrap();
    assert_eq!(*seen.lock().unwrap(), None);
    assert_eq!(resp.bytes().await.unwrap(), body);
}

async fn head_responses_pass_through<R: HttpRuntime>() {
    let (server, _) = serve("gzip", encode("gzip", b"body"));
    let resp = Client::<R>::new()
        .head(server.url("/"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert!(resp.bytes().await.unwrap().is_empty());
}

/// A redirect to an encoded resource: the final response is decoded, the redirect's own body is
/// not, and every hop advertises the codings once (a hop does not inherit the last one's).
async fn decodes_after_redirect<R: HttpRuntime>() {
    let data = sample();
    let encoded = Bytes::from(encode("gzip", &data));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let server = Server::http1(move |req| {
        let advertised: Vec<String> = req
            .headers()
            .get_all(ACCEPT_ENCODING)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        record
            .lock()
            .unwrap()
            .push((req.uri().path().to_owned(), advertised));
        let mut reply = if req.uri().path() == "/from" {
            // A body labelled gzip that is not: decoding it would fail.
            let mut reply = text(302, "not gzip at all");
            reply
                .headers_mut()
                .insert("location", "/to".parse().unwrap());
            reply
        } else {
            text(200, encoded.clone())
        };
        reply
            .headers_mut()
            .insert(CONTENT_ENCODING, "gzip".parse().unwrap());
        async move { reply }
    });
    let resp = Client::<R>::new()
        .get(server.url("/from"))
        .unwrap()
        .send()
        .await
        .unwrap();
    assert_eq!(resp.url().path(), "/to");
    assert!(resp.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(resp.bytes().await.unwrap(), data);
    let all = "gzip, deflate, br, zstd".to_owned();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            ("/from".to_owned(), vec![all.clone()]),
            ("/to".to_owned(), vec![all]),
        ]
    );
}

runtime_tests!(
    decodes_after_redirect,
    gzip,
    deflate_zlib_and_raw,
    br,
    zstd,
    five_stacked_codings_accepted,
    six_stacked_codings_rejected,
    truncated_gzip_errors,
    corrupt_stream_errors,
    bomb_ceiling,
    callers_accept_encoding_honoured,
    codings_switched_off_are_not_asked_for_nor_decoded,
    head_responses_pass_through,
);
