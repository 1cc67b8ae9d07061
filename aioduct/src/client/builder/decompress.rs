//! Client settings for the decompress middleware.
