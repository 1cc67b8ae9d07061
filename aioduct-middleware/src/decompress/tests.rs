use std::{
    sync::{Arc, Mutex},
    task::{Context, Poll},
};

use aioduct_core::{Endpoint, http};
use bytes::Bytes;
use futures_lite::{AsyncReadExt, future::block_on, io::Cursor};
use http_body::Body as _;
use http_body_util::BodyExt;

use super::*;

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

/// Text that compresses, but not to nothing.
fn sample(len: usize) -> Vec<u8> {
    let mut rng = 0x2545_f491_u32;
    (0..len)
        .map(|i| {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            if i % 7 == 0 {
                b' '
            } else {
                b'a' + (rng % 6) as u8
            }
        })
        .collect()
}

/// An endpoint answering with fixed headers and a body streamed in chunks; it records the
/// request's `Accept-Encoding`.
struct Serve {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    chunk: usize,
    seen_accept: Mutex<Option<String>>,
}

impl Serve {
    fn new(content_encoding: &str, body: Vec<u8>) -> Self {
        Serve {
            status: 200,
            headers: vec![
                ("content-encoding", content_encoding.to_owned()),
                ("content-length", body.len().to_string()),
            ],
            // Tiny frames exercise the streaming; big bodies get bigger ones to stay quick.
            chunk: if body.len() < 100_000 { 7 } else { 4096 },
            body,
            seen_accept: Mutex::new(None),
        }
    }
}

impl Endpoint for Serve {
    fn call(&self, req: Request) -> BoxFuture<'_, Result<Response>> {
        *self.seen_accept.lock().unwrap() = req
            .headers()
            .get(ACCEPT_ENCODING)
            .map(|v| v.to_str().unwrap().to_owned());
        let chunks: Vec<_> = self
            .body
            .chunks(self.chunk)
            .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
            .collect();
        let mut resp = http::Response::new(Body::wrap_stream(futures_lite::stream::iter(chunks)));
        *resp.status_mut() = StatusCode::from_u16(self.status).unwrap();
        for (name, value) in &self.headers {
            resp.headers_mut().append(*name, value.parse().unwrap());
        }
        Box::pin(async move { Ok(resp) })
    }
}

fn send(mw: &Decompression, serve: &Serve, req: Request) -> Result<Response> {
    let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(mw.clone())];
    block_on(Next::new(&chain, serve).run(req))
}

fn get(mw: &Decompression, serve: &Serve) -> Result<Response> {
    send(mw, serve, http::Request::new(Body::empty()))
}

fn read(resp: Response) -> std::result::Result<Bytes, BoxErrorAlias> {
    block_on(resp.into_body().collect()).map(|c| c.to_bytes())
}

type BoxErrorAlias = aioduct_core::BoxError;

fn decode_error(err: BoxErrorAlias) -> Error {
    *err.downcast::<Error>().expect("an aioduct error")
}

#[test]
fn plans_follow_content_encoding() {
    use Coding::*;
    let all = Decompression::new();
    let only_gzip = Decompression::new()
        .brotli(false)
        .zstd(false)
        .deflate(false);
    let cases: &[(&[&str], &Decompression, Plan)] = &[
        (&["gzip"], &all, Plan::Decode(vec![Gzip])),
        (&["GZip"], &all, Plan::Decode(vec![Gzip])),
        (&["x-gzip"], &all, Plan::Decode(vec![Gzip])),
        (&["deflate"], &all, Plan::Decode(vec![Deflate])),
        (&["br"], &all, Plan::Decode(vec![Brotli])),
        (&["zstd"], &all, Plan::Decode(vec![Zstd])),
        (&["gzip, br"], &all, Plan::Decode(vec![Gzip, Brotli])),
        (&["gzip", "br"], &all, Plan::Decode(vec![Gzip, Brotli])),
        (&["identity"], &all, Plan::AsIs),
        (
            &["identity, gzip,, identity"],
            &all,
            Plan::Decode(vec![Gzip]),
        ),
        (&[""], &all, Plan::AsIs),
        (&["compress"], &all, Plan::AsIs),
        (&["gzip, compress"], &all, Plan::AsIs),
        (&["br"], &only_gzip, Plan::AsIs),
        (&["gzip"], &only_gzip, Plan::Decode(vec![Gzip])),
        (
            &["gzip, gzip, br, zstd, deflate"],
            &all,
            Plan::Decode(vec![Gzip, Gzip, Brotli, Zstd, Deflate]),
        ),
        (
            &["gzip, gzip, gzip", "gzip, gzip, gzip"],
            &all,
            Plan::TooMany(6),
        ),
        (&["a, b, c, d, e, f, g"], &all, Plan::TooMany(7)),
        (
            &["gzip, identity, identity, gzip, gzip, gzip, gzip"],
            &all,
            Plan::Decode(vec![Gzip; 5]),
        ),
    ];
    for (values, config, expected) in cases {
        let mut headers = http::HeaderMap::new();
        for value in *values {
            headers.append(CONTENT_ENCODING, value.parse().unwrap());
        }
        assert_eq!(
            &plan(headers.get_all(CONTENT_ENCODING), config),
            expected,
            "{values:?}"
        );
    }
}

