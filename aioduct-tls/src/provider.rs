//! The one place that knows which crypto provider this build uses.
//!
//! Exactly one of the `ring` and `aws-lc-rs` features must be enabled. Both other cases stop the
//! build with a message that says how to fix it, and the fallbacks below only keep that message
//! from drowning in follow-on errors.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "aioduct-tls needs a crypto provider: enable exactly one of the features `ring` or `aws-lc-rs` \
     (through aioduct: `rustls-ring` or `rustls-aws-lc-rs`)"
);

#[cfg(all(feature = "ring", feature = "aws-lc-rs"))]
compile_error!(
    "aioduct-tls takes exactly one crypto provider, but both `ring` and `aws-lc-rs` are enabled; \
     check which dependency turns on the second one (`cargo tree -e features -i aioduct-tls`)"
);

/// The crypto provider every configuration of this crate is built with.
///
/// Chosen explicitly rather than through rustls's process-wide default, so that another crate
/// installing a different default cannot change what aioduct negotiates.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(default_provider())
}

#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
fn default_provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

#[cfg(all(feature = "aws-lc-rs", not(feature = "ring")))]
fn default_provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

#[cfg(any(
    all(feature = "ring", feature = "aws-lc-rs"),
    not(any(feature = "ring", feature = "aws-lc-rs"))
))]
fn default_provider() -> CryptoProvider {
    unreachable!("the compile_error! above stops such a build")
}
