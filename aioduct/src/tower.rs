//! `Client` as a tower `Service`.

use std::task::{Context, Poll};

use aioduct_core::{Body, BoxError};
use bytes::Bytes;

use crate::{Client, Error, SendRuntime, send::SendFuture};

/// Sends any `http::Request` whose body yields `Bytes`, so a client composes with tower layers:
///
/// ```no_run
/// use tower::{Service, ServiceExt};
/// use aioduct::{Client, runtime::TokioRuntime};
///
/// # async fn run() -> Result<(), aioduct::Error> {
/// let mut client = Client::<TokioRuntime>::new();
/// let request = http::Request::get("http://127.0.0.1:8080/").body(String::new()).unwrap();
/// let response = ServiceExt::<http::Request<String>>::ready(&mut client)
///     .await?
///     .call(request)
///     .await?;
/// # let _ = response;
/// # Ok(())
/// # }
/// ```
///
/// The client is always ready: back-pressure comes from the pool's per-host limit, inside `call`.
impl<R, B> tower_service::Service<http::Request<B>> for Client<R>
where
    R: SendRuntime,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = crate::Response;
    type Error = Error;
    type Future = SendFuture;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> SendFuture {
        R::execute_boxed(self.clone(), request.map(Body::wrap))
    }
}
