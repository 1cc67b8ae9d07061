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
    let Split {
        userinfo,
        host_port,
        host,
        port,
        percent_in_host,
        upper_case,
    } = split(authority);
    if host.is_empty() || host == "[]" {
        return Err(bad("URL has no host"));
    }
    if percent_in_host {
        check_host(host).map_err(&bad)?;
    }
    // `Authority` accepts a port it cannot represent as u16; the request would go nowhere.
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(bad("URL port is not a number from 0 to 65535"));
    }

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

/// Rejects a host with a `%` in it: it would mean something else after percent-decoding.
fn check_host(host: &str) -> Result<(), &'static str> {
    if host.starts_with('[') {
        // An IPv6 literal; `Authority` checked its characters. A zone id (`%25eth0`) is allowed.
        return Ok(());
    }
    let decoded = percent_decode_str(host).collect::<Vec<u8>>();
    if decoded
        .iter()
        .any(|&b| matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\' | b':') || b < 0x21 || b == 0x7f)
    {
        return Err("URL host contains an encoded delimiter or control character");
    }
    Err("URL host is percent-encoded")
}

/// An authority's parts, found in one pass over its bytes: every request passes here.
struct Split<'a> {
    /// Before the last `@`.
    userinfo: Option<&'a str>,
    /// After it: `host[:port]`.
    host_port: &'a str,
    host: &'a str,
    /// The text after the port separator, if any (a colon inside an IPv6 literal's brackets is
    /// not one).
    port: Option<&'a str>,
    percent_in_host: bool,
    /// An upper-case letter after the user information.
    upper_case: bool,
}

fn split(authority: &str) -> Split<'_> {
    // Positions in `authority`; what was seen before an `@` belonged to the user information.
    let (mut at, mut colon, mut percent, mut upper_case) = (None, None, None, false);
    for (i, b) in authority.bytes().enumerate() {
        match b {
            b'@' => (at, colon, percent, upper_case) = (Some(i), None, None, false),
            b']' => colon = None,
            b':' => colon = Some(i),
            b'%' if percent.is_none() => percent = Some(i),
            b'A'..=b'Z' => upper_case = true,
            _ => {}
        }
    }
    let host_start = at.map_or(0, |at| at + 1);
    let host_end = colon.unwrap_or(authority.len());
    Split {
        userinfo: at.map(|at| &authority[..at]),
        host_port: &authority[host_start..],
        host: &authority[host_start..host_end],
        port: colon.map(|colon| &authority[colon + 1..]),
        percent_in_host: percent.is_some_and(|percent| percent < host_end),
        upper_case,
    }
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
    fn splits_authorities_in_one_pass() {
        for (authority, userinfo, host, port) in [
            ("example.com", None, "example.com", None),
            ("example.com:8080", None, "example.com", Some("8080")),
            ("[::1]", None, "[::1]", None),
            ("[::1]:443", None, "[::1]", Some("443")),
            ("[fe80::1%25eth0]:1", None, "[fe80::1%25eth0]", Some("1")),
            ("host:", None, "host", Some("")),
            ("us:er@host:1", Some("us:er"), "host", Some("1")),
            ("a@b@Host", Some("a@b"), "Host", None),
        ] {
            let split = split(authority);
            assert_eq!(
                (split.userinfo, split.host, split.port),
                (userinfo, host, port),
                "{authority}"
            );
        }
        assert!(split("ho%41st:1").percent_in_host);
        assert!(
            !split("us%40er@host:1").percent_in_host,
            "the % is the user's"
        );
        assert!(!split("host:8%30").percent_in_host, "the % is the port's");
        assert!(split("Us@Host").upper_case);
        assert!(
            !split("USER@host:1").upper_case,
            "upper case only in the user information"
        );
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
