//! SOCKS5 (RFC 1928) with no authentication or username/password (RFC 1929).

use std::net::IpAddr;

use aioduct_core::{
    Error, ErrorKind,
    io::{AsyncRead, AsyncWrite},
};

use crate::{
    config::Credentials,
    io::{handshake_io_error, proxy_error, read_exact, write_all},
};

const PROTOCOL: &str = "SOCKS5";
const NO_AUTH: u8 = 0x00;
const USER_PASSWORD: u8 = 0x02;
const NO_ACCEPTABLE: u8 = 0xff;

/// What a SOCKS5 proxy is asked to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Socks5Dest<'a> {
    /// An address (resolved locally, or a literal in the URL).
    Addr(IpAddr),
    /// A name the proxy resolves (`socks5h`).
    Name(&'a str),
}

/// Checks a host name for the proxy to resolve before anything is sent: 1 to 255 bytes.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 255 {
        return Err(Error::msg(
            ErrorKind::Builder,
            format!(
                "SOCKS5 carries host names of 1 to 255 bytes; this one has {}",
                name.len()
            ),
        ));
    }
    Ok(())
}

/// Checks credentials before anything is sent: a user name of 1 to 255 bytes, a password of at
/// most 255 (RFC 1929).
pub(crate) fn check_credentials(credentials: Option<&Credentials>) -> Result<(), Error> {
    let Some(Credentials { user, password }) = credentials else {
        return Ok(());
    };
    let bad = |what: String| Err(Error::msg(ErrorKind::Builder, what));
    if user.is_empty() || user.len() > 255 {
        return bad(format!(
            "a SOCKS5 user name must be 1 to 255 bytes; this one has {}",
            user.len()
        ));
    }
    if password.len() > 255 {
        return bad(format!(
            "a SOCKS5 password must be at most 255 bytes; this one has {}",
            password.len()
        ));
    }
    Ok(())
}

/// Runs the SOCKS5 handshake on `io` for `dest:port`. [`check_name`] and [`check_credentials`]
/// must have passed.
pub(crate) async fn handshake<S>(
    io: &mut S,
    dest: Socks5Dest<'_>,
    port: u16,
    credentials: Option<&Credentials>,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io_error = |err| handshake_io_error(PROTOCOL, err);
    let mut two = [0; 2];

    write_all(io, greeting(credentials.is_some()))
        .await
        .map_err(io_error)?;
    read_exact(io, &mut two).await.map_err(io_error)?;
    if method_reply(two, credentials.is_some())? == USER_PASSWORD {
        let credentials = credentials.expect("user/password is only accepted when offered");
        write_all(io, &auth_request(credentials))
            .await
            .map_err(io_error)?;
        read_exact(io, &mut two).await.map_err(io_error)?;
        auth_reply(two)?;
    }

    write_all(io, &connect_request(dest, port))
        .await
        .map_err(io_error)?;
    let mut head = [0; 4];
    read_exact(io, &mut head).await.map_err(io_error)?;
    // The bound address that follows is of no use to a client, but it must be read: the
    // origin's bytes come after it.
    let rest = match reply_head(head)? {
        BoundAddr::Fixed(len) => len,
        BoundAddr::Name => {
            let mut len = [0; 1];
            read_exact(io, &mut len).await.map_err(io_error)?;
            usize::from(len[0]) + 2
        }
    };
    let mut bound = [0; 255 + 2];
    read_exact(io, &mut bound[..rest]).await.map_err(io_error)?;
    Ok(())
}

fn greeting(with_credentials: bool) -> &'static [u8] {
    if with_credentials {
        &[5, 2, NO_AUTH, USER_PASSWORD]
    } else {
        &[5, 1, NO_AUTH]
    }
}

