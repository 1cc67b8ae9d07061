//! Shared by the integration tests: a local DNS server and small helpers.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

pub(crate) mod dns;

use std::{error::Error as StdError, net::IpAddr};

use aioduct_core::{BoxError, Name, Resolve};

/// Resolves `host` and returns the IPs in the resolver's order, checking that every port is 0.
pub(crate) async fn lookup(resolver: &dyn Resolve, host: &str) -> Result<Vec<IpAddr>, BoxError> {
    let addrs = resolver.resolve(Name::new(host)).await?;
    assert!(
        addrs.as_slice().iter().all(|addr| addr.port() == 0),
        "resolvers return port 0: {addrs:?}"
    );
    Ok(addrs.into_iter().map(|addr| addr.ip()).collect())
}

/// `ips` parsed, for comparisons.
pub(crate) fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|ip| ip.parse().unwrap()).collect()
}

/// The error and its sources, joined with ": ", as a log line would show them.
pub(crate) fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}

/// The error as this crate's `Error`, which every resolver here returns.
pub(crate) fn dns_error(err: &BoxError) -> &aioduct_dns::Error {
    err.downcast_ref::<aioduct_dns::Error>()
        .unwrap_or_else(|| panic!("not an aioduct_dns::Error: {err:?}"))
}
