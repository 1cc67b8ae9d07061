//! URL parsing and the checks every request URL passes before any I/O.

use aioduct_core::{Error, ErrorKind};
use http::{
    HeaderValue, Uri,
    uri::{Authority, Scheme},
};
use percent_encoding::percent_decode_str;

/// Something that can be turned into a request URL: `&str`, `String`, `&String` or [`Uri`].
///
/// The URL must be absolute with an `http` or `https` scheme and a host. Hosts are lower-cased;
/// user information (`http://user:pass@host/`) is removed from the URL and sent as Basic
/// authorization instead.
pub trait IntoUrl: sealed::Sealed {
    #[doc(hidden)]
    fn into_uri(self) -> Result<Uri, Error>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for &str {}
    impl Sealed for String {}
    impl Sealed for &String {}
    impl Sealed for http::Uri {}
    impl Sealed for &http::Uri {}
}

impl IntoUrl for &str {
    fn into_uri(self) -> Result<Uri, Error> {
        self.parse::<Uri>()
            .map_err(|e| Error::new(ErrorKind::Builder, Some(e)))
    }
}

impl IntoUrl for String {
    fn into_uri(self) -> Result<Uri, Error> {
        Uri::try_from(self).map_err(|e| Error::new(ErrorKind::Builder, Some(e)))
    }
}

impl IntoUrl for &String {
    fn into_uri(self) -> Result<Uri, Error> {
        self.as_str().into_uri()
    }
}

impl IntoUrl for Uri {
    fn into_uri(self) -> Result<Uri, Error> {
        Ok(self)
    }
}

impl IntoUrl for &Uri {
    fn into_uri(self) -> Result<Uri, Error> {
        Ok(self.clone())
    }
}

/// A request URL that passed the checks, and the credentials its user information carried.
pub(crate) struct CheckedUrl {
    pub(crate) uri: Uri,
    pub(crate) basic_auth: Option<HeaderValue>,
}

/// Checks `uri` and normalizes it: lower-case host, `/` for an empty path, user information
/// moved out.
pub(crate) fn check(uri: Uri) -> Result<CheckedUrl, Error> {
    let bad = |msg: &str| Error::msg(ErrorKind::Builder, msg.to_owned()).with_url(uri.clone());

    let scheme = uri.scheme().ok_or_else(|| bad("URL has no scheme"))?;
    if *scheme != Scheme::HTTP && *scheme != Scheme::HTTPS {
        return Err(bad("URL scheme is not http or https"));
    }
    let authority = uri
        .authority()
        .ok_or_else(|| bad("URL has no host"))?
        .as_str();
    // Byte searches: every request passes here, and `str`'s char searchers cost more.
    let (userinfo, host_port) = match rfind(authority, b'@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (host, port) = split_port(host_port);
    if host.is_empty() || host == "[]" {
        return Err(bad("URL has no host"));
    }
    check_host(host).map_err(&bad)?;
    // `Authority` accepts a port it cannot represent as u16; the request would go nowhere.
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(bad("URL port is not a number from 0 to 65535"));
    }

    let upper_case = host_port.bytes().any(|b| b.is_ascii_uppercase());
    let needs_rebuild = userinfo.is_some() || upper_case || uri.path().is_empty();
    let basic_auth = userinfo.map(basic_from_userinfo).transpose()?;
    if !needs_rebuild {
        return Ok(CheckedUrl { uri, basic_auth });
    }

    let lower_host = host_port.to_ascii_lowercase();
    let mut parts = uri.into_parts();
    parts.authority =
        Some(Authority::try_from(lower_host).map_err(|e| Error::new(ErrorKind::Builder, Some(e)))?);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    let uri = Uri::from_parts(parts).map_err(|e| Error::new(ErrorKind::Builder, Some(e)))?;
    Ok(CheckedUrl { uri, basic_auth })
}

