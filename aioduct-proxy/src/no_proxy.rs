//! [`NoProxy`]: the hosts that are reached directly, in the `NO_PROXY` syntax.

use std::net::IpAddr;

use aioduct_core::http::Uri;

/// Hosts that are reached directly, never through a proxy.
///
/// Parsed from the `NO_PROXY` syntax that curl, wget and most HTTP clients share: entries
/// separated by commas or whitespace, each one of
///
/// - `*` alone: every host.
/// - a domain name, `example.com`: that name and every name under it (`api.example.com`), but not
///   `badexample.com`. A leading dot (`.example.com`) or `*.` means the same, as in curl: the
///   domain itself matches too. Case and a trailing dot are ignored on both sides.
/// - an IP address, `10.1.2.3`, `::1` or `[::1]`: that address only. An IPv6 zone id
///   (`fe80::1%eth0`) is ignored, on the entry and on the host.
/// - a CIDR range, `10.0.0.0/8`, `192.168.0.0/17`, `fe80::/10`: every address in it. Any prefix
///   length up to 32 (IPv4) or 128 (IPv6) is allowed; host bits in the base address are ignored.
/// - any name or address above followed by `:port` (`example.com:8080`, `10.0.0.1:8080`,
///   `[::1]:8080`): only that port.
///
/// An entry that fits none of these (a bad CIDR prefix, a bare word with two colons) is skipped,
/// so one typo does not disable the rest. No DNS is involved: a name entry never matches an IP
/// host and an address entry never matches a name. IPv4-mapped IPv6 hosts (`::ffff:10.0.0.1`)
/// match as their IPv4 address.
///
/// ```
/// use aioduct_proxy::NoProxy;
///
/// let no_proxy = NoProxy::parse("localhost, .internal.example, 10.0.0.0/8, [::1], cache:3128");
/// assert!(no_proxy.matches("api.internal.example", 443));
/// assert!(no_proxy.matches("internal.example", 80));
/// assert!(no_proxy.matches("10.20.30.40", 80));
/// assert!(no_proxy.matches("[::1]", 8080));
/// assert!(no_proxy.matches("cache", 3128));
/// assert!(!no_proxy.matches("cache", 80));
/// assert!(!no_proxy.matches("example.com", 443));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct NoProxy {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Entry {
    All,
    Domain { name: String, port: Option<u16> },
    Ip { ip: IpAddr, port: Option<u16> },
    Cidr { net: IpAddr, prefix: u8 },
}

impl NoProxy {
    /// An empty list: every host goes through the proxy.
    pub fn new() -> Self {
        NoProxy::default()
    }

    /// Parses a list in the `NO_PROXY` syntax. Entries that cannot be understood are skipped.
    pub fn parse(list: &str) -> Self {
        let entries = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter_map(Entry::parse)
            .collect();
        NoProxy { entries }
    }

    /// True when the list has no usable entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when `host` (as written in a URL: a name, an IPv4 address, or an IPv6 address with
    /// or without brackets and zone id) on `port` must be reached directly.
    pub fn matches(&self, host: &str, port: u16) -> bool {
        if self.entries.is_empty() {
            return false;
        }
        let host = Host::parse(host);
        self.entries.iter().any(|entry| entry.matches(&host, port))
    }

    /// True when the host and port of `uri` must be reached directly. The port defaults to 443
    /// for `https` and `wss`, 80 otherwise.
    pub fn matches_uri(&self, uri: &Uri) -> bool {
        uri.host()
            .is_some_and(|host| self.matches(host, port_of(uri)))
    }
}

/// The port of `uri`, or its scheme's default.
pub(crate) fn port_of(uri: &Uri) -> u16 {
    uri.port_u16()
        .unwrap_or(if is_secure(uri) { 443 } else { 80 })
}

/// True for `https` and `wss`.
pub(crate) fn is_secure(uri: &Uri) -> bool {
    uri.scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("https") || s.eq_ignore_ascii_case("wss"))
}

/// Parses an IP address as written in a URL or a NO_PROXY entry: brackets and a zone id (`%25eth0`
/// or `%eth0`) are removed, and an IPv4-mapped IPv6 address becomes IPv4.
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let text = match text.split_once('%') {
        // Only IPv6 addresses carry zones; `10.0.0.1%x` stays an error.
        Some((addr, _zone)) if addr.contains(':') => addr,
        _ => text,
    };
    text.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// A host normalised for matching.
enum Host {
    Ip(IpAddr),
    Name(String),
}

impl Host {
    fn parse(host: &str) -> Host {
        match parse_ip(host) {
            Some(ip) => Host::Ip(ip),
            None => Host::Name(normalise_name(host)),
        }
    }
}

