//! DNS-over-TLS and DNS-over-HTTPS without a server: configuration errors, and connection
//! failures on loopback that say what failed. The exchanges themselves are tested against
//! unbound in tests/unbound.rs (`--features interop`).

#![cfg(any(feature = "doh", feature = "dot"))]

mod support;

use std::{net::SocketAddr, time::Duration};

use aioduct_dns::{CertificateDer, HickoryBuilder, HickoryResolver};
use support::{chain, dns_error, lookup};

fn options() -> HickoryBuilder {
    HickoryResolver::builder()
        .timeout(Duration::from_secs(2))
        .attempts(1)
}

/// A port of 127.0.0.1 that was free a moment ago, so connecting is refused.
fn closed_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[cfg(feature = "dot")]
#[tokio::test]
async fn dot_to_a_closed_port_says_the_connection_was_refused() {
    let addr = closed_port();
    let resolver = options().dot(addr, "dns.test", &[]).unwrap();
    let err = lookup(&resolver, "host.test").await.unwrap_err();
    assert!(!dns_error(&err).is_timeout());
    assert_eq!(
        chain(&*err),
        format!(
            "DNS lookup of host.test failed: cannot connect to the DNS server at {addr}: \
             Connection refused (os error 111)"
        )
    );
}

#[cfg(feature = "doh")]
#[tokio::test]
async fn doh_to_a_closed_port_says_the_connection_was_refused() {
    let addr = closed_port();
    let resolver = options().doh(addr, "dns.test", &[]).unwrap();
    let err = lookup(&resolver, "host.test").await.unwrap_err();
    let text = chain(&*err);
    assert!(!dns_error(&err).is_timeout(), "{text}");
    assert!(text.contains("cannot connect to the DNS server"), "{text}");
    assert!(text.contains("Connection refused"), "{text}");
}

#[test]
fn a_root_that_is_not_a_certificate_is_a_config_error() {
    let junk = CertificateDer::from(vec![0x30, 0x03, 0x02, 0x01, 0x00]);
    #[cfg(feature = "dot")]
    let err = HickoryResolver::dot(closed_port(), "dns.test", &[junk]).unwrap_err();
    #[cfg(not(feature = "dot"))]
    let err = HickoryResolver::doh(closed_port(), "dns.test", &[junk]).unwrap_err();
    assert!(err.is_config());
    assert!(
        err.to_string()
            .contains("extra root certificate #0 is not a valid DER certificate"),
        "{err}"
    );
}

#[cfg(feature = "doh")]
#[test]
fn an_invalid_tls_name_is_a_config_error() {
    let err = HickoryResolver::doh(closed_port(), "not a name", &[]).unwrap_err();
    assert!(err.is_config());
    assert_eq!(
        err.to_string(),
        "invalid DNS resolver configuration: \"not a name\" is not a valid TLS server name"
    );
}
