//! Client settings for the auth middleware.
