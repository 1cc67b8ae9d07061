use std::time::{Duration, Instant};

use aioduct_core::BoxFuture;

/// Sleeping and the clock, for middleware that waits: retries and limiters.
///
/// The `aioduct` facade passes its runtime's timer; a custom chain implements this for its own.
///
/// ```
/// use std::time::{Duration, Instant};
/// use aioduct_core::BoxFuture;
/// use aioduct_middleware::Timer;
///
/// struct TokioTimer;
///
/// impl Timer for TokioTimer {
///     fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
///         Box::pin(tokio::time::sleep(duration))
///     }
/// }
/// # let _ = TokioTimer.now();
/// ```
pub trait Timer: Send + Sync + 'static {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;

    /// The current time on the clock `sleep` uses.
    fn now(&self) -> Instant {
        Instant::now()
    }
}
