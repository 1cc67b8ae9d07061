//! Client settings for the cookies middleware.
