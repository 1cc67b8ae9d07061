use std::net::Ipv6Addr;

use futures_lite::future::block_on;

use super::*;
use crate::io::script::Script;

fn creds(user: &str, password: &str) -> Credentials {
    Credentials {
        user: user.into(),
        password: password.into(),
    }
}

fn run(
    reply: &[u8],
    dest: Socks5Dest<'_>,
    credentials: Option<&Credentials>,
) -> (Result<(), Error>, Script) {
    let mut io = Script::new(reply);
    let result = block_on(handshake(&mut io, dest, 443, credentials));
    (result, io)
}

const OK_V4: &[u8] = &[5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90];

#[test]
fn no_auth_handshake_bytes() {
    let reply = [&[5, 0][..], OK_V4].concat();
    let (result, io) = run(&reply, Socks5Dest::Name("origin.test"), None);
    result.unwrap();
    let mut want = vec![5, 1, 0, 5, 1, 0, 3, 11];
    want.extend_from_slice(b"origin.test");
    want.extend_from_slice(&[1, 0xbb]);
    assert_eq!(io.written, want);
}

#[test]
fn user_password_handshake_bytes() {
    let reply = [&[5, 2, 1, 0][..], OK_V4].concat();
    let ip = Socks5Dest::Addr(IpAddr::V6(Ipv6Addr::LOCALHOST));
    let (result, io) = run(&reply, ip, Some(&creds("alice", "pw")));
    result.unwrap();
    let mut want = vec![5, 2, 0, 2, 1, 5];
    want.extend_from_slice(b"alice");
    want.push(2);
    want.extend_from_slice(b"pw");
    want.extend_from_slice(&[5, 1, 0, 4]);
    want.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
    want.extend_from_slice(&[1, 0xbb]);
    assert_eq!(io.written, want);
}

#[test]
fn the_bound_address_is_consumed_and_nothing_more() {
    for bound in [
        &[1, 10, 0, 0, 1, 0, 80][..],
        &[4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80],
        &[3, 4, b'h', b'o', b's', b't', 0, 80],
        &[3, 0, 0, 80],
    ] {
        let reply = [&[5, 0, 5, 0, 0][..], bound, b"origin bytes"].concat();
        let (result, io) = run(&reply, Socks5Dest::Name("a"), None);
        result.unwrap();
        assert_eq!(io.unread(), b"origin bytes", "{bound:?}");
    }
}

#[test]
fn socks5_reply_table() {
    let user = creds("u", "p");
    #[rustfmt::skip]
    let table: &[(&[u8], bool, Result<(), &str>)] = &[
        // Method selection.
        (&[5, 0xff], false, Err("requires authentication")),
        (&[5, 0xff], true, Err("accepted none of the offered authentication methods")),
        (&[5, 2], false, Err("method 0x02, which was not offered")),
        (&[5, 1], true, Err("method 0x01, which was not offered")),
        (&[4, 0], false, Err("malformed SOCKS5 reply from the proxy: version 4")),
        (&[0x48, 0x54], false, Err("malformed SOCKS5 reply")),
        // Authentication.
        (&[5, 2, 1, 1], true, Err("rejected the user name or password (status 1)")),
        (&[5, 2, 5, 0xff], true, Err("rejected the user name or password (status 255)")),
        (&[5, 2, 9, 0], true, Err("authentication reply version 9")),
        (&[5, 2, 5, 0, 5, 0, 0, 1, 1, 2, 3, 4, 0, 1], true, Ok(())),
        // Every reply code.
        (&[5, 0, 5, 1, 0, 1], false, Err("general SOCKS server failure (reply code 1)")),
        (&[5, 0, 5, 2, 0, 1], false, Err("connection not allowed by ruleset (reply code 2)")),
        (&[5, 0, 5, 3, 0, 1], false, Err("network unreachable (reply code 3)")),
        (&[5, 0, 5, 4, 0, 1], false, Err("host unreachable (reply code 4)")),
        (&[5, 0, 5, 5, 0, 1], false, Err("connection refused (reply code 5)")),
        (&[5, 0, 5, 6, 0, 1], false, Err("TTL expired (reply code 6)")),
        (&[5, 0, 5, 7, 0, 1], false, Err("command not supported (reply code 7)")),
        (&[5, 0, 5, 8, 0, 1], false, Err("address type not supported (reply code 8)")),
        (&[5, 0, 5, 9, 0, 1], false, Err("unassigned reply code (reply code 9)")),
        (&[5, 0, 5, 0xff, 0, 1], false, Err("unassigned reply code (reply code 255)")),
        // Malformed connect replies.
        (&[5, 0, 4, 0, 0, 1], false, Err("version 4 instead of 5")),
        (&[5, 0, 5, 0, 0, 2], false, Err("unknown address type 2")),
        (&[5, 0, 5, 0, 0, 0], false, Err("unknown address type 0")),
        // Truncated at every stage.
        (&[], false, Err("closed the connection during the SOCKS5 handshake")),
        (&[5], false, Err("closed the connection")),
        (&[5, 2, 1], true, Err("closed the connection")),
        (&[5, 0, 5, 0, 0], false, Err("closed the connection")),
        (&[5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0], false, Err("closed the connection")),
        (&[5, 0, 5, 0, 0, 4, 0, 0, 0, 0], false, Err("closed the connection")),
        (&[5, 0, 5, 0, 0, 3], false, Err("closed the connection")),
        (&[5, 0, 5, 0, 0, 3, 9, b'a', b'b'], false, Err("closed the connection")),
    ];
    for &(reply, with_creds, ref want) in table {
        let (result, _) = run(
            reply,
            Socks5Dest::Name("origin.test"),
            with_creds.then_some(&user),
        );
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
fn length_limits_are_checked_before_sending() {
    let text = |n: usize| "a".repeat(n);
    assert!(check_name(&text(255)).is_ok());
    let err = check_name(&text(256)).unwrap_err();
    assert!(err.is_builder());
    assert!(err.to_string().contains("256"), "{err}");
    assert!(check_name("").is_err());
    assert!(check_credentials(None).is_ok());
    assert!(check_credentials(Some(&creds(&text(255), &text(255)))).is_ok());
    assert!(check_credentials(Some(&creds("u", ""))).is_ok());
    for bad in [
        creds(&text(256), "p"),
        creds("u", &text(256)),
        creds("", "p"),
    ] {
        assert!(check_credentials(Some(&bad)).unwrap_err().is_builder());
    }
}