/// The method the proxy chose, if it is one we offered.
fn method_reply(reply: [u8; 2], offered_password: bool) -> Result<u8, Error> {
    match reply {
        [5, NO_AUTH] => Ok(NO_AUTH),
        [5, USER_PASSWORD] if offered_password => Ok(USER_PASSWORD),
        [5, NO_ACCEPTABLE] if offered_password => Err(proxy_error(
            "the SOCKS5 proxy accepted none of the offered authentication methods \
             (none, username/password)",
        )),
        [5, NO_ACCEPTABLE] => Err(proxy_error(
            "the SOCKS5 proxy requires authentication; set a user name and password",
        )),
        [5, method] => Err(proxy_error(format!(
            "the SOCKS5 proxy chose authentication method {method:#04x}, which was not offered"
        ))),
        [version, _] => Err(malformed(format!("version {version} instead of 5"))),
    }
}

/// `VER=1 ULEN UNAME PLEN PASSWD`.
fn auth_request(credentials: &Credentials) -> Vec<u8> {
    let (user, password) = (credentials.user.as_bytes(), credentials.password.as_bytes());
    let mut out = Vec::with_capacity(3 + user.len() + password.len());
    out.push(1);
    out.push(u8::try_from(user.len()).expect("checked before the handshake"));
    out.extend_from_slice(user);
    out.push(u8::try_from(password.len()).expect("checked before the handshake"));
    out.extend_from_slice(password);
    out
}

fn auth_reply(reply: [u8; 2]) -> Result<(), Error> {
    match reply {
        // RFC 1929 says version 1; some servers answer 5.
        [1 | 5, 0] => Ok(()),
        [1 | 5, status] => Err(proxy_error(format!(
            "the SOCKS5 proxy rejected the user name or password (status {status})"
        ))),
        [version, _] => Err(malformed(format!("authentication reply version {version}"))),
    }
}

/// `VER=5 CMD=1 RSV=0 ATYP DST.ADDR DST.PORT`.
fn connect_request(dest: Socks5Dest<'_>, port: u16) -> Vec<u8> {
    let mut out = vec![5, 1, 0];
    match dest {
        Socks5Dest::Addr(IpAddr::V4(ip)) => {
            out.push(1);
            out.extend_from_slice(&ip.octets());
        }
        Socks5Dest::Addr(IpAddr::V6(ip)) => {
            out.push(4);
            out.extend_from_slice(&ip.octets());
        }
        Socks5Dest::Name(name) => {
            out.push(3);
            out.push(u8::try_from(name.len()).expect("checked before the handshake"));
            out.extend_from_slice(name.as_bytes());
        }
    }
    out.extend_from_slice(&port.to_be_bytes());
    out
}

/// How the bound address after a reply head is written.
#[derive(Debug, PartialEq, Eq)]
enum BoundAddr {
    /// This many more bytes (address and port).
    Fixed(usize),
    /// A length byte, then that many bytes and the port.
    Name,
}

/// `VER REP RSV ATYP`: success, or an error saying what REP means.
fn reply_head(head: [u8; 4]) -> Result<BoundAddr, Error> {
    let [version, code, _reserved, address_type] = head;
    if version != 5 {
        return Err(malformed(format!("version {version} instead of 5")));
    }
    if code != 0 {
        return Err(proxy_error(format!(
            "the SOCKS5 proxy could not connect: {} (reply code {code})",
            reply_message(code)
        )));
    }
    match address_type {
        1 => Ok(BoundAddr::Fixed(4 + 2)),
        4 => Ok(BoundAddr::Fixed(16 + 2)),
        3 => Ok(BoundAddr::Name),
        other => Err(malformed(format!("unknown address type {other}"))),
    }
}

/// The meaning of a SOCKS5 reply code (RFC 1928 section 6).
fn reply_message(code: u8) -> &'static str {
    match code {
        0 => "succeeded",
        1 => "general SOCKS server failure",
        2 => "connection not allowed by ruleset",
        3 => "network unreachable",
        4 => "host unreachable",
        5 => "connection refused",
        6 => "TTL expired",
        7 => "command not supported",
        8 => "address type not supported",
        _ => "unassigned reply code",
    }
}

fn malformed(what: String) -> Error {
    proxy_error(format!("malformed SOCKS5 reply from the proxy: {what}"))
}

#[cfg(test)]
mod tests;
