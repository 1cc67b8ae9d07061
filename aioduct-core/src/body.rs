use std::{
    fmt,
    pin::Pin,
    task::{Context, Poll},
};

use bytes::Bytes;
use futures_core::Stream;
use http_body::{Frame, SizeHint};
use http_body_util::{BodyExt, StreamBody, combinators::UnsyncBoxBody};

use crate::BoxError;

/// A request or response body: empty, a buffer in memory, or a stream.
///
/// Buffers are sent as one frame without copying and can be replayed (by redirects and retries);
/// streams are sent as they are produced and cannot.
///
/// ```
/// use aioduct_core::Body;
///
/// let body = Body::from("hello");
/// assert_eq!(body.as_bytes(), Some(&b"hello"[..]));
/// assert!(body.try_clone().is_some());
/// assert!(Body::empty().as_bytes().is_some());
/// ```
pub struct Body {
    kind: Kind,
}

enum Kind {
    Full(Option<Bytes>),
    Streaming(UnsyncBoxBody<Bytes, BoxError>),
}

impl Body {
    /// An empty body.
    pub const fn empty() -> Self {
        Body {
            kind: Kind::Full(None),
        }
    }

    /// Wraps any [`http_body::Body`] whose data is [`Bytes`].
    pub fn wrap<B>(body: B) -> Self
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        Body {
            kind: Kind::Streaming(body.map_err(Into::into).boxed_unsync()),
        }
    }

    /// Wraps a [`Stream`] of byte chunks; it is sent as it is produced, without buffering.
    pub fn wrap_stream<S, B, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: Into<Bytes>,
        E: Into<BoxError>,
    {
        let frames = MapFrames { stream };
        Body::wrap(StreamBody::new(frames))
    }

    /// The whole body, when it is held in memory.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.kind {
            Kind::Full(Some(bytes)) => Some(bytes),
            Kind::Full(None) => Some(&[]),
            Kind::Streaming(_) => None,
        }
    }

    /// A copy of this body when it can be replayed (it is held in memory), `None` for streams.
    pub fn try_clone(&self) -> Option<Body> {
        match &self.kind {
            Kind::Full(bytes) => Some(Body {
                kind: Kind::Full(bytes.clone()),
            }),
            Kind::Streaming(_) => None,
        }
    }
}

impl Default for Body {
    fn default() -> Self {
        Body::empty()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Full(bytes) => f
                .debug_struct("Body")
                .field("len", &bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
            Kind::Streaming(_) => f.write_str("Body(streaming)"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        let bytes = (!bytes.is_empty()).then_some(bytes);
        Body {
            kind: Kind::Full(bytes),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(vec: Vec<u8>) -> Self {
        Bytes::from(vec).into()
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Bytes::from(s).into()
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Bytes::from_static(s.as_bytes()).into()
    }
}

impl From<&'static [u8]> for Body {
    fn from(s: &'static [u8]) -> Self {
        Bytes::from_static(s).into()
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::empty()
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            Kind::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Kind::Streaming(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(bytes) => bytes.is_none(),
            Kind::Streaming(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Kind::Streaming(body) => body.size_hint(),
        }
    }
}

pin_project_lite::pin_project! {
    /// Turns a stream of chunks into a stream of data frames.
    struct MapFrames<S> {
        #[pin]
        stream: S,
    }
}

impl<S, B, E> Stream for MapFrames<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Bytes>,
    E: Into<BoxError>,
{
    type Item = Result<Frame<Bytes>, BoxError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project()
            .stream
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map(|b| Frame::data(b.into())).map_err(Into::into)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn full_body_is_one_frame_with_exact_size() {
        let body = Body::from(vec![1u8, 2, 3]);
        assert_eq!(http_body::Body::size_hint(&body).exact(), Some(3));
        let collected = futures_lite::future::block_on(body.collect()).unwrap();
        assert_eq!(collected.to_bytes(), Bytes::from_static(&[1, 2, 3]));
    }

    #[test]
    fn streams_are_not_replayable_and_arrive_in_order() {
        let chunks =
            futures_lite::stream::iter(vec![Ok::<_, std::io::Error>("a"), Ok("b"), Ok("c")]);
        let body = Body::wrap_stream(chunks);
        assert!(body.try_clone().is_none());
        assert!(body.as_bytes().is_none());
        let collected = futures_lite::future::block_on(body.collect()).unwrap();
        assert_eq!(collected.to_bytes(), "abc");
    }

    #[test]
    fn stream_errors_surface() {
        let chunks =
            futures_lite::stream::iter(vec![Ok("a"), Err(std::io::Error::other("broken"))]);
        let body = Body::wrap_stream(chunks);
        let err = futures_lite::future::block_on(body.collect()).unwrap_err();
        assert!(err.to_string().contains("broken"));
    }
}
