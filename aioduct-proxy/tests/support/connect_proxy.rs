//! An HTTP proxy: CONNECT tunnels to loopback origins, optional Basic authentication, and a
//! stand-in for forwarding that answers plain requests itself.

use std::{
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpStream},
    sync::{Arc, Mutex},
};

use super::{Listener, proxy_resolve, splice};

#[derive(Clone, Default)]
pub struct ConnectProxyOptions {
    /// The `Proxy-Authorization` value required, if any.
    pub require_auth: Option<String>,
    /// Bytes sent right after the `200` head, in the same write: they belong to the tunnel.
    pub extra_after_head: Vec<u8>,
}

pub struct ConnectProxy {
    listener: Listener,
    heads: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start(options: ConnectProxyOptions) -> ConnectProxy {
        let heads = Arc::new(Mutex::new(Vec::new()));
        let log = heads.clone();
        let listener = Listener::start(move |conn| serve(conn, &options, &log));
        ConnectProxy { listener, heads }
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.addr()
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Every request head received, in order.
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

fn serve(conn: TcpStream, options: &ConnectProxyOptions, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut head = String::new();
    loop {
        let before = head.len();
        match reader.read_line(&mut head) {
            Ok(0) | Err(_) => return,
            Ok(_) if head[before..] == *"\r\n" => break,
            Ok(_) => {}
        }
    }
    log.lock().unwrap().push(head.clone());
    let mut writer = conn.try_clone().unwrap();

    let header = |name: &str| {
        head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    };
    if let Some(required) = &options.require_auth
        && header("proxy-authorization").as_deref() != Some(required)
    {
        let _ = writer.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"test proxy\"\r\nContent-Length: 0\r\n\r\n",
        );
        return;
    }

    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        request_line.next().unwrap_or_default(),
        request_line.next().unwrap_or_default(),
    );
    if method != "CONNECT" {
        // Forwarding stand-in: answer in the origin's place, saying what was asked.
        let body = format!("forwarded {method} {target}");
        let _ = write!(
            writer,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return;
    }
    let upstream = target
        .rsplit_once(':')
        .and_then(|(host, port)| proxy_resolve(host, port.parse().ok()?))
        .and_then(|addr| TcpStream::connect(addr).ok());
    let Some(mut upstream) = upstream else {
        let _ = writer.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let mut reply = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
    reply.extend_from_slice(&options.extra_after_head);
    if writer.write_all(&reply).is_err() {
        return;
    }
    // Bytes the client sent after its head, already in our buffer, belong to the tunnel.
    if upstream.write_all(reader.buffer()).is_err() {
        return;
    }
    splice(conn, upstream);
}
