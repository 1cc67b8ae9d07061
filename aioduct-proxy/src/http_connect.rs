//! HTTP CONNECT (RFC 9110 section 9.3.6): the request, a bounded read of the response head that
//! never takes a byte of the tunnel, and the parsing of that head.

use aioduct_core::{
    Error,
    http::HeaderValue,
    io::{AsyncRead, AsyncWrite},
};

use crate::io::{handshake_io_error, proxy_error, read_some, write_all};

/// The longest response head accepted from a proxy.
pub(crate) const MAX_HEAD: usize = 16 * 1024;

const PROTOCOL: &str = "HTTP CONNECT";

/// Asks the proxy on `io` for a tunnel to `authority` (`host:port`, IPv6 in brackets). On success
/// the next byte read from `io` is the first byte the origin sent.
pub(crate) async fn tunnel<S>(
    io: &mut S,
    authority: &str,
    authorization: Option<&HeaderValue>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    write_all(io, &request(authority, authorization))
        .await
        .map_err(|err| handshake_io_error(PROTOCOL, err))?;
    let head = read_head(io).await?;
    check(&parse_head(&head)?, authorization.is_some())
}

/// The CONNECT request: `Host` and, with credentials, `Proxy-Authorization`; nothing else, so no
/// header meant for the origin ever reaches the proxy.
fn request(authority: &str, authorization: Option<&HeaderValue>) -> Vec<u8> {
    let mut out = Vec::with_capacity(96 + authority.len() * 2);
    for part in [b"CONNECT ", authority.as_bytes(), b" HTTP/1.1\r\nHost: "] {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(authority.as_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(value) = authorization {
        out.extend_from_slice(b"Proxy-Authorization: ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads the response head, up to and including the blank line, and not one byte more: the
/// stream goes on to be the tunnel, so what the proxy sends after the head (the origin's first
/// bytes, which may arrive in the same packet) must stay in it. Each read asks only for as many
/// bytes as could still belong to the head, which bounds it without a buffer to hand over.
async fn read_head<S: AsyncRead + Unpin>(io: &mut S) -> Result<Vec<u8>, Error> {
    let mut head = Vec::with_capacity(128);
    let mut buf = [0; 4];
    loop {
        let want = bytes_to_end(&head);
        if want == 0 {
            return Ok(head);
        }
        if head.len() + want > MAX_HEAD {
            return Err(proxy_error(format!(
                "the proxy's CONNECT response head is longer than {} KiB",
                MAX_HEAD / 1024
            )));
        }
        let n = read_some(io, &mut buf[..want])
            .await
            .map_err(|err| handshake_io_error(PROTOCOL, err))?;
        if n == 0 {
            return Err(handshake_io_error(
                PROTOCOL,
                std::io::ErrorKind::UnexpectedEof.into(),
            ));
        }
        head.extend_from_slice(&buf[..n]);
    }
}

/// How many bytes may still be read without passing the end of the head (`\r\n\r\n`): 0 when
/// the head is complete, else 4 less the part of the terminator already at its end.
fn bytes_to_end(head: &[u8]) -> usize {
    const END: &[u8; 4] = b"\r\n\r\n";
    (0..=END.len())
        .rev()
        .find(|&k| head.ends_with(&END[..k]))
        .map_or(END.len(), |k| END.len() - k)
}

/// What matters in a CONNECT response.
#[derive(Debug, PartialEq, Eq)]
struct ConnectResponse {
    status: u16,
    reason: String,
    proxy_authenticate: Vec<String>,
}

/// Parses a complete head: `HTTP/1.x NNN [reason]` and header lines.
fn parse_head(head: &[u8]) -> Result<ConnectResponse, Error> {
    let malformed =
        |what: &str| proxy_error(format!("malformed CONNECT response from the proxy: {what}"));
    let body = head.strip_suffix(b"\r\n\r\n").unwrap_or(head);
    let mut lines = body
        .split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let status_line = lines.next().unwrap_or_default();

    let rest = status_line
        .strip_prefix(b"HTTP/1.")
        .filter(|rest| rest.first().is_some_and(u8::is_ascii_digit) && rest.get(1) == Some(&b' '))
        .ok_or_else(|| malformed("not an HTTP/1.x status line"))?;
    let code = &rest[2..];
    let status = match code.get(..3) {
        Some(digits)
            if digits.iter().all(u8::is_ascii_digit)
                && matches!(code.get(3), None | Some(b' ')) =>
        {
            digits
                .iter()
                .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
        }
        _ => return Err(malformed("bad status code")),
    };
    let reason = code.get(4..).map(printable).unwrap_or_default();

    let mut proxy_authenticate = Vec::new();
    for line in lines {
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            // An obsolete folded continuation: nothing here needs its value.
            continue;
        }
        let colon = line.iter().position(|&b| b == b':');
        let (name, value) = match colon {
            Some(at) if at > 0 && line[..at].iter().all(|b| b.is_ascii_graphic()) => {
                (&line[..at], &line[at + 1..])
            }
            _ => return Err(malformed("bad header line")),
        };
        if name.eq_ignore_ascii_case(b"proxy-authenticate") {
            proxy_authenticate.push(printable(value).trim().to_owned());
        }
    }
    Ok(ConnectResponse {
        status,
        reason,
        proxy_authenticate,
    })
}

/// Text from the proxy, safe to put in an error message: lossy UTF-8, no control characters,
/// bounded length.
fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect()
}

/// A 2xx status is a tunnel; anything else is a proxy error that says why.
fn check(response: &ConnectResponse, sent_credentials: bool) -> Result<(), Error> {
    let status = format!("{} {}", response.status, response.reason);
    let status = status.trim_end();
    match response.status {
        200..=299 => Ok(()),
        407 if sent_credentials => Err(proxy_error(format!(
            "the proxy refused the credentials ({status})"
        ))),
        407 => {
            let challenge = match response.proxy_authenticate.as_slice() {
                [] => String::new(),
                challenges => format!("; it asks for: {}", challenges.join(", ")),
            };
            Err(proxy_error(format!(
                "the proxy requires authentication ({status}){challenge}; \
                 set credentials in the proxy URL or with ProxyConfig::basic_auth"
            )))
        }
        _ => Err(proxy_error(format!(
            "the proxy refused the CONNECT tunnel ({status})"
        ))),
    }
}

#[cfg(test)]
mod tests;
