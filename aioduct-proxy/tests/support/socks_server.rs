//! A SOCKS proxy speaking SOCKS4, SOCKS4a and SOCKS5 (no authentication or username/password),
//! connecting to loopback origins only, that records each request.

use std::{
    io::{self, Read, Write},
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream},
    sync::{Arc, Mutex},
    thread,
    time::{Duration, Instant},
};

use super::{Listener, proxy_resolve, splice};

#[derive(Clone, Default)]
pub struct SocksOptions {
    /// SOCKS5 username and password required, if any.
    pub require_auth: Option<(String, String)>,
}

/// What one client asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocksSeen {
    pub version: u8,
    /// SOCKS5 methods offered.
    pub methods: Vec<u8>,
    /// SOCKS4 user id, or SOCKS5 username.
    pub user: Option<String>,
    pub password: Option<String>,
    /// The destination as sent: an address or a name.
    pub host: String,
    pub port: u16,
}

pub struct SocksProxy {
    listener: Listener,
    seen: Arc<Mutex<Vec<SocksSeen>>>,
}

impl SocksProxy {
    pub fn start(options: SocksOptions) -> SocksProxy {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let listener = Listener::start(move |conn| {
            let mut record = SocksSeen::default();
            let upstream = handshake(&conn, &options, &mut record);
            log.lock().unwrap().push(record);
            if let Ok(Some(upstream)) = upstream {
                splice(conn, upstream);
            }
        });
        SocksProxy { listener, seen }
    }

    pub fn addr(&self) -> SocketAddr {
        self.listener.addr()
    }

    /// `scheme://127.0.0.1:port`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://{}", self.addr())
    }

    /// The requests recorded (one per connection, however far it got), once there are at
    /// least `count`: a record is kept just after the server's last reply, so a client that has
    /// read that reply may be a moment ahead of it.
    pub fn seen(&self, count: usize) -> Vec<SocksSeen> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let seen = self.seen.lock().unwrap().clone();
            if seen.len() >= count || Instant::now() > deadline {
                return seen;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

fn read_n(mut conn: &TcpStream, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; n];
    conn.read_exact(&mut buf)?;
    Ok(buf)
}

fn read_nul_terminated(mut conn: &TcpStream) -> io::Result<String> {
    let mut out = Vec::new();
    let mut byte = [0];
    loop {
        conn.read_exact(&mut byte)?;
        if byte[0] == 0 {
            return Ok(String::from_utf8_lossy(&out).into_owned());
        }
        out.push(byte[0]);
    }
}

/// Runs the server side of the handshake; `Some(upstream)` when the tunnel is up.
fn handshake(
    conn: &TcpStream,
    options: &SocksOptions,
    seen: &mut SocksSeen,
) -> io::Result<Option<TcpStream>> {
    seen.version = read_n(conn, 1)?[0];
    match seen.version {
        4 => socks4(conn, seen),
        5 => socks5(conn, options, seen),
        _ => Ok(None),
    }
}

fn socks4(mut conn: &TcpStream, seen: &mut SocksSeen) -> io::Result<Option<TcpStream>> {
    let head = read_n(conn, 7)?;
    seen.port = u16::from_be_bytes([head[1], head[2]]);
    let ip = Ipv4Addr::new(head[3], head[4], head[5], head[6]);
    seen.user = Some(read_nul_terminated(conn)?);
    // 0.0.0.x with x != 0 announces a SOCKS4a name.
    seen.host = if ip.octets()[..3] == [0, 0, 0] && ip.octets()[3] != 0 {
        read_nul_terminated(conn)?
    } else {
        ip.to_string()
    };
    let upstream = (head[0] == 1)
        .then(|| proxy_resolve(&seen.host, seen.port))
        .flatten()
        .and_then(|addr| TcpStream::connect(addr).ok());
    let code = if upstream.is_some() { 90 } else { 91 };
    conn.write_all(&[0, code, 0, 0, 0, 0, 0, 0])?;
    Ok(upstream)
}

fn socks5(
    mut conn: &TcpStream,
    options: &SocksOptions,
    seen: &mut SocksSeen,
) -> io::Result<Option<TcpStream>> {
    let count = read_n(conn, 1)?[0];
    seen.methods = read_n(conn, usize::from(count))?;
    if let Some((user, password)) = &options.require_auth {
        if !seen.methods.contains(&2) {
            conn.write_all(&[5, 0xff])?;
            return Ok(None);
        }
        conn.write_all(&[5, 2])?;
        let version_and_len = read_n(conn, 2)?;
        let got_user = read_n(conn, usize::from(version_and_len[1]))?;
        let len = read_n(conn, 1)?[0];
        let got_password = read_n(conn, usize::from(len))?;
        seen.user = Some(String::from_utf8_lossy(&got_user).into_owned());
        seen.password = Some(String::from_utf8_lossy(&got_password).into_owned());
        if got_user != user.as_bytes() || got_password != password.as_bytes() {
            conn.write_all(&[1, 1])?;
            return Ok(None);
        }
        conn.write_all(&[1, 0])?;
    } else {
        if !seen.methods.contains(&0) {
            conn.write_all(&[5, 0xff])?;
            return Ok(None);
        }
        conn.write_all(&[5, 0])?;
    }

    let head = read_n(conn, 4)?;
    seen.host = match head[3] {
        1 => IpAddr::from(<[u8; 4]>::try_from(read_n(conn, 4)?).unwrap()).to_string(),
        4 => Ipv6Addr::from(<[u8; 16]>::try_from(read_n(conn, 16)?).unwrap()).to_string(),
        3 => {
            let len = read_n(conn, 1)?[0];
            String::from_utf8_lossy(&read_n(conn, usize::from(len))?).into_owned()
        }
        _ => {
            conn.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0])?;
            return Ok(None);
        }
    };
    let port = read_n(conn, 2)?;
    seen.port = u16::from_be_bytes([port[0], port[1]]);
    let reply = |code: u8| [5, code, 0, 1, 127, 0, 0, 1, 0, 0];
    if head[1] != 1 {
        conn.write_all(&reply(7))?;
        return Ok(None);
    }
    let Some(addr) = proxy_resolve(&seen.host, seen.port) else {
        conn.write_all(&reply(4))?;
        return Ok(None);
    };
    match TcpStream::connect(addr) {
        Ok(upstream) => {
            conn.write_all(&reply(0))?;
            Ok(Some(upstream))
        }
        Err(_) => {
            conn.write_all(&reply(5))?;
            Ok(None)
        }
    }
}
