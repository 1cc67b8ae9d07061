use http::Uri;

/// The origin of a URL as Fetch defines it: scheme, host and port (the scheme's default port
/// when none is written). Hosts compare case-insensitively and nothing else is normalized, so
/// `example.com.` and `example.com` are different origins.
///
/// ```
/// use aioduct_middleware::Origin;
///
/// let a = Origin::of(&"http://Example.com/a".parse().unwrap()).unwrap();
/// let b = Origin::of(&"http://example.com:80/b".parse().unwrap()).unwrap();
/// assert_eq!(a, b);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an absolute `http` or `https` URL; `None` for anything else.
    pub fn of(uri: &Uri) -> Option<Origin> {
        let (https, host, port) = parts(uri)?;
        Some(Origin {
            scheme: if https { "https" } else { "http" }.to_owned(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// The scheme, lower case.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, lower case (IPv6 addresses keep their brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, explicit or the scheme's default.
    pub fn port(&self) -> u16 {
        self.port
    }
}

/// Whether two URLs share an origin. A URL without one (relative, another scheme) shares none.
///
/// ```
/// use aioduct_middleware::same_origin;
///
/// let a = "https://example.com/".parse().unwrap();
/// assert!(same_origin(&a, &"https://example.com:443/x".parse().unwrap()));
/// assert!(!same_origin(&a, &"http://example.com/".parse().unwrap()));
/// assert!(!same_origin(&a, &"https://example.com:8443/".parse().unwrap()));
/// assert!(!same_origin(&a, &"https://www.example.com/".parse().unwrap()));
/// ```
pub fn same_origin(a: &Uri, b: &Uri) -> bool {
    // Compared in place: every redirect hop asks, and `Origin::of` allocates. Authorities
    // equal but for case are one host and port (the usual hop), with nothing to parse.
    if a.authority().is_some() && a.authority() == b.authority() {
        return is_https(a).is_some() && is_https(a) == is_https(b);
    }
    match (parts(a), parts(b)) {
        (Some((a_https, a_host, a_port)), Some((b_https, b_host, b_port))) => {
            a_https == b_https && a_port == b_port && a_host.eq_ignore_ascii_case(b_host)
        }
        _ => false,
    }
}

/// Whether an `http` or `https` URL is https; `None` for any other or no scheme.
fn is_https(uri: &Uri) -> Option<bool> {
    match uri.scheme_str()? {
        scheme if scheme.eq_ignore_ascii_case("https") => Some(true),
        scheme if scheme.eq_ignore_ascii_case("http") => Some(false),
        _ => None,
    }
}

/// An origin borrowed from its URL: whether the scheme is https, the host as written, the
/// port. `None` as for [`Origin::of`].
fn parts(uri: &Uri) -> Option<(bool, &str, u16)> {
    let https = is_https(uri)?;
    let default_port = if https { 443 } else { 80 };
    Some((https, uri.host()?, uri.port_u16().unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn origins_compare_scheme_host_and_effective_port() {
        let cases = [
            ("http://a.test/", "http://A.TEST:80/x", true),
            ("http://a.test/", "https://a.test/", false),
            ("http://a.test/", "http://a.test:8080/", false),
            ("http://a.test/", "http://a.test./", false),
            ("http://[::1]/", "http://[::1]:80/", true),
            ("http://[::1]/", "http://b.test/", false),
            ("http://a.test/", "/relative", false),
            ("http://u:p@a.test/", "http://a.test/", true),
            ("HTTPS://a.test/", "https://a.test:443/", true),
            ("ftp://a.test/", "ftp://a.test/", false),
            ("http://a.test/", "ftp://a.test/", false),
            ("http://A.Test:8080/", "http://a.test:8080/y", true),
            ("https://a.test:8080/", "http://a.test:8080/", false),
        ];
        for (a, b, same) in cases {
            let (a, b) = (uri(a), uri(b));
            assert_eq!(same_origin(&a, &b), same, "{a} vs {b}");
            let by_value = Origin::of(&a)
                .zip(Origin::of(&b))
                .is_some_and(|(a, b)| a == b);
            assert_eq!(by_value, same, "Origin::of: {a} vs {b}");
        }
    }
}
