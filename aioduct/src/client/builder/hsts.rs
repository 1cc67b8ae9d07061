//! Client settings for the hsts middleware.