#[test]
fn accept_encoding_lists_what_is_on() {
    let ae = |d: &Decompression| d.accept_encoding().map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        ae(&Decompression::new()).as_deref(),
        Some("gzip, deflate, br, zstd")
    );
    assert_eq!(
        ae(&Decompression::new().deflate(false).zstd(false)).as_deref(),
        Some("gzip, br")
    );
    assert_eq!(
        ae(&Decompression::none().zstd(true)).as_deref(),
        Some("zstd")
    );
    assert_eq!(ae(&Decompression::none()), None);

    let serve = Serve::new("identity", b"plain".to_vec());
    let resp = get(&Decompression::new().brotli(false), &serve).unwrap();
    assert_eq!(
        serve.seen_accept.lock().unwrap().as_deref(),
        Some("gzip, deflate, zstd")
    );
    assert_eq!(read(resp).unwrap(), "plain");
}

#[test]
fn every_coding_decodes_and_loses_its_headers() {
    let data = sample(100_000);
    for coding in ["gzip", "deflate", "raw", "br", "zstd"] {
        let name = if coding == "raw" { "deflate" } else { coding };
        let serve = Serve::new(name, encode(coding, &data));
        let resp = get(&Decompression::new(), &serve).unwrap();
        assert!(resp.headers().get(CONTENT_ENCODING).is_none(), "{coding}");
        assert!(resp.headers().get(CONTENT_LENGTH).is_none(), "{coding}");
        assert_eq!(read(resp).unwrap(), data, "{coding}");
    }
}

#[test]
fn five_stacked_codings_are_undone_in_reverse() {
    let data = sample(20_000);
    let applied = ["gzip", "deflate", "br", "zstd", "gzip"];
    let mut body = data.clone();
    for coding in applied {
        body = encode(coding, &body);
    }
    let serve = Serve::new(&applied.join(", "), body);
    let resp = get(&Decompression::new(), &serve).unwrap();
    assert_eq!(read(resp).unwrap(), data);
}

#[test]
fn six_stacked_codings_are_rejected() {
    let mut body = b"x".to_vec();
    for _ in 0..6 {
        body = encode("gzip", &body);
    }
    let serve = Serve::new("gzip, gzip, gzip, gzip, gzip, gzip", body);
    let err = get(&Decompression::new(), &serve).unwrap_err();
    assert!(err.is_decode(), "{err:?}");
}

#[test]
fn truncated_gzip_errors() {
    let data = sample(50_000);
    let full = encode("gzip", &data);
    // Cut inside the deflate data, and inside the 8-byte trailer (CRC and length).
    for cut in [full.len() / 2, full.len() - 4, full.len() - 1] {
        let serve = Serve::new("gzip", full[..cut].to_vec());
        let err = read(get(&Decompression::new(), &serve).unwrap()).unwrap_err();
        assert!(decode_error(err).is_decode(), "cut at {cut}");
    }
}

#[test]
fn truncated_streams_of_every_coding_error() {
    let data = sample(50_000);
    for coding in ["deflate", "raw", "br", "zstd"] {
        let name = if coding == "raw" { "deflate" } else { coding };
        let full = encode(coding, &data);
        let serve = Serve::new(name, full[..full.len() - 3].to_vec());
        let err = read(get(&Decompression::new(), &serve).unwrap()).unwrap_err();
        assert!(decode_error(err).is_decode(), "{coding}");
    }
}

#[test]
fn corrupt_streams_error() {
    let data = sample(50_000);
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let mut body = encode(coding, &data);
        // brotli has no checksum: a flipped literal decodes to other text. Break its
        // structure (the first meta-block header) instead.
        let middle = if coding == "br" { 0 } else { body.len() / 2 };
        for byte in &mut body[middle..middle + 16] {
            *byte ^= 0x5a;
        }
        let serve = Serve::new(coding, body);
        let err = read(get(&Decompression::new(), &serve).unwrap()).unwrap_err();
        assert!(decode_error(err).is_decode(), "{coding}");
    }
    // A bad gzip CRC: the data decodes, the check at the end fails.
    let mut body = encode("gzip", &data);
    let crc = body.len() - 8;
    body[crc] ^= 1;
    let err = read(get(&Decompression::new(), &Serve::new("gzip", body)).unwrap()).unwrap_err();
    assert!(decode_error(err).is_decode());
}

#[test]
fn data_after_the_stream_errors_and_gzip_members_concatenate() {
    for coding in ["gzip", "deflate", "br", "zstd"] {
        let mut body = encode(coding, b"hello");
        body.extend_from_slice(b"garbage");
        let err = read(get(&Decompression::new(), &Serve::new(coding, body)).unwrap()).unwrap_err();
        assert!(decode_error(err).is_decode(), "{coding}");
    }
    for coding in ["gzip", "zstd"] {
        let mut body = encode(coding, b"hello, ");
        body.extend(encode(coding, b"world"));
        let resp = get(&Decompression::new(), &Serve::new(coding, body)).unwrap();
        assert_eq!(read(resp).unwrap(), "hello, world", "{coding}");
    }
}

