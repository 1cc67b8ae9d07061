//! SOCKS4 and SOCKS4a: the CONNECT request and its 8-byte reply.

use std::net::Ipv4Addr;

use aioduct_core::{
    Error, ErrorKind,
    io::{AsyncRead, AsyncWrite},
};

use crate::io::{handshake_io_error, proxy_error, read_exact, write_all};

const PROTOCOL: &str = "SOCKS4";

/// What a SOCKS4 proxy is asked to connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Socks4Dest<'a> {
    /// An IPv4 address (SOCKS4, or SOCKS4a with an address).
    Addr(Ipv4Addr),
    /// A name the proxy resolves (SOCKS4a).
    Name(&'a str),
}

/// Checks the user id, sent as a NUL-terminated string, before anything is sent.
pub(crate) fn check_user_id(user_id: &str) -> Result<(), Error> {
    if user_id.contains('\0') || user_id.len() > 255 {
        return Err(Error::msg(
            ErrorKind::Builder,
            "a SOCKS4 user id must be at most 255 bytes, without NUL",
        ));
    }
    Ok(())
}

/// Checks a SOCKS4a host name, sent as a NUL-terminated string, before anything is sent.
pub(crate) fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > 255 || name.contains('\0') {
        return Err(Error::msg(
            ErrorKind::Builder,
            "a SOCKS4a host name must be 1 to 255 bytes, without NUL",
        ));
    }
    Ok(())
}

/// Asks the SOCKS4 proxy on `io` to connect to `dest:port`.
pub(crate) async fn handshake<S>(
    io: &mut S,
    dest: Socks4Dest<'_>,
    port: u16,
    user_id: &str,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let io_error = |err| handshake_io_error(PROTOCOL, err);
    write_all(io, &request(dest, port, user_id))
        .await
        .map_err(io_error)?;
    let mut reply = [0; 8];
    read_exact(io, &mut reply).await.map_err(io_error)?;
    check_reply(&reply)
}

/// `VN=4 CD=1 DSTPORT DSTIP USERID NUL [HOSTNAME NUL]`; SOCKS4a marks a name with the invalid
/// address 0.0.0.1.
fn request(dest: Socks4Dest<'_>, port: u16, user_id: &str) -> Vec<u8> {
    let mut out = vec![4, 1];
    out.extend_from_slice(&port.to_be_bytes());
    let ip = match dest {
        Socks4Dest::Addr(ip) => ip,
        Socks4Dest::Name(_) => Ipv4Addr::new(0, 0, 0, 1),
    };
    out.extend_from_slice(&ip.octets());
    out.extend_from_slice(user_id.as_bytes());
    out.push(0);
    if let Socks4Dest::Name(name) = dest {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    out
}

/// `VN=0 CD DSTPORT DSTIP`: CD 90 is success.
fn check_reply(reply: &[u8; 8]) -> Result<(), Error> {
    if reply[0] != 0 {
        return Err(proxy_error(format!(
            "malformed SOCKS4 reply from the proxy: version {} instead of 0",
            reply[0]
        )));
    }
    let why = match reply[1] {
        90 => return Ok(()),
        91 => "request rejected or failed",
        92 => "request rejected: the proxy cannot reach identd on this machine",
        93 => "request rejected: identd reports a different user id",
        code => {
            return Err(proxy_error(format!(
                "the SOCKS4 proxy replied with unknown code {code}"
            )));
        }
    };
    Err(proxy_error(format!(
        "the SOCKS4 proxy refused the connection: {why} (code {})",
        reply[1]
    )))
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;

    use super::*;
    use crate::io::script::Script;

    #[test]
    fn requests_for_addresses_and_names() {
        let addr = request(Socks4Dest::Addr(Ipv4Addr::new(127, 0, 0, 1)), 8080, "");
        assert_eq!(addr, [4, 1, 0x1f, 0x90, 127, 0, 0, 1, 0]);
        let named = request(Socks4Dest::Name("origin.test"), 443, "bob");
        assert_eq!(
            named,
            b"\x04\x01\x01\xbb\x00\x00\x00\x01bob\x00origin.test\x00"
        );
    }

    #[test]
    fn socks4_reply_table() {
        #[rustfmt::skip]
        let table: &[(&[u8], Result<(), &str>)] = &[
            (&[0, 90, 0, 0, 0, 0, 0, 0], Ok(())),
            (&[0, 90, 1, 2, 3, 4, 5, 6], Ok(())),
            (&[0, 91, 0, 0, 0, 0, 0, 0], Err("rejected or failed (code 91)")),
            (&[0, 92, 0, 0, 0, 0, 0, 0], Err("cannot reach identd")),
            (&[0, 93, 0, 0, 0, 0, 0, 0], Err("different user id")),
            (&[0, 0, 0, 0, 0, 0, 0, 0], Err("unknown code 0")),
            (&[0, 255, 0, 0, 0, 0, 0, 0], Err("unknown code 255")),
            (&[4, 90, 0, 0, 0, 0, 0, 0], Err("malformed SOCKS4 reply")),
            (&[5, 0, 0, 1, 0, 0, 0, 0], Err("malformed SOCKS4 reply")),
            // Truncated replies.
            (&[], Err("closed the connection during the SOCKS4 handshake")),
            (&[0, 90], Err("closed the connection during the SOCKS4 handshake")),
            (&[0, 90, 0, 0, 0, 0, 0], Err("closed the connection during the SOCKS4 handshake")),
        ];
        for (reply, want) in table {
            let mut io = Script::new(reply);
            let dest = Socks4Dest::Addr(Ipv4Addr::LOCALHOST);
            let result = block_on(handshake(&mut io, dest, 80, ""));
            match (result, want) {
                (Ok(()), Ok(())) => {}
                (Err(err), Err(want)) => {
                    assert!(err.is_proxy(), "{reply:?}: {err:?}");
                    assert!(err.to_string().contains(want), "{reply:?}: {err}");
                }
                (got, want) => panic!("{reply:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn nul_and_overlong_fields_are_refused_before_sending() {
        assert!(check_user_id("bob").is_ok());
        assert!(check_user_id("").is_ok());
        assert!(check_user_id("b\0b").unwrap_err().is_builder());
        assert!(check_user_id(&"u".repeat(256)).unwrap_err().is_builder());
        assert!(check_name(&"a".repeat(255)).is_ok());
        assert!(check_name(&"a".repeat(256)).unwrap_err().is_builder());
        assert!(check_name("").is_err());
    }
}
