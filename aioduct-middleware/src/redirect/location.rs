//! Resolving a `Location` header against the URL that answered with it (RFC 3986 §5), and the
//! checks a redirect target passes before it is requested.

use std::{borrow::Cow, fmt::Write};

use http::{Uri, uri::Authority};

/// Why a `Location` was refused; the text becomes the error's message.
pub(super) type Refusal = &'static str;

/// Resolves `location` against `base`, an absolute `http` or `https` URL.
///
/// The result is an absolute `http` or `https` URL with a lower-case host, no user information
/// (it is dropped, never turned into credentials) and no fragment (fragments are never sent).
/// Bytes that cannot appear in a URL (non-ASCII, space, `"<>\^`{|}`) in the path and query are
/// percent-encoded, as browsers do.
pub(super) fn resolve(base: &Uri, location: &[u8]) -> Result<Uri, Refusal> {
    let location = location.trim_ascii();
    let location = match location.iter().position(|&b| b == b'#') {
        Some(hash) => &location[..hash],
        None => location,
    };
    if location.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Err("the Location contains a control character");
    }
    let base_scheme = base.scheme_str().ok_or("the current URL is not absolute")?;
    let base_authority = base.authority().ok_or("the current URL has no host")?;

    let (scheme, authority, rest): (&str, Option<&[u8]>, &[u8]) =
        if let Some((scheme, rest)) = split_scheme(location) {
            let scheme = if scheme.eq_ignore_ascii_case("http") {
                "http"
            } else if scheme.eq_ignore_ascii_case("https") {
                "https"
            } else {
                return Err("the Location is not an http or https URL");
            };
            let rest = rest
                .strip_prefix(b"//")
                .ok_or("the Location is not a valid absolute URL")?;
            let (authority, rest) = split_authority(rest);
            (scheme, Some(authority), rest)
        } else if let Some(rest) = location.strip_prefix(b"//") {
            let (authority, rest) = split_authority(rest);
            (base_scheme, Some(authority), rest)
        } else {
            (base_scheme, None, location)
        };

    let (path, query) = match rest.iter().position(|&b| b == b'?') {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let path = String::from_utf8_lossy(path);
    let (path, query) = match authority {
        // `//host` and `scheme://host` references carry their own path (possibly empty).
        Some(_) => (
            remove_dot_segments(format!("/{}", path.trim_start_matches('/')).into()),
            query,
        ),
        None if path.starts_with('/') => (remove_dot_segments(path), query),
        None if path.is_empty() => {
            // `?query` keeps the path; an empty reference is the base URL itself.
            let query = query.or_else(|| base.query().map(str::as_bytes));
            (Cow::Borrowed(base.path()), query)
        }
        None => {
            let dir = match base.path().rfind('/') {
                Some(slash) => &base.path()[..=slash],
                None => "/",
            };
            (remove_dot_segments(format!("{dir}{path}").into()), query)
        }
    };
    let authority = match authority {
        Some(authority) => Cow::Owned(clean_authority(authority)?),
        None => lower_case(strip_userinfo(base_authority.as_str())),
    };

    // Built in one buffer, which becomes the URL's without a copy.
    let capacity =
        scheme.len() + 3 + authority.len() + path.len() + query.map_or(0, |q| 1 + q.len());
    let mut url = String::with_capacity(capacity);
    for part in [scheme, "://", &authority] {
        url.push_str(part);
    }
    encode_into(&mut url, path.as_bytes());
    if let Some(query) = query {
        url.push('?');
        encode_into(&mut url, query);
    }
    let uri = Uri::try_from(url).map_err(|_| "the Location is not a valid URL")?;
    check_host(&uri)?;
    Ok(uri)
}

