//! Client settings for the cookies middleware.

use aioduct_middleware::cookies::{CookieJar, Cookies};

use crate::client::builtins::Stage;

impl<R: crate::SendRuntime> super::ClientBuilder<R> {
    /// Stores the cookies responses set in `jar` and sends them back where they belong
    /// (RFC 6265bis), on every hop of a redirect chain.
    ///
    /// The jar is a shared handle: keep a clone to inspect or save it, or give clones to several
    /// clients so they share their cookies.
    ///
    /// ```
    /// use aioduct::{Client, middleware::cookies::CookieJar, runtime::TokioRuntime};
    ///
    /// let jar = CookieJar::new();
    /// let client = Client::<TokioRuntime>::builder().cookie_jar(jar.clone()).build();
    /// // ... requests ...
    /// let path = std::env::temp_dir().join(format!("aioduct-doc-{}.json", std::process::id()));
    /// jar.save_json(&path)?;
    /// # drop(client);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn cookie_jar(self, jar: CookieJar) -> Self {
        self.set_builtin(Stage::Cookies, Cookies::new(jar))
    }

    /// With `true`, keeps cookies in a fresh jar of the client's own; with `false`, sends and
    /// stores none (the default).
    ///
    /// ```
    /// use aioduct::{Client, runtime::TokioRuntime};
    ///
    /// let client = Client::<TokioRuntime>::builder().cookie_store(true).build();
    /// # drop(client);
    /// ```
    pub fn cookie_store(self, enabled: bool) -> Self {
        if enabled {
            self.cookie_jar(CookieJar::new())
        } else {
            self.clear_builtin(Stage::Cookies)
        }
    }
}
