//! A blocking client: the async client driven on its own tokio runtime thread.
//!
//! Every call blocks the calling thread until the answer is there. The client is a thin layer:
//! requests are built and sent by the async [`crate::Client`], so behaviour is identical. It is
//! safe to share between threads; cloning is cheap. Calling it from inside an async runtime
//! panics with a clear message, because blocking there would stall that runtime.
//!
//! ```no_run
//! # fn run() -> Result<(), aioduct::Error> {
//! let client = aioduct::blocking::Client::new();
//! let text = client.get("http://127.0.0.1:8080/")?.send()?.text()?;
//! # let _ = text;
//! # Ok(())
//! # }
//! ```

mod builder;
mod response;

use std::{future::Future, sync::Arc, thread};

use aioduct_rt_tokio::TokioRuntime;
use http::Method;

use crate::{Error, IntoUrl};

pub use builder::{ClientBuilder, RequestBuilder};
pub use response::Response;

/// A blocking HTTP client. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Client {
    inner: crate::Client<TokioRuntime>,
    driver: Arc<Driver>,
}

impl Default for Client {
    fn default() -> Self {
        Client::new()
    }
}

impl Client {
    /// A client with default settings (see [`crate::Client::new`]).
    ///
    /// # Panics
    ///
    /// If the runtime thread cannot be started (the process is out of threads); use
    /// [`ClientBuilder::build`] to get that as an error.
    pub fn new() -> Self {
        match ClientBuilder::new().build() {
            Ok(client) => client,
            Err(err) => panic!("aioduct::blocking::Client::new: {err}"),
        }
    }

    /// A builder with the same settings as [`crate::ClientBuilder`].
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// Starts a GET request.
    pub fn get(&self, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        self.request(Method::GET, url)
    }

    /// Starts a HEAD request.
    pub fn head(&self, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        self.request(Method::HEAD, url)
    }

    /// Starts a POST request.
    pub fn post(&self, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        self.request(Method::POST, url)
    }

    /// Starts a PUT request.
    pub fn put(&self, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        self.request(Method::PUT, url)
    }

    /// Starts a PATCH request.
    pub fn patch(&self, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        self.request(Method::PATCH, url)
    }

    /// Starts a DELETE request.
    pub fn delete(&self, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        self.request(Method::DELETE, url)
    }

    /// Starts a request with any method; the URL is checked as by [`crate::Client::request`].
    pub fn request(&self, method: Method, url: impl IntoUrl) -> Result<RequestBuilder, Error> {
        let inner = self.inner.request(method, url)?;
        Ok(RequestBuilder::new(inner, self.driver.clone()))
    }

    /// The async client underneath, sharing this client's pool.
    pub fn as_async(&self) -> &crate::Client<TokioRuntime> {
        &self.inner
    }
}

/// The runtime thread that drives every connection of a blocking client.
#[derive(Debug)]
struct Driver {
    handle: tokio::runtime::Handle,
    /// Dropping it ends the runtime thread.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Driver {
    fn start() -> Result<Driver, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(crate::ErrorKind::Builder, Some(e)))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        thread::Builder::new()
            .name("aioduct-blocking".into())
            .spawn(move || {
                // The I/O and timer drivers run while this thread waits here; callers poll their
                // own futures through `Handle::block_on`.
                let _ = runtime.block_on(stopped);
            })
            .map_err(|e| Error::new(crate::ErrorKind::Builder, Some(e)))?;
        Ok(Driver {
            handle,
            _stop: stop,
        })
    }

    /// Runs `future` to completion on the calling thread, with the runtime thread driving I/O.
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert_not_async();
        self.handle.block_on(future)
    }
}

/// Blocking inside an async task would stall its runtime: refuse it loudly.
fn assert_not_async() {
    if tokio::runtime::Handle::try_current().is_ok() {
        panic!(
            "aioduct::blocking was called from inside an async runtime, where blocking stalls \
             the runtime; use the async aioduct::Client there instead"
        );
    }
}
