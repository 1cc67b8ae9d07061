//! The pool's tunables.

use std::time::Duration;

/// How a [`Pool`](crate::Pool) keeps and limits connections.
///
/// Every limit applies per key. Build one with [`Config::default`] and the setters:
///
/// ```
/// use std::time::Duration;
/// use aioduct_pool::Config;
///
/// let config = Config::default()
///     .idle_timeout(Some(Duration::from_secs(30)))
///     .max_idle_per_key(8)
///     .max_per_key(Some(32));
/// assert_eq!(config.max_per_key, Some(32));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// How long a connection may sit unused before the pool stops handing it out.
    ///
    /// `None` keeps idle connections until they close. Default: 90 seconds.
    pub idle_timeout: Option<Duration>,
    /// How many unused exclusive connections the pool keeps per key.
    ///
    /// A connection returned when this many are idle already is closed instead.
    /// `0` disables reuse of exclusive connections. Default: unlimited.
    pub max_idle_per_key: usize,
    /// How many connections may exist per key, counting those being opened, in use and idle.
    ///
    /// When the limit is reached, [`Pool::checkout`](crate::Pool::checkout) waits for a connection
    /// or a free slot. `None` means no limit; `Some(0)` is treated as `Some(1)`. Default: `None`.
    pub max_per_key: Option<usize>,
}

impl Config {
    /// The default configuration; the same as [`Config::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`Config::idle_timeout`](struct@Config#structfield.idle_timeout).
    #[must_use]
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`Config::max_idle_per_key`](struct@Config#structfield.max_idle_per_key).
    #[must_use]
    pub fn max_idle_per_key(mut self, max: usize) -> Self {
        self.max_idle_per_key = max;
        self
    }

    /// Sets [`Config::max_per_key`](struct@Config#structfield.max_per_key).
    #[must_use]
    pub fn max_per_key(mut self, max: Option<usize>) -> Self {
        self.max_per_key = max;
        self
    }

    /// The per-key connection limit with `0` read as `1`, so a key can always make progress.
    pub(crate) fn limit(&self) -> Option<usize> {
        self.max_per_key.map(|max| max.max(1))
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            idle_timeout: Some(Duration::from_secs(90)),
            max_idle_per_key: usize::MAX,
            max_per_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let config = Config::default();
        assert_eq!(config.idle_timeout, Some(Duration::from_secs(90)));
        assert_eq!(config.max_idle_per_key, usize::MAX);
        assert_eq!(config.max_per_key, None);
        assert_eq!(config, Config::new());
    }

    #[test]
    fn zero_limit_reads_as_one() {
        assert_eq!(Config::default().max_per_key(Some(0)).limit(), Some(1));
        assert_eq!(Config::default().max_per_key(Some(4)).limit(), Some(4));
        assert_eq!(Config::default().limit(), None);
    }
}
