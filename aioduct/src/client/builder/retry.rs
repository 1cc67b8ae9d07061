//! Client settings for the retry middleware.
