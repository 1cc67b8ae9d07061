//! The rules a cookie must pass to be stored (RFC 6265bis §5.7) and to be sent (§5.8.3), and the
//! caps on both. Pure functions over cookie_store's types; the jar holds the state.

use std::{
    net::Ipv6Addr,
    time::{SystemTime, UNIX_EPOCH},
};

use cookie_store::{Cookie, CookieDomain, CookieExpiration, CookieStore, RawCookie};
use http::{HeaderValue, Method, Uri};
use url::{Host, Url};

use crate::RedirectContext;

/// Set-Cookie headers honoured per response; the rest are ignored.
pub(super) const MAX_SET_COOKIES: usize = 50;
/// Cookies per request, the caller's included.
pub(super) const MAX_REQUEST_COOKIES: usize = 150;
/// Bytes of the Cookie header per request, the caller's part included.
pub(super) const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Name plus value (RFC 6265bis §5.7 step 4).
const MAX_NAME_VALUE_BYTES: usize = 4096;
/// The longest lifetime a cookie keeps, whatever it asks for (RFC 6265bis §5.6.1, §5.6.2).
const MAX_LIFETIME_SECS: u64 = 400 * 24 * 60 * 60;

/// Why a Set-Cookie was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    NotHttp,
    Unparsable,
    ControlCharacter,
    TooLarge,
    SecureFromHttp,
    NoneWithoutSecure,
    SecurePrefix,
    HostPrefix,
    PublicSuffix,
    IpDomain,
    DomainMismatch,
    ShadowsSecure,
    Expired,
}

impl Refusal {
    pub(super) fn reason(self) -> &'static str {
        match self {
            Refusal::NotHttp => "cookies need an http or https URL with a host",
            Refusal::Unparsable => "not a cookie: no name=value pair",
            Refusal::ControlCharacter => "the cookie contains a control character",
            Refusal::TooLarge => "the cookie's name and value exceed 4096 bytes",
            Refusal::SecureFromHttp => "a Secure cookie can only be set from https",
            Refusal::NoneWithoutSecure => "SameSite=None needs Secure",
            Refusal::SecurePrefix => "a __Secure- cookie needs Secure and https",
            Refusal::HostPrefix => "a __Host- cookie needs Secure, https, no Domain and Path=/",
            Refusal::PublicSuffix => "the Domain attribute is a public suffix",
            Refusal::IpDomain => "an IP-address host only takes host-only cookies",
            Refusal::DomainMismatch => "the Domain attribute does not cover the host",
            Refusal::ShadowsSecure => "http cannot shadow a Secure cookie of the same name",
            Refusal::Expired => "the cookie is already expired",
        }
    }
}

/// Whether `url` is a secure channel. Only https: unlike browsers, plain http to a loopback
/// address is not treated as secure, so a Secure cookie never travels unencrypted.
pub(super) fn is_https(url: &Url) -> bool {
    url.scheme() == "https"
}

/// The URL of a request, when it is absolute.
pub(super) fn url_of(uri: &Uri) -> Option<Url> {
    uri.scheme()?;
    uri.authority()?;
    Url::parse(&uri.to_string()).ok()
}

/// Parses `set_cookie`, received in answer to `url`, and checks it against the rules for storing.
pub(super) fn accept(
    set_cookie: &str,
    url: &Url,
    store: &CookieStore,
) -> Result<Cookie<'static>, Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::NotHttp);
    }
    let host = url.host().ok_or(Refusal::NotHttp)?;
    if set_cookie.bytes().any(is_forbidden_control) {
        return Err(Refusal::ControlCharacter);
    }
    let mut raw = RawCookie::parse(set_cookie)
        .map_err(|_| Refusal::Unparsable)?
        .into_owned();
    if raw.name().len() + raw.value().len() > MAX_NAME_VALUE_BYTES {
        return Err(Refusal::TooLarge);
    }
    let secure = raw.secure() == Some(true);
    if secure && !is_https(url) {
        return Err(Refusal::SecureFromHttp);
    }
    // Secure implies https from here on.
    if has_prefix(raw.name(), "__Secure-") && !secure {
        return Err(Refusal::SecurePrefix);
    }
    if has_prefix(raw.name(), "__Host-")
        && !(secure && raw.domain().is_none() && raw.path() == Some("/"))
    {
        return Err(Refusal::HostPrefix);
    }
    if raw.same_site().is_some_and(|s| s.is_none()) && !secure {
        return Err(Refusal::NoneWithoutSecure);
    }
    if let Some(attribute) = raw.domain() {
        match domain_attribute(attribute, &host)? {
            Some(domain) => raw.set_domain(domain),
            None => raw.unset_domain(),
        }
    }
    let mut cookie = Cookie::try_from_raw_cookie(&raw, url)
        .map_err(|_| Refusal::DomainMismatch)?
        .into_owned();
    cap_lifetime(&mut cookie);
    if !is_https(url) && shadows_secure(&cookie, store) {
        return Err(Refusal::ShadowsSecure);
    }
    Ok(cookie)
}

