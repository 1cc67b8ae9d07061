//! The decoded body: the wire body as an `AsyncBufRead`, one async-compression decoder per
//! coding, and the decoder output back as a stream of frames.

// With the `decompress` feature but no coding, `Coding` has no value and most of this is dead.
#![cfg_attr(
    not(any(
        feature = "gzip",
        feature = "deflate",
        feature = "brotli",
        feature = "zstd"
    )),
    allow(unused, unreachable_code)
)]

use std::{
    fmt, io,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll, ready},
};

use aioduct_core::{Body, BoxError, Error, ErrorKind};
use bytes::{Buf, Bytes, BytesMut};
use futures_io::{AsyncBufRead, AsyncRead};
use futures_lite::io::BufReader;
use http_body::{Body as HttpBody, Frame};

use super::Coding;

/// Decoded bytes handed out per frame, at most.
const CHUNK: usize = 32 * 1024;
/// Below this much room the output buffer is renewed rather than read into.
const MIN_ROOM: usize = 4 * 1024;
/// Buffer between two stacked decoders.
const LAYER_BUFFER: usize = 16 * 1024;
/// The ratio ceiling applies only after this many decoded bytes: small bodies compress well.
const RATIO_FLOOR: u64 = 1 << 20;

/// The input of a decoder: the wire body, or the output of the decoder before it.
type Input = Pin<Box<dyn AsyncBufRead + Send>>;

/// The ceilings against decompression bombs.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Limits {
    pub(super) max_size: Option<u64>,
    pub(super) max_ratio: Option<u64>,
}

/// A response body decoded as it streams.
pub(super) struct DecodedBody {
    state: State,
    /// Decoded bytes are read into its spare room and split off as frames; when the frames
    /// are dropped in time, `reserve` takes the same allocation back.
    buf: BytesMut,
    limits: Limits,
    decoded: u64,
    /// Wire bytes the first decoder has consumed, for the ratio ceiling.
    encoded: Arc<AtomicU64>,
}

enum State {
    /// Waiting for the first wire bytes: a body that turns out empty is passed on as empty.
    Start {
        body: Body,
        codings: Vec<Coding>,
    },
    Reading(Layer),
    Done,
}

impl DecodedBody {
    /// `codings` in the order they were applied; they are undone last to first.
    pub(super) fn new(body: Body, codings: Vec<Coding>, limits: Limits) -> Self {
        DecodedBody {
            state: State::Start { body, codings },
            buf: BytesMut::new(),
            limits,
            decoded: 0,
            encoded: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Checks the ceilings for `n` more decoded bytes.
    fn admit(&mut self, n: usize) -> Result<(), Error> {
        let total = self.decoded + n as u64;
        if let Some(max) = self.limits.max_size
            && total > max
        {
            return Err(Error::msg(
                ErrorKind::Decode,
                format!("decoded body is larger than the ceiling of {max} bytes"),
            ));
        }
        if let Some(ratio) = self.limits.max_ratio
            && total >= RATIO_FLOOR
            && total > self.encoded.load(Ordering::Relaxed).saturating_mul(ratio)
        {
            return Err(Error::msg(
                ErrorKind::Decode,
                format!("decoded body expands more than {ratio} times its encoded size"),
            ));
        }
        self.decoded = total;
        Ok(())
    }
}

impl http_body::Body for DecodedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Start { body, .. } => match ready!(Pin::new(body).poll_frame(cx)) {
                    Some(Ok(frame)) => {
                        let Ok(first) = frame.into_data() else {
                            continue; // Trailers of an encoded body carry nothing to decode.
                        };
                        if first.is_empty() {
                            continue;
                        }
                        let State::Start { body, codings } =
                            std::mem::replace(&mut this.state, State::Done)
                        else {
                            unreachable!()
                        };
                        let wire = WireReader {
                            body,
                            chunk: first,
                            eof: false,
                            consumed: this.encoded.clone(),
                        };
                        this.state = State::Reading(stack(wire, &codings));
                    }
                    Some(Err(err)) => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(err)));
                    }
                    None => {
                        this.state = State::Done;
                        return Poll::Ready(None);
                    }
                },
                State::Reading(layer) => {
                    if this.buf.len() < MIN_ROOM {
                        this.buf.clear();
                        this.buf.reserve(CHUNK);
                        this.buf.resize(CHUNK, 0);
                    }
                    let read = ready!(Pin::new(layer).poll_read(cx, &mut this.buf[..]));
                    let result = match read {
                        Ok(0) => None,
                        Ok(n) => match this.admit(n) {
                            Ok(()) => Some(Ok(Frame::data(this.buf.split_to(n).freeze()))),
                            Err(err) => Some(Err(err.into())),
                        },
                        Err(err) => Some(Err(read_error(err))),
                    };
                    if !matches!(result, Some(Ok(_))) {
                        this.state = State::Done;
                        this.buf = BytesMut::new();
                    }
                    return Poll::Ready(result);
                }
                State::Done => return Poll::Ready(None),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, State::Done)
    }
}

