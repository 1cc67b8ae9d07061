use futures_lite::future::block_on;

use super::*;
use crate::io::script::Script;

fn connect_with(reply: &[u8], chunk: usize, auth: Option<&str>) -> (Result<(), Error>, Script) {
    let mut io = Script::new(reply).chunked(chunk);
    let auth = auth.map(|a| HeaderValue::from_str(a).unwrap());
    let result = block_on(tunnel(&mut io, "origin.test:443", auth.as_ref()));
    (result, io)
}

#[test]
fn the_request_carries_only_host_and_proxy_authorization() {
    let (result, io) = connect_with(b"HTTP/1.1 200 OK\r\n\r\n", usize::MAX, None);
    result.unwrap();
    assert_eq!(
        io.written,
        b"CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n"
    );
    let (result, io) = connect_with(b"HTTP/1.1 200 OK\r\n\r\n", usize::MAX, Some("Basic dTpw"));
    result.unwrap();
    assert_eq!(
        io.written,
        &b"CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\
           Proxy-Authorization: Basic dTpw\r\n\r\n"[..]
    );
}

#[test]
fn connect_response_table() {
    #[rustfmt::skip]
    let table: &[(&[u8], Result<(), &str>)] = &[
        (b"HTTP/1.1 200 Connection established\r\n\r\n", Ok(())),
        (b"HTTP/1.0 200 Connection established\r\n\r\n", Ok(())),
        (b"HTTP/1.1 200 OK\r\nProxy-Agent: test\r\nX-Empty:\r\n\r\n", Ok(())),
        (b"HTTP/1.1 200\r\n\r\n", Ok(())),
        (b"HTTP/1.1 200 \r\n\r\n", Ok(())),
        (b"HTTP/1.1 204 No Content\r\n\r\n", Ok(())),
        (b"HTTP/1.1 299 Whatever\r\n\r\n", Ok(())),
        // A 2xx Content-Length is ignored (RFC 9110): the body is the tunnel.
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", Ok(())),
        (b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n  b\r\n\r\n", Ok(())),
        (b"HTTP/1.1 403 Forbidden\r\n\r\n", Err("refused the CONNECT tunnel (403 Forbidden)")),
        (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", Err("(502 Bad Gateway)")),
        (b"HTTP/1.1 100 Continue\r\n\r\n", Err("(100 Continue)")),
        (b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"p\"\r\n\r\n",
            Err("requires authentication (407 Proxy Authentication Required); it asks for: Basic realm=\"p\"")),
        (b"HTTP/1.1 407\r\n\r\n", Err("requires authentication (407)")),
        (b"HTTP/1.1 503 \x1b[31mred\x07\r\n\r\n", Err("(503 [31mred)")),
        (b"HTTP/2 200 OK\r\n\r\n", Err("not an HTTP/1.x status line")),
        (b"HTTP/1.1 20 OK\r\n\r\n", Err("bad status code")),
        (b"HTTP/1.1 2000 OK\r\n\r\n", Err("bad status code")),
        (b"HTTP/1.1 abc OK\r\n\r\n", Err("bad status code")),
        (b"HTTP/1.1200 OK\r\n\r\n", Err("not an HTTP/1.x status line")),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", Err("not an HTTP/1.x status line")),
        (b"\r\n\r\n", Err("not an HTTP/1.x status line")),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", Err("bad header line")),
        (b"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", Err("bad header line")),
        (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", Err("bad header line")),
        (b"HTTP/1.1 200 OK\r\n", Err("closed the connection during the HTTP CONNECT handshake")),
        (b"", Err("closed the connection during the HTTP CONNECT handshake")),
    ];
    for &(reply, ref want) in table {
        for chunk in [1, 3, usize::MAX] {
            let (result, _) = connect_with(reply, chunk, None);
            let shown = String::from_utf8_lossy(reply);
            match (result, want) {
                (Ok(()), Ok(())) => {}
                (Err(err), Err(want)) => {
                    assert!(err.is_proxy(), "{shown:?}: {err:?}");
                    assert!(err.to_string().contains(want), "{shown:?}: {err}");
                }
                (got, want) => panic!("{shown:?} (chunk {chunk}): got {got:?}, want {want:?}"),
            }
        }
    }
}

#[test]
fn a_407_after_sending_credentials_says_they_were_refused() {
    let (result, _) = connect_with(
        b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
        usize::MAX,
        Some("Basic eDp5"),
    );
    let err = result.unwrap_err();
    assert!(err.is_proxy());
    assert!(err.to_string().contains("refused the credentials"), "{err}");
}

#[test]
fn bytes_after_the_head_stay_in_the_tunnel() {
    let reply = b"HTTP/1.1 200 OK\r\nVia: p\r\n\r\n\r\n\r\nHTTP/1.1 200 from origin";
    for chunk in [1, 2, 4, usize::MAX] {
        let (result, io) = connect_with(reply, chunk, None);
        result.unwrap();
        assert_eq!(
            io.unread(),
            b"\r\n\r\nHTTP/1.1 200 from origin",
            "chunk {chunk}"
        );
    }
}

#[test]
fn the_head_is_read_in_few_reads() {
    let reply = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let (result, io) = connect_with(reply, usize::MAX, None);
    result.unwrap();
    // At most one read per 4 bytes, plus one per partial terminator.
    assert!(io.reads <= reply.len() / 4 + 4, "{} reads", io.reads);
}

#[test]
fn an_oversize_head_is_an_error() {
    let mut reply = b"HTTP/1.1 200 OK\r\n".to_vec();
    while reply.len() < MAX_HEAD + 100 {
        reply.extend_from_slice(b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    reply.extend_from_slice(b"\r\n");
    let (result, io) = connect_with(&reply, usize::MAX, None);
    let err = result.unwrap_err();
    assert!(err.is_proxy());
    assert!(err.to_string().contains("longer than 16 KiB"), "{err}");
    // The read stopped at the cap instead of taking everything the proxy sent.
    assert!(reply.len() - io.unread().len() <= MAX_HEAD);

    // A head of exactly the maximum size is accepted.
    let mut exact = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
    exact.resize(MAX_HEAD - 4, b'a');
    exact.extend_from_slice(b"\r\n\r\n");
    assert_eq!(exact.len(), MAX_HEAD);
    connect_with(&exact, usize::MAX, None).0.unwrap();
}

#[test]
fn bytes_to_end_follows_the_terminator() {
    for (head, want) in [
        (&b""[..], 4),
        (b"abc", 4),
        (b"abc\r", 3),
        (b"abc\r\n", 2),
        (b"abc\r\n\r", 1),
        (b"abc\r\n\r\n", 0),
        (b"abc\n", 4),
        (b"abc\r\r", 3),
    ] {
        assert_eq!(bytes_to_end(head), want, "{head:?}");
    }
}
