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
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "http" => 80,
            "https" => 443,
            _ => return None,
        };
        let host = uri.host()?.to_ascii_lowercase();
        Some(Origin {
            port: uri.port_u16().unwrap_or(default_port),
            scheme,
            host,
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
    match (Origin::of(a), Origin::of(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
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
        ];
        for (a, b, same) in cases {
            assert_eq!(same_origin(&uri(a), &uri(b)), same, "{a} vs {b}");
        }
    }
}