/// The decoders for `codings` (in the order applied) over `wire`: the last applied is the first
/// undone.
fn stack(wire: WireReader, codings: &[Coding]) -> Layer {
    let mut input: Input = Box::pin(wire);
    let (first, rest) = codings.split_first().expect("at least one coding");
    for coding in rest.iter().rev() {
        let layer = Layer::new(*coding, input);
        input = Box::pin(BufReader::with_capacity(LAYER_BUFFER, layer));
    }
    Layer::new(*first, input)
}

/// An error of the wire body, carried through the decoders untouched.
struct WireError(BoxError);

impl fmt::Debug for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for WireError {}

/// A wire error as it was; anything else the decoders raised is a decode error.
fn read_error(err: io::Error) -> BoxError {
    if !err.get_ref().is_some_and(|inner| inner.is::<WireError>()) {
        return Error::new(ErrorKind::Decode, Some(err)).into();
    }
    match err.into_inner().map(|inner| inner.downcast::<WireError>()) {
        Some(Ok(wire)) => wire.0,
        Some(Err(other)) => Error::new(ErrorKind::Decode, Some(other)).into(),
        None => Error::msg(ErrorKind::Decode, "decoding failed").into(),
    }
}

/// The wire body as an `AsyncBufRead`: each data frame is lent to the decoder in place.
struct WireReader {
    body: Body,
    chunk: Bytes,
    eof: bool,
    consumed: Arc<AtomicU64>,
}

impl AsyncRead for WireReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let available = ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl AsyncBufRead for WireReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        while this.chunk.is_empty() && !this.eof {
            match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        this.chunk = data;
                    }
                }
                Some(Err(err)) => return Poll::Ready(Err(io::Error::other(WireError(err)))),
                None => this.eof = true,
            }
        }
        Poll::Ready(Ok(&this.chunk[..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        this.chunk.advance(amt);
        this.consumed.fetch_add(amt as u64, Ordering::Relaxed);
    }
}

/// One coding undone: an async-compression decoder that must reach the end of its stream, with
/// nothing after it.
struct Layer {
    state: LayerState,
}

enum LayerState {
    /// Not started: deflate looks at the first bytes to tell zlib from raw deflate.
    Start(Coding, Input),
    /// Boxed: a decoder's state is large (zlib-rs's is hundreds of bytes) and made once.
    Decoding(Box<Decoder>),
    Finished,
}

impl Layer {
    fn new(coding: Coding, input: Input) -> Self {
        Layer {
            state: LayerState::Start(coding, input),
        }
    }
}

impl AsyncRead for Layer {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                LayerState::Start(coding, input) => {
                    let coding = *coding;
                    let zlib = if is_deflate(coding) {
                        looks_like_zlib(ready!(input.as_mut().poll_fill_buf(cx))?)
                    } else {
                        false
                    };
                    let LayerState::Start(_, input) =
                        std::mem::replace(&mut this.state, LayerState::Finished)
                    else {
                        unreachable!()
                    };
                    this.state = LayerState::Decoding(Box::new(Decoder::new(coding, input, zlib)));
                }
                LayerState::Decoding(decoder) => {
                    let n = match ready!(decoder.poll_read(cx, buf)) {
                        Ok(n) => n,
                        Err(err) => {
                            this.state = LayerState::Finished;
                            return Poll::Ready(Err(err));
                        }
                    };
                    if n > 0 || buf.is_empty() {
                        return Poll::Ready(Ok(n));
                    }
                    // The decoder reached the end of its stream: nothing may follow.
                    let nothing_left = ready!(decoder.input().as_mut().poll_fill_buf(cx))
                        .map(|rest| rest.is_empty());
                    this.state = LayerState::Finished;
                    return match nothing_left {
                        Ok(true) => Poll::Ready(Ok(0)),
                        Ok(false) => Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "data after the end of the compressed stream",
                        ))),
                        Err(err) => Poll::Ready(Err(err)),
                    };
                }
                LayerState::Finished => return Poll::Ready(Ok(0)),
            }
        }
    }
}