/// Rejects hosts that would mean something else after percent-decoding.
fn check_host(host: &str) -> Result<(), &'static str> {
    if host.starts_with('[') {
        // An IPv6 literal; `Authority` checked its characters. A zone id (`%25eth0`) is allowed.
        return Ok(());
    }
    if host.bytes().any(|b| b == b'%') {
        let decoded = percent_decode_str(host).collect::<Vec<u8>>();
        if decoded.iter().any(|&b| {
            matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\' | b':') || b < 0x21 || b == 0x7f
        }) {
            return Err("URL host contains an encoded delimiter or control character");
        }
        return Err("URL host is percent-encoded");
    }
    Ok(())
}

/// The host and the port text after it, if any (`host:port`, `[v6]:port`).
fn split_port(host_port: &str) -> (&str, Option<&str>) {
    // A colon inside an IPv6 literal's brackets is not a port separator.
    let after_host = rfind(host_port, b']').map_or(0, |bracket| bracket + 1);
    match rfind(&host_port[after_host..], b':') {
        Some(colon) => {
            let colon = after_host + colon;
            (&host_port[..colon], Some(&host_port[colon + 1..]))
        }
        None => (host_port, None),
    }
}

/// The index of the last `byte` (ASCII) in `text`.
fn rfind(text: &str, byte: u8) -> Option<usize> {
    text.bytes().rposition(|b| b == byte)
}

/// `user:password` (percent-encoded, as in a URL) as a Basic `Authorization` value.
fn basic_from_userinfo(userinfo: &str) -> Result<HeaderValue, Error> {
    let (user, password) = match userinfo.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (userinfo, None),
    };
    let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    crate::request::basic_auth_value(&decode(user), password.map(decode).as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(url: &str) -> Result<CheckedUrl, Error> {
        check(url.into_uri()?)
    }

    #[test]
    fn accepts_and_normalizes_good_urls() {
        let url = checked("HTTP://Example.COM:8080").unwrap();
        assert_eq!(url.uri.to_string(), "http://example.com:8080/");
        assert!(url.basic_auth.is_none());
        let url = checked("https://[::1]:443/a?b=c").unwrap();
        assert_eq!(url.uri.host(), Some("[::1]"));
        assert_eq!(url.uri.path(), "/a");
    }

    #[test]
    fn splits_host_and_port() {
        for (host_port, host, port) in [
            ("example.com", "example.com", None),
            ("example.com:8080", "example.com", Some("8080")),
            ("[::1]", "[::1]", None),
            ("[::1]:443", "[::1]", Some("443")),
            ("[fe80::1%25eth0]:1", "[fe80::1%25eth0]", Some("1")),
            ("host:", "host", Some("")),
        ] {
            assert_eq!(split_port(host_port), (host, port), "{host_port}");
        }
    }

    #[test]
    fn moves_userinfo_into_basic_auth() {
        let url = checked("http://us%40er:p%3Ass@host/").unwrap();
        assert_eq!(url.uri.to_string(), "http://host/");
        // base64("us@er:p:ss")
        assert_eq!(url.basic_auth.unwrap(), "Basic dXNAZXI6cDpzcw==");
    }

    #[test]
    fn rejects_bad_urls_as_builder_errors() {
        for url in [
            "/relative/only",
            "ftp://host/",
            "http:///nohost",
            "http://host:65536/",
            "http://host:99999999/",
            "http://ho%2fst/",
            "http://ho%3Fst/",
            "http://ho%23st/",
            "http://ho%00st/",
            "http://ho%0d%0ast/",
            "http://exa%6dple.com/",
            "http://host/pa\r\nth",
            "http://host/\0",
            "http://ho st/",
        ] {
            let err = match checked(url) {
                Ok(ok) => panic!("{url} was accepted as {}", ok.uri),
                Err(err) => err,
            };
            assert!(err.is_builder(), "{url}: {err:?}");
        }
    }
}
