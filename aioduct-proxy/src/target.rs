//! [`Target`]: the destination a tunnel is asked for, read from the request URI.

use std::net::IpAddr;

use aioduct_core::{Error, ErrorKind, http::Uri};

use crate::no_proxy::{parse_ip, port_of};

/// Where the tunnel must lead: the origin's host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) host: TargetHost,
    pub(crate) port: u16,
}

/// The origin's host: an address (without brackets or zone id) or a name as written in the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TargetHost {
    Ip(IpAddr),
    Name(String),
}

impl Target {
    /// The host and port of `uri`; the port defaults to 443 for `https`/`wss`, 80 otherwise.
    pub(crate) fn of(uri: &Uri) -> Result<Target, Error> {
        let host = uri
            .host()
            .filter(|host| !host.is_empty())
            .ok_or_else(|| Error::msg(ErrorKind::Builder, "URL has no host"))?;
        let host = match parse_ip(host) {
            Some(ip) => TargetHost::Ip(ip),
            // DNS names are case-insensitive; the URL keeps the case it was written in.
            None => TargetHost::Name(host.to_ascii_lowercase()),
        };
        Ok(Target {
            host,
            port: port_of(uri),
        })
    }

    /// `host:port` for a CONNECT request; IPv6 in brackets, without zone id.
    pub(crate) fn authority(&self) -> String {
        match &self.host {
            TargetHost::Ip(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            TargetHost::Ip(IpAddr::V4(ip)) => format!("{ip}:{}", self.port),
            TargetHost::Name(name) => format!("{name}:{}", self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_from_uris() {
        for (uri, authority) in [
            ("https://example.com/x", "example.com:443"),
            ("http://example.com/x", "example.com:80"),
            ("wss://example.com/", "example.com:443"),
            ("http://example.com:8080/", "example.com:8080"),
            ("https://10.0.0.1/", "10.0.0.1:443"),
            ("https://[::1]:8443/", "[::1]:8443"),
            ("https://[::ffff:10.0.0.1]/", "10.0.0.1:443"),
            ("https://[fe80::1%25eth0]:8443/", "[fe80::1]:8443"),
            ("http://Origin.EXAMPLE/", "origin.example:80"),
        ] {
            let target = Target::of(&uri.parse().unwrap()).unwrap();
            assert_eq!(target.authority(), authority, "{uri}");
        }
        let no_host: Uri = "/relative".parse().unwrap();
        assert!(Target::of(&no_host).unwrap_err().is_builder());
    }
}
