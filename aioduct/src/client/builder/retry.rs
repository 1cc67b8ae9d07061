//! Client settings for the retry middleware.

use aioduct_middleware::retry::{Retry, RetryPolicy};

use crate::client::builtins::Stage;

impl<R: crate::SendRuntime> super::ClientBuilder<R> {
    /// Retries failed requests as `policy` says: backoff with jitter, `Retry-After`, an optional
    /// budget. Idempotent methods only unless the policy opts in; streamed bodies never. A
    /// [`RetryPolicy`] set on one request with
    /// [`RequestBuilder::extension`](crate::RequestBuilder::extension) overrides this for it.
    ///
    /// Independently of this setting, a request the server dropped on a reused idle connection
    /// before answering is sent once more on a new connection.
    ///
    /// ```
    /// use std::time::Duration;
    /// use aioduct::Client;
    /// use aioduct::middleware::retry::{RetryBudget, RetryPolicy};
    /// use aioduct::runtime::TokioRuntime;
    ///
    /// let client = Client::<TokioRuntime>::builder()
    ///     .retry(
    ///         RetryPolicy::new()
    ///             .max_attempts(3)
    ///             .budget(RetryBudget::new(Duration::from_secs(10), 10, 0.2)),
    ///     )
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn retry(self, policy: RetryPolicy) -> Self {
        self.set_builtin(Stage::Retry, Retry::new(policy, Self::timer()))
    }
}