fn normalise_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Entry {
    fn parse(raw: &str) -> Option<Entry> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        if raw == "*" {
            return Some(Entry::All);
        }
        if let Some((addr, prefix)) = raw.split_once('/') {
            let ip = parse_ip(addr)?;
            let prefix: u8 = prefix.parse().ok()?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            return (prefix <= max).then(|| Entry::Cidr {
                net: mask(ip, prefix),
                prefix,
            });
        }
        if let Some(rest) = raw.strip_prefix('[') {
            // `[v6]` or `[v6]:port`.
            let (addr, after) = rest.split_once(']')?;
            let ip = parse_ip(addr)?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?.parse().ok()?),
            };
            return Some(Entry::Ip { ip, port });
        }
        if let Some(ip) = parse_ip(raw) {
            return Some(Entry::Ip { ip, port: None });
        }
        let (host, port) = match raw.rsplit_once(':') {
            // A second colon with no brackets is neither an IPv6 address nor `host:port`.
            Some((host, _)) if host.contains(':') => return None,
            Some((host, port)) => (host, Some(port.parse().ok()?)),
            None => (raw, None),
        };
        if let Some(ip) = parse_ip(host) {
            return Some(Entry::Ip { ip, port });
        }
        let name = host
            .strip_prefix("*.")
            .or_else(|| host.strip_prefix('.'))
            .unwrap_or(host);
        let name = normalise_name(name);
        (!name.is_empty()).then_some(Entry::Domain { name, port })
    }

    fn matches(&self, host: &Host, port: u16) -> bool {
        let port_ok = |want: &Option<u16>| want.is_none_or(|want| want == port);
        match (self, host) {
            (Entry::All, _) => true,
            (Entry::Domain { name, port: want }, Host::Name(host)) => {
                port_ok(want)
                    && host
                        .strip_suffix(name.as_str())
                        .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
            }
            (Entry::Ip { ip, port: want }, Host::Ip(host)) => port_ok(want) && ip == host,
            (Entry::Cidr { net, prefix }, Host::Ip(host)) => {
                host.is_ipv4() == net.is_ipv4() && mask(*host, *prefix) == *net
            }
            _ => false,
        }
    }
}

