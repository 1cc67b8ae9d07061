//! Client settings for the auth and netrc middleware.

#[cfg(feature = "digest-auth")]
use aioduct_middleware::auth::DigestAuth;
use aioduct_middleware::netrc::{Netrc, NetrcAuth};

use crate::client::builtins::Stage;

impl<R: crate::SendRuntime> super::ClientBuilder<R> {
    /// Answers `WWW-Authenticate: Digest` challenges (RFC 7616) as `user`: one automatic retry
    /// of a 401, then `Authorization` sent from the start to the same origin. Never after a
    /// redirect to another origin.
    ///
    /// ```
    /// use aioduct::Client;
    /// use aioduct::runtime::TokioRuntime;
    ///
    /// let client = Client::<TokioRuntime>::builder()
    ///     .digest_auth("Mufasa", "Circle of Life")
    ///     .build();
    /// # drop(client);
    /// ```
    #[cfg(feature = "digest-auth")]
    pub fn digest_auth(self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.set_builtin(Stage::Auth, DigestAuth::new(user, password))
    }

    /// Sends `.netrc` credentials as `Basic` to the exact hosts they name (or the `default`
    /// entry's), when a request has no `Authorization`; never after a redirect to another origin.
    ///
    /// ```
    /// use aioduct::Client;
    /// use aioduct::middleware::netrc::Netrc;
    /// use aioduct::runtime::TokioRuntime;
    ///
    /// let netrc = Netrc::parse("machine api.example.com login alice password secret")?;
    /// let client = Client::<TokioRuntime>::builder().netrc(netrc).build();
    /// # drop(client);
    /// # Ok::<(), aioduct::Error>(())
    /// ```
    pub fn netrc(self, netrc: Netrc) -> Self {
        self.set_builtin(Stage::Netrc, NetrcAuth::new(netrc))
    }
}
