//! A build without TLS refuses https clearly.
#![cfg(not(feature = "rustls"))]

mod support;

use aioduct::{Client, HttpRuntime};

/// Without the rustls feature, https is refused with a clear error before connecting.
async fn https_without_tls_compiled_fails_clearly<R: HttpRuntime>() {
    let client = Client::<R>::new();
    let err = client
        .get("https://127.0.0.1:1/")
        .unwrap()
        .send()
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
}

runtime_tests!(https_without_tls_compiled_fails_clearly);
