//! Client settings for the limit middleware.
