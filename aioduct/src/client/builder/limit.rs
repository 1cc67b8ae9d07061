//! Client settings for the limit middleware: request rate and download speed.

use aioduct_middleware::limit::{BandwidthLimit, BandwidthLimiter, RateLimit, RateLimiter};

use crate::client::builtins::Stage;

impl<R: crate::SendRuntime> super::ClientBuilder<R> {
    /// Holds requests so that they go out at `limiter`'s rate. Every attempt counts: retries,
    /// redirect hops and authentication round trips each take a token. Give clones of one
    /// limiter to several clients to share the limit.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aioduct::{Client, middleware::limit::RateLimiter, runtime::TokioRuntime};
    ///
    /// let client = Client::<TokioRuntime>::builder()
    ///     .rate_limit(RateLimiter::new(10, Duration::from_secs(1)))
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn rate_limit(self, limiter: RateLimiter) -> Self {
        self.set_builtin(Stage::RateLimit, RateLimit::new(limiter, Self::timer()))
    }

    /// Reads response bodies at most `bytes_per_sec` on average, all responses of the client
    /// together. Shorthand for `bandwidth_limit(BandwidthLimiter::new(bytes_per_sec))`.
    ///
    /// ```
    /// use aioduct::{Client, runtime::TokioRuntime};
    ///
    /// let client = Client::<TokioRuntime>::builder()
    ///     .max_download_speed(512 * 1024)
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn max_download_speed(self, bytes_per_sec: u64) -> Self {
        self.bandwidth_limit(BandwidthLimiter::new(bytes_per_sec))
    }

    /// Paces response bodies with `limiter` (the bytes as received, before decoding). Give
    /// clones of one limiter to several clients to share the bandwidth.
    pub fn bandwidth_limit(self, limiter: BandwidthLimiter) -> Self {
        self.set_builtin(
            Stage::Bandwidth,
            BandwidthLimit::new(limiter, Self::timer()),
        )
    }
}