#[test]
fn size_ceiling_stops_a_bomb() {
    let bomb = encode("gzip", &vec![0u8; 2 << 20]);
    let mw = Decompression::new().max_decoded_size(1 << 20);
    let err = read(get(&mw, &Serve::new("gzip", bomb.clone())).unwrap()).unwrap_err();
    assert!(decode_error(err).is_decode());
    // At the ceiling exactly is fine.
    let mw = Decompression::new().max_decoded_size(2 << 20);
    let body = read(get(&mw, &Serve::new("gzip", bomb)).unwrap()).unwrap();
    assert_eq!(body.len(), 2 << 20);
}

#[test]
fn ratio_ceiling_stops_a_bomb_but_not_ordinary_text() {
    let bomb = encode("gzip", &vec![0u8; 2 << 20]);
    let mw = Decompression::new().max_ratio(100);
    let err = read(get(&mw, &Serve::new("gzip", bomb)).unwrap()).unwrap_err();
    assert!(decode_error(err).is_decode());

    // Past the 1 MiB floor, expanding about three times.
    let data = sample(3 << 19);
    let body = read(get(&mw, &Serve::new("gzip", encode("gzip", &data))).unwrap()).unwrap();
    assert_eq!(body, data);
}

#[test]
fn callers_accept_encoding_turns_decoding_off() {
    let body = encode("gzip", b"raw please");
    let serve = Serve::new("gzip", body.clone());
    let req = http::Request::builder()
        .header(ACCEPT_ENCODING, "gzip")
        .body(Body::empty())
        .unwrap();
    let resp = send(&Decompression::new(), &serve, req).unwrap();
    assert_eq!(serve.seen_accept.lock().unwrap().as_deref(), Some("gzip"));
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(read(resp).unwrap(), body);
}

#[test]
fn unknown_codings_pass_through_untouched() {
    let serve = Serve::new("gzip, compress", b"opaque".to_vec());
    let resp = get(&Decompression::new(), &serve).unwrap();
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip, compress");
    assert_eq!(resp.headers()[CONTENT_LENGTH], "6");
    assert_eq!(read(resp).unwrap(), "opaque");
}

#[test]
fn head_no_content_and_empty_bodies_pass_through() {
    let head = http::Request::builder()
        .method(Method::HEAD)
        .body(Body::empty())
        .unwrap();
    let serve = Serve::new("gzip", b"not gzip".to_vec());
    let resp = send(&Decompression::new(), &serve, head).unwrap();
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(read(resp).unwrap(), "not gzip");

    for status in [204, 304] {
        let mut serve = Serve::new("gzip", Vec::new());
        serve.status = status;
        let resp = get(&Decompression::new(), &serve).unwrap();
        assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
        assert_eq!(read(resp).unwrap(), "");
    }

    // A streamed body that turns out empty is empty, not a truncated stream.
    let resp = get(&Decompression::new(), &Serve::new("br", Vec::new())).unwrap();
    assert_eq!(read(resp).unwrap(), "");
}

#[test]
fn wire_errors_pass_through_unchanged() {
    struct Broken;
    impl Endpoint for Broken {
        fn call(&self, _req: Request) -> BoxFuture<'_, Result<Response>> {
            let half = encode("gzip", &sample(10_000))[..100].to_vec();
            let chunks = vec![
                Ok(Bytes::from(half)),
                Err(Error::msg(ErrorKind::Timeout, "read timed out")),
            ];
            let mut resp =
                http::Response::new(Body::wrap_stream(futures_lite::stream::iter(chunks)));
            resp.headers_mut()
                .insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            Box::pin(async move { Ok(resp) })
        }
    }
    let chain: Vec<Arc<dyn Middleware>> = vec![Arc::new(Decompression::new())];
    let resp = block_on(Next::new(&chain, &Broken).run(http::Request::new(Body::empty()))).unwrap();
    let err = decode_error(read(resp).unwrap_err());
    assert!(err.is_timeout(), "{err:?}");
}

#[test]
fn output_streams_before_the_input_ends() {
    let data = sample(400_000);
    let full = encode("gzip", &data);
    let half = Bytes::copy_from_slice(&full[..full.len() / 2]);
    // The wire sends half the body, then stalls.
    let mut sent = false;
    let stalled = futures_lite::stream::poll_fn(move |_| {
        if sent {
            Poll::Pending
        } else {
            sent = true;
            Poll::Ready(Some(Ok::<_, std::io::Error>(half.clone())))
        }
    });
    let mut body = DecodedBody::new(
        Body::wrap_stream(stalled),
        vec![Coding::Gzip],
        Limits::default(),
    );
    let mut cx = Context::from_waker(std::task::Waker::noop());
    let mut decoded = Vec::new();
    while let Poll::Ready(Some(frame)) = std::pin::Pin::new(&mut body).poll_frame(&mut cx) {
        decoded.extend_from_slice(&frame.unwrap().into_data().unwrap());
    }
    assert!(
        decoded.len() > 100_000,
        "only {} bytes decoded",
        decoded.len()
    );
    assert_eq!(decoded, data[..decoded.len()]);
}