/// CTLs but HTAB (RFC 6265bis §5.7 step 1): such a Set-Cookie is ignored whole.
fn is_forbidden_control(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t') || byte == 0x7f
}

/// Cookie prefixes match case-insensitively, so `__HOST-` cannot slip past the `__Host-` rules.
fn has_prefix(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// The domain a Domain attribute stands for: `Some` to share the cookie with subdomains, `None`
/// to make it host-only (the attribute names the host itself and the host is a public suffix or
/// an IP address).
fn domain_attribute(attribute: &str, host: &Host<&str>) -> Result<Option<String>, Refusal> {
    match host {
        Host::Ipv4(ip) => match Host::parse(attribute) {
            Ok(Host::Ipv4(other)) if other == *ip => Ok(None),
            _ => Err(Refusal::IpDomain),
        },
        Host::Ipv6(ip) => {
            let bare = attribute.trim_start_matches('[').trim_end_matches(']');
            match bare.parse::<Ipv6Addr>() {
                Ok(other) if other == *ip => Ok(None),
                _ => Err(Refusal::IpDomain),
            }
        }
        Host::Domain(host) => {
            let Ok(Host::Domain(domain)) = Host::parse(attribute) else {
                return Err(Refusal::DomainMismatch);
            };
            if is_public_suffix(&domain) {
                return if domain == *host {
                    Ok(None)
                } else {
                    Err(Refusal::PublicSuffix)
                };
            }
            if domain_suffix_matches(host, &domain) {
                Ok(Some(domain))
            } else {
                Err(Refusal::DomainMismatch)
            }
        }
    }
}

/// Whether `domain` is a public suffix, by the Public Suffix List with its implicit `*` rule, so
/// a single unknown label (`localhost`, `test`) counts as one too.
fn is_public_suffix(domain: &str) -> bool {
    psl::suffix_str(domain) == Some(domain)
}

/// Domain-match (RFC 6265bis §5.1.3) for a host that is a name, not an IP address.
fn domain_suffix_matches(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Caps the lifetime at 400 days.
fn cap_lifetime(cookie: &mut Cookie<'static>) {
    if let CookieExpiration::AtUtc(at) = &cookie.expires {
        let limit = unix_now().saturating_add(MAX_LIFETIME_SECS as i64);
        if at.unix_timestamp() > limit {
            cookie.expires = CookieExpiration::from(MAX_LIFETIME_SECS);
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// RFC 6265bis §5.7 step 16: a cookie from http may not shadow a Secure cookie of the same name
/// whose domain overlaps and whose path covers the new one.
fn shadows_secure(new: &Cookie<'_>, store: &CookieStore) -> bool {
    let new_domain = String::from(&new.domain);
    store.iter_unexpired().any(|old| {
        let old_domain = String::from(&old.domain);
        old.secure() == Some(true)
            && old.name() == new.name()
            && (domain_suffix_matches(&new_domain, &old_domain)
                || domain_suffix_matches(&old_domain, &new_domain))
            && path_matches(&new.path, &old.path)
    })
}

/// Path-match (RFC 6265bis §5.1.4).
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || request_path
            .strip_prefix(cookie_path)
            .is_some_and(|rest| cookie_path.ends_with('/') || rest.starts_with('/'))
}

/// What a request is, for SameSite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Context {
    /// A redirect hop to another site than the one the caller asked for.
    pub(super) cross_site: bool,
    /// GET or HEAD: SameSite=Lax cookies may go on a cross-site hop.
    pub(super) safe_method: bool,
}

impl Context {
    /// A request the user made: same-site by definition.
    pub(super) const TOP_LEVEL: Context = Context {
        cross_site: false,
        safe_method: true,
    };

    /// The context of `req` going to `url`: cross-site when a redirect hop's site (registrable
    /// domain) differs from the first URL's.
    pub(super) fn of<B>(req: &http::Request<B>, url: &Url) -> Context {
        let cross_site = req
            .extensions()
            .get::<RedirectContext>()
            .is_some_and(|context| {
                url_of(&context.first_url).is_none_or(|first| site(&first) != site(url))
            });
        Context {
            cross_site,
            safe_method: matches!(*req.method(), Method::GET | Method::HEAD),
        }
    }
}

/// The site of a URL: its registrable domain, else its host (an IP address, or a host that is
/// itself a public suffix).
fn site(url: &Url) -> Option<String> {
    Some(match url.host()? {
        Host::Domain(domain) => psl::domain_str(domain).unwrap_or(domain).to_owned(),
        ip => ip.to_string(),
    })
}

/// Whether `cookie` goes with a request to `url` in `context`.
pub(super) fn sendable(cookie: &Cookie<'_>, url: &Url, context: Context) -> bool {
    !cookie.is_expired()
        && domain_matches(&cookie.domain, url)
        && cookie.path.matches(url)
        && (cookie.secure() != Some(true) || is_https(url))
        && match cookie.same_site() {
            Some(same_site) if same_site.is_strict() => !context.cross_site,
            Some(same_site) if same_site.is_lax() => !context.cross_site || context.safe_method,
            _ => true,
        }
}

/// Host-only cookies match their host exactly; others also match its subdomains, never an IP
/// address by suffix.
fn domain_matches(domain: &CookieDomain, url: &Url) -> bool {
    match (domain, url.host()) {
        (CookieDomain::HostOnly(own), Some(_)) => url.host_str() == Some(own.as_str()),
        (CookieDomain::Suffix(own), Some(Host::Domain(host))) => domain_suffix_matches(host, own),
        (CookieDomain::Suffix(own), Some(_)) => url.host_str() == Some(own.as_str()),
        _ => false,
    }
}

/// The Cookie header for a request: the caller's cookies first, then the jar's in cookie order,
/// skipping names the caller set, within the count and size caps. `None` when the jar adds nothing.
pub(super) fn merge<'c>(
    caller: &[HeaderValue],
    jar: impl IntoIterator<Item = (&'c str, &'c str)>,
) -> Option<HeaderValue> {
    let mut header = Vec::new();
    let mut names = Vec::new();
    for value in caller {
        let value = value.as_bytes().trim_ascii();
        for pair in value.split(|&b| b == b';') {
            let pair = pair.trim_ascii();
            if !pair.is_empty() {
                let name = pair.split(|&b| b == b'=').next().unwrap_or(pair);
                names.push(name.trim_ascii());
            }
        }
        if !value.is_empty() {
            push_pair(&mut header, value);
        }
    }
    let mut count = names.len();
    let mut added = false;
    for (name, value) in jar {
        if count >= MAX_REQUEST_COOKIES {
            break;
        }
        if names.contains(&name.as_bytes()) {
            continue;
        }
        let separator = if header.is_empty() { 0 } else { 2 };
        if header.len() + separator + name.len() + 1 + value.len() > MAX_HEADER_BYTES {
            break;
        }
        push_pair(&mut header, format!("{name}={value}").as_bytes());
        count += 1;
        added = true;
    }
    if !added {
        return None;
    }
    HeaderValue::from_bytes(&header).ok()
}

fn push_pair(header: &mut Vec<u8>, pair: &[u8]) {
    if !header.is_empty() {
        header.extend_from_slice(b"; ");
    }
    header.extend_from_slice(pair);
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