fn is_deflate(coding: Coding) -> bool {
    #[cfg(feature = "deflate")]
    if coding == Coding::Deflate {
        return true;
    }
    let _ = coding;
    false
}

/// True when `head` starts a zlib stream (RFC 1950): method 8 with a window of at most 32 KiB,
/// and, when two bytes are there, a header checksum that divides by 31. A raw deflate stream
/// starts so only with non-zero padding bits in a stored block, which encoders do not write.
fn looks_like_zlib(head: &[u8]) -> bool {
    match head {
        [cmf, rest @ ..] if cmf & 0x0f == 8 && cmf >> 4 <= 7 => match rest.first() {
            Some(flg) => (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0,
            None => true,
        },
        _ => false,
    }
}

/// One async-compression decoder.
enum Decoder {
    #[cfg(feature = "gzip")]
    Gzip(async_compression::futures::bufread::GzipDecoder<Input>),
    #[cfg(feature = "deflate")]
    Zlib(async_compression::futures::bufread::ZlibDecoder<Input>),
    #[cfg(feature = "deflate")]
    Deflate(async_compression::futures::bufread::DeflateDecoder<Input>),
    #[cfg(feature = "brotli")]
    Brotli(async_compression::futures::bufread::BrotliDecoder<Input>),
    #[cfg(feature = "zstd")]
    Zstd(async_compression::futures::bufread::ZstdDecoder<Input>),
}

/// Runs `$body` with `$d` bound to whichever decoder `$decoder` holds.
macro_rules! each_decoder {
    ($decoder:expr, $d:ident => $body:expr) => {
        match *$decoder {
            #[cfg(feature = "gzip")]
            Decoder::Gzip(ref mut $d) => $body,
            #[cfg(feature = "deflate")]
            Decoder::Zlib(ref mut $d) => $body,
            #[cfg(feature = "deflate")]
            Decoder::Deflate(ref mut $d) => $body,
            #[cfg(feature = "brotli")]
            Decoder::Brotli(ref mut $d) => $body,
            #[cfg(feature = "zstd")]
            Decoder::Zstd(ref mut $d) => $body,
        }
    };
}

impl Decoder {
    fn new(coding: Coding, input: Input, zlib: bool) -> Self {
        use async_compression::futures::bufread as ac;
        let _ = zlib;
        match coding {
            #[cfg(feature = "gzip")]
            Coding::Gzip => {
                let mut decoder = ac::GzipDecoder::new(input);
                decoder.multiple_members(true);
                Decoder::Gzip(decoder)
            }
            #[cfg(feature = "deflate")]
            Coding::Deflate if zlib => Decoder::Zlib(ac::ZlibDecoder::new(input)),
            #[cfg(feature = "deflate")]
            Coding::Deflate => Decoder::Deflate(ac::DeflateDecoder::new(input)),
            #[cfg(feature = "brotli")]
            Coding::Brotli => Decoder::Brotli(ac::BrotliDecoder::new(input)),
            #[cfg(feature = "zstd")]
            Coding::Zstd => {
                let mut decoder = ac::ZstdDecoder::new(input);
                decoder.multiple_members(true);
                Decoder::Zstd(decoder)
            }
        }
    }

    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        each_decoder!(self, d => Pin::new(d).poll_read(cx, buf))
    }

    fn input(&mut self) -> &mut Input {
        each_decoder!(self, d => d.get_mut())
    }
}

#[cfg(test)]
mod tests {
    use super::looks_like_zlib;

    #[test]
    fn zlib_is_told_from_raw_deflate() {
        let cases: &[(&[u8], bool)] = &[
            (&[0x78, 0x9c], true),  // default compression
            (&[0x78, 0x01], true),  // no compression
            (&[0x78, 0xda], true),  // best compression
            (&[0x58, 0x85], true),  // a smaller window
            (&[0x78], true),        // one byte: method and window only
            (&[0x78, 0x9d], false), // bad header checksum
            (&[0x88, 0x98], false), // window too large
            (&[0xcb, 0x48], false), // raw deflate, fixed Huffman
            (&[0x00, 0x05], false), // raw deflate, stored block
            (&[0xed, 0xbd], false), // raw deflate, dynamic Huffman
            (&[], false),
        ];
        for (head, zlib) in cases {
            assert_eq!(looks_like_zlib(head), *zlib, "{head:02x?}");
        }
    }
}
