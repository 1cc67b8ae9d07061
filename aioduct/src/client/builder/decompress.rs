//! Client settings for the decompress middleware.
//!
//! Decoding is on by default for every coding compiled in (the `gzip`, `deflate`, `brotli` and
//! `zstd` features); `build` adds it at its place in the chain unless every coding is off.

use aioduct_middleware::decompress::Decompression;

impl<R: crate::HttpRuntime> super::ClientBuilder<R> {
    /// Asks for and decodes `gzip` responses (on by default with the `gzip` feature).
    ///
    /// ```
    /// use aioduct::Client;
    /// use aioduct::runtime::TokioRuntime;
    ///
    /// // Only brotli and zstd, when those features are on too.
    /// let client = Client::<TokioRuntime>::builder().gzip(false).build();
    /// # drop(client);
    /// ```
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, enabled: bool) -> Self {
        self.decompression = self.decompression.gzip(enabled);
        self
    }

    /// Asks for and decodes `deflate` responses, zlib-wrapped or raw (on by default with the
    /// `deflate` feature).
    #[cfg(feature = "deflate")]
    pub fn deflate(mut self, enabled: bool) -> Self {
        self.decompression = self.decompression.deflate(enabled);
        self
    }

    /// Asks for and decodes `br` responses (on by default with the `brotli` feature).
    #[cfg(feature = "brotli")]
    pub fn brotli(mut self, enabled: bool) -> Self {
        self.decompression = self.decompression.brotli(enabled);
        self
    }

    /// Asks for and decodes `zstd` responses (on by default with the `zstd` feature).
    #[cfg(feature = "zstd")]
    pub fn zstd(mut self, enabled: bool) -> Self {
        self.decompression = self.decompression.zstd(enabled);
        self
    }

    /// Replaces the decompression settings: codings and ceilings against decompression bombs.
    /// [`Decompression::none()`] turns decoding off.
    ///
    /// A request that sets `Accept-Encoding` itself is not decoded: it gets the body as sent.
    ///
    /// ```
    /// use aioduct::Client;
    /// use aioduct::middleware::decompress::Decompression;
    /// use aioduct::runtime::TokioRuntime;
    ///
    /// let client = Client::<TokioRuntime>::builder()
    ///     .decompression(Decompression::new().max_decoded_size(256 << 20).max_ratio(100))
    ///     .build();
    /// # drop(client);
    /// ```
    pub fn decompression(mut self, decompression: Decompression) -> Self {
        self.decompression = decompression;
        self
    }
}