/// `text` in lower case, copied only when it has an upper-case letter.
fn lower_case(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Splits `scheme:rest` when `input` starts with a scheme (RFC 3986 §3.1).
fn split_scheme(input: &[u8]) -> Option<(&str, &[u8])> {
    let colon = input.iter().position(|&b| b == b':')?;
    let scheme = &input[..colon];
    let first = *scheme.first()?;
    let valid = first.is_ascii_alphabetic()
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    // A colon in a relative path's first segment (`a:b`) parses as a scheme, as RFC 3986 says.
    if !valid {
        return None;
    }
    let scheme = std::str::from_utf8(scheme).ok()?;
    Some((scheme, &input[colon + 1..]))
}

/// Splits `authority[/path][?query]` after the `//`.
fn split_authority(input: &[u8]) -> (&[u8], &[u8]) {
    let end = input
        .iter()
        .position(|&b| b == b'/' || b == b'?' || b == b'\\')
        .unwrap_or(input.len());
    (&input[..end], &input[end..])
}

/// The authority of a `Location`, lower case and without user information.
fn clean_authority(authority: &[u8]) -> Result<String, Refusal> {
    let authority =
        std::str::from_utf8(authority).map_err(|_| "the Location's host is not ASCII")?;
    if !authority.is_ascii() {
        return Err("the Location's host is not ASCII");
    }
    let host_port = strip_userinfo(authority).to_ascii_lowercase();
    if host_port.is_empty() {
        return Err("the Location has no host");
    }
    Authority::try_from(host_port.as_str()).map_err(|_| "the Location's host is not valid")?;
    Ok(host_port)
}

fn strip_userinfo(authority: &str) -> &str {
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// Refuses hosts that would reach somewhere else than they say: an IPv6 zone identifier (a
/// server has no business naming this machine's interfaces, and WHATWG URLs have none), an
/// encoded delimiter or control character, a port beyond 65535.
fn check_host(uri: &Uri) -> Result<(), Refusal> {
    let authority = uri.authority().ok_or("the Location has no host")?;
    let host = authority.host();
    if host.is_empty() || host == "[]" {
        return Err("the Location has no host");
    }
    if host.starts_with('[') {
        if host.contains('%') {
            return Err("the Location's host is an IPv6 address with a zone identifier");
        }
    } else if host.contains('%') {
        let decoded = percent_decode(host.as_bytes());
        if decoded.iter().any(|&b| {
            matches!(b, b'/' | b'?' | b'#' | b'@' | b'\\' | b':') || !(0x21..0x7f).contains(&b)
        }) {
            return Err("the Location's host contains an encoded delimiter or control character");
        }
    }
    // `Authority` accepts a port it cannot represent as u16; the request would go nowhere.
    let after_host = match authority.as_str().rsplit_once(']') {
        Some((_, after)) => after,
        None => authority.as_str(),
    };
    if let Some((_, port)) = after_host.rsplit_once(':')
        && !port.is_empty()
        && port.parse::<u16>().is_err()
    {
        return Err("the Location's port is not a number from 0 to 65535");
    }
    Ok(())
}

fn percent_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if input[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}

/// Appends `bytes`, percent-encoding what a URL cannot carry as it is.
fn encode_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if b >= 0x80
            || matches!(
                b,
                b' ' | b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            let _ = write!(out, "%{b:02X}");
        } else {
            out.push(b as char);
        }
    }
}

/// RFC 3986 §5.2.4 on an absolute path: `.` and `..` segments removed, never above the root.
/// A path without them, the usual case, is returned as it is.
fn remove_dot_segments(path: Cow<'_, str>) -> Cow<'_, str> {
    if !path
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return path;
    }
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." => {}
            ".." => {
                out.pop();
            }
            segment => {
                out.push(segment);
                continue;
            }
        }
        // A trailing `.` or `..` leaves a directory: `/a/b/..` is `/a/`.
        if last {
            out.push("");
        }
    }
    Cow::Owned(format!("/{}", out.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_like_rfc_3986() {
        let base: Uri = "http://a.test/b/c/d;p?q".parse().unwrap();
        let cases = [
            // RFC 3986 §5.4.1 normal examples that apply to http.
            ("g", "http://a.test/b/c/g"),
            ("./g", "http://a.test/b/c/g"),
            ("g/", "http://a.test/b/c/g/"),
            ("/g", "http://a.test/g"),
            ("//g", "http://g/"),
            ("?y", "http://a.test/b/c/d;p?y"),
            ("g?y", "http://a.test/b/c/g?y"),
            ("#s", "http://a.test/b/c/d;p?q"),
            ("g#s", "http://a.test/b/c/g"),
            ("", "http://a.test/b/c/d;p?q"),
            (".", "http://a.test/b/c/"),
            ("..", "http://a.test/b/"),
            ("../g", "http://a.test/b/g"),
            ("../../../g", "http://a.test/g"),
            ("/./g", "http://a.test/g"),
            ("/../g", "http://a.test/g"),
            // Absolute, scheme-relative, case, user information, spaces and UTF-8.
            (
                "HTTPS://User:Pw@B.Test:8443/x?y#z",
                "https://b.test:8443/x?y",
            ),
            ("//c.test:81", "http://c.test:81/"),
            ("  /padded  ", "http://a.test/padded"),
            ("/a b/\u{e9}", "http://a.test/a%20b/%C3%A9"),
            ("http://[::1]:8080/v6", "http://[::1]:8080/v6"),
            // A backslash ends the authority and stays in the path, encoded: same host.
            ("/\\evil.test/", "http://a.test/%5Cevil.test/"),
        ];
        for (location, expected) in cases {
            let got =
                resolve(&base, location.as_bytes()).unwrap_or_else(|e| panic!("{location:?}: {e}"));
            assert_eq!(got.to_string(), expected, "{location:?}");
        }
    }

    #[test]
    fn bad_locations_are_refused() {
        let base: Uri = "http://a.test/".parse().unwrap();
        let cases = [
            "ftp://a.test/",
            "javascript:alert(1)",
            "data:text/plain,x",
            "http:/no-authority",
            "http://",
            "//",
            "http://[::1%25.foo.com]/",
            "http://[::1%25eth0]:80/",
            "http://a%2fb.test/",
            "http://a.test:99999/",
            "http://b\u{fc}cher.test/",
            "/x\ty",
        ];
        for location in cases {
            assert!(
                resolve(&base, location.as_bytes()).is_err(),
                "{location:?} should be refused"
            );
        }
    }

    #[test]
    fn dot_segments() {
        let cases = [
            ("/", "/"),
            ("/a/b/..", "/a/"),
            ("/a/./b", "/a/b"),
            ("/..", "/"),
            ("/a//../b", "/a/b"),
            ("/a/b/.", "/a/b/"),
            ("/a/b.c/..d/.e", "/a/b.c/..d/.e"),
        ];
        for (input, expected) in cases {
            assert_eq!(remove_dot_segments(input.into()), expected, "{input}");
        }
    }
}
