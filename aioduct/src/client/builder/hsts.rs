//! Client settings for the hsts middleware.

use aioduct_middleware::hsts::{Hsts, HstsStore};

use crate::client::builtins::Stage;

impl<R: crate::SendRuntime> super::ClientBuilder<R> {
    /// Enforces HTTP Strict Transport Security with `store`: `Strict-Transport-Security` headers
    /// of https responses are recorded in it, and `http://` URLs of the hosts it knows are sent
    /// as `https://` (redirect targets included). Off by default.
    ///
    /// The store is shared: keep a clone to preload hosts or to inspect it, or give the same
    /// store to several clients.
    ///
    /// ```
    /// use aioduct::{Client, middleware::hsts::HstsStore, runtime::TokioRuntime};
    ///
    /// let store = HstsStore::new();
    /// store.preload("example.com", true);
    /// let client = Client::<TokioRuntime>::builder().hsts(store.clone()).build();
    /// assert!(store.contains("www.example.com"));
    /// # drop(client);
    /// ```
    pub fn hsts(self, store: HstsStore) -> Self {
        let middleware = Hsts::new(store).timer(Self::timer());
        self.set_builtin(Stage::Hsts, middleware)
    }
}