/// `ip` with every bit after the first `prefix` cleared.
fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let keep = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & keep).into())
        }
        IpAddr::V6(v6) => {
            let keep = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & keep).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_table() {
        #[rustfmt::skip]
        let table: &[(&str, &str, u16, bool)] = &[
            // Domains: the name and its subdomains, not look-alikes.
            ("example.com", "example.com", 80, true),
            ("example.com", "api.example.com", 80, true),
            ("example.com", "a.b.example.com", 443, true),
            ("example.com", "badexample.com", 80, false),
            ("example.com", "example.com.evil", 80, false),
            ("example.com", "com", 80, false),
            // A leading dot or `*.` means the same as the bare name (curl).
            (".example.com", "example.com", 80, true),
            (".example.com", "www.example.com", 80, true),
            ("*.example.com", "example.com", 80, true),
            ("*.example.com", "www.example.com", 80, true),
            (".example.com", "badexample.com", 80, false),
            // Case and trailing dots, on either side.
            ("Example.COM", "api.example.com", 80, true),
            ("example.com", "API.Example.Com", 80, true),
            ("example.com.", "example.com", 80, true),
            ("example.com", "example.com.", 80, true),
            ("example.com", "www.example.com.", 80, true),
            // `*` alone is everything; `*` inside a list too.
            ("*", "anything.test", 1, true),
            ("*", "10.0.0.1", 1, true),
            ("*", "[::1]", 1, true),
            ("foo, *", "bar", 1, true),
            // Empty entries and separators.
            ("", "example.com", 80, false),
            (",, ,", "example.com", 80, false),
            (" , example.com ,", "example.com", 80, true),
            ("a.test\texample.com", "example.com", 80, true),
            ("a.test b.test", "b.test", 80, true),
            // host:port matches that port only.
            ("example.com:8080", "example.com", 8080, true),
            ("example.com:8080", "example.com", 80, false),
            ("example.com:8080", "api.example.com", 8080, true),
            ("10.0.0.1:8080", "10.0.0.1", 8080, true),
            ("10.0.0.1:8080", "10.0.0.1", 80, false),
            ("[::1]:8080", "[::1]", 8080, true),
            ("[::1]:8080", "::1", 80, false),
            // IPv4 literals.
            ("127.0.0.1", "127.0.0.1", 80, true),
            ("127.0.0.1", "127.0.0.2", 80, false),
            ("127.0.0.1", "localhost", 80, false),
            ("localhost", "127.0.0.1", 80, false),
            // IPv6 literals, bracketed and bare, in the entry and in the host.
            ("::1", "[::1]", 80, true),
            ("::1", "::1", 80, true),
            ("[::1]", "[::1]", 80, true),
            ("[::1]", "::1", 80, true),
            ("[::1]", "[::2]", 80, false),
            ("2001:db8::1", "[2001:DB8:0:0::1]", 80, true),
            // Zone ids never break matching.
            ("fe80::1", "[fe80::1%25eth0]", 80, true),
            ("fe80::1", "fe80::1%eth0", 80, true),
            ("fe80::1%eth1", "[fe80::1]", 80, true),
            ("fe80::/10", "[fe80::1%25eth0]", 80, true),
            ("fe80::1", "[fe80::2%25eth0]", 80, false),
            // CIDR, IPv4, any prefix length; /17 boundaries.
            ("10.0.0.0/8", "10.255.255.255", 80, true),
            ("10.0.0.0/8", "11.0.0.0", 80, false),
            ("192.168.0.0/17", "192.168.0.0", 80, true),
            ("192.168.0.0/17", "192.168.127.255", 80, true),
            ("192.168.0.0/17", "192.168.128.0", 80, false),
            ("192.168.0.0/17", "192.167.255.255", 80, false),
            ("192.168.5.5/17", "192.168.100.1", 80, true),
            ("0.0.0.0/0", "203.0.113.9", 80, true),
            ("0.0.0.0/0", "[::1]", 80, false),
            ("10.1.2.3/32", "10.1.2.3", 80, true),
            ("10.1.2.3/32", "10.1.2.4", 80, false),
            ("10.0.0.0/8", "ten.example", 80, false),
            ("10.0.0.0/33", "10.0.0.1", 80, false),
            ("10.0.0.0/x", "10.0.0.1", 80, false),
            // CIDR, IPv6.
            ("fe80::/10", "[febf:ffff::1]", 80, true),
            ("fe80::/10", "[fec0::1]", 80, false),
            ("2001:db8::/32", "[2001:db8:ffff::1]", 80, true),
            ("2001:db8::/32", "[2001:db9::1]", 80, false),
            ("[2001:db8::]/48", "[2001:db8:0:ffff::1]", 80, true),
            ("::/0", "[::1]", 80, true),
            ("::/0", "10.0.0.1", 80, false),
            ("::1/128", "[::1]", 80, true),
            ("::1/129", "[::1]", 80, false),
            // IPv4-mapped IPv6 hosts match as IPv4.
            ("10.0.0.0/8", "[::ffff:10.1.2.3]", 80, true),
            ("10.1.2.3", "[::ffff:10.1.2.3]", 80, true),
            // Unparsable entries are skipped, the others still count.
            ("a::b::c, example.com", "example.com", 80, true),
            ("a:b:c", "a", 80, false),
            ("host:notaport, example.com", "host", 80, false),
            ("., example.com", "example.com", 80, true),
            ("[::1, example.com", "example.com", 80, true),
        ];
        for &(list, host, port, want) in table {
            let no_proxy = NoProxy::parse(list);
            assert_eq!(
                no_proxy.matches(host, port),
                want,
                "NO_PROXY={list:?} host={host:?} port={port}"
            );
        }
    }

    #[test]
    fn empty_lists_are_empty() {
        assert!(NoProxy::parse("").is_empty());
        assert!(NoProxy::parse(" ,, ").is_empty());
        assert!(NoProxy::parse("a::b::c").is_empty());
        assert!(!NoProxy::parse("*").is_empty());
    }

    #[test]
    fn uris_use_the_scheme_default_port() {
        let no_proxy = NoProxy::parse("secure.test:443, plain.test:80, [::1]:8443, fe80::1");
        for (uri, want) in [
            ("https://secure.test/", true),
            ("wss://secure.test/", true),
            ("http://secure.test/", false),
            ("http://plain.test/", true),
            ("ws://plain.test/", true),
            ("http://plain.test:8080/", false),
            ("https://[::1]:8443/", true),
            ("https://[::1]/", false),
            ("https://[fe80::1%25eth0]:8443/", true),
        ] {
            let uri: Uri = uri.parse().unwrap();
            assert_eq!(no_proxy.matches_uri(&uri), want, "{uri}");
        }
    }

    #[test]
    fn ip_parsing_strips_brackets_and_zones() {
        for (text, want) in [
            ("10.0.0.1", Some("10.0.0.1")),
            ("[::1]", Some("::1")),
            ("fe80::1%25eth0", Some("fe80::1")),
            ("[fe80::1%eth0]", Some("fe80::1")),
            ("::ffff:10.0.0.1", Some("10.0.0.1")),
            ("10.0.0.1%eth0", None),
            ("[10.0.0.1]", Some("10.0.0.1")),
            ("example.com", None),
            ("", None),
        ] {
            assert_eq!(parse_ip(text), want.map(|w| w.parse().unwrap()), "{text:?}");
        }
    }
}
