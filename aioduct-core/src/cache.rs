use std::{future::Future, pin::Pin, time::SystemTime};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Version};

/// The future returned by [`CacheStore`] methods.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The key a response is stored under: method and URL, chosen by the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey(pub String);

/// A stored response, with what the RFC 9111 cache needs to judge its freshness.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CachedResponse {
    /// The status.
    pub status: StatusCode,
    /// The HTTP version.
    pub version: Version,
    /// The response headers.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
    /// When the request was sent.
    pub request_time: SystemTime,
    /// When the response was received.
    pub response_time: SystemTime,
    /// The request headers named by the response's `Vary`, as they were sent.
    pub vary: HeaderMap,
}

impl CachedResponse {
    /// A stored response received at `response_time` for a request sent at `request_time`.
    pub fn new(
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        request_time: SystemTime,
        response_time: SystemTime,
    ) -> Self {
        CachedResponse {
            status,
            version: Version::HTTP_11,
            headers,
            body,
            request_time,
            response_time,
            vary: HeaderMap::new(),
        }
    }
}

/// Storage for the HTTP cache.
///
/// # What it is for
///
/// The cache middleware decides what to store and when it is fresh; a `CacheStore` only keeps
/// bytes. aioduct-cache has an in-memory store; implement this trait for disk or a shared cache.
///
/// # How to implement it
///
/// Methods take `&self` and return boxed `Send` futures, so a store is shared as
/// `Arc<dyn CacheStore>`. A store may drop entries at any time (eviction).
///
/// # Example
///
/// ```
/// use std::{collections::HashMap, sync::Mutex};
/// use aioduct_core::{CacheKey, CacheStore, CachedResponse, StoreFuture};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<CacheKey, CachedResponse>>);
///
/// impl CacheStore for MapStore {
///     fn get<'a>(&'a self, key: &'a CacheKey) -> StoreFuture<'a, Option<CachedResponse>> {
///         Box::pin(async move { self.0.lock().unwrap().get(key).cloned() })
///     }
///     fn put<'a>(&'a self, key: CacheKey, response: CachedResponse) -> StoreFuture<'a, ()> {
///         Box::pin(async move { self.0.lock().unwrap().insert(key, response); })
///     }
///     fn remove<'a>(&'a self, key: &'a CacheKey) -> StoreFuture<'a, ()> {
///         Box::pin(async move { self.0.lock().unwrap().remove(key); })
///     }
/// }
/// ```
pub trait CacheStore: Send + Sync {
    /// The response stored under `key`, if any.
    fn get<'a>(&'a self, key: &'a CacheKey) -> StoreFuture<'a, Option<CachedResponse>>;

    /// Stores `response` under `key`, replacing what was there.
    fn put<'a>(&'a self, key: CacheKey, response: CachedResponse) -> StoreFuture<'a, ()>;

    /// Forgets the response under `key`.
    fn remove<'a>(&'a self, key: &'a CacheKey) -> StoreFuture<'a, ()>;
}
