//! The socket setup every native runtime crate shares: a TCP socket with [`TcpOptions`] applied,
//! not yet connected. Behind the `socket2` feature, so the core stays free of I/O by default.

use std::{io, net::SocketAddr};

use socket2::{Domain, Protocol, SockAddr, Socket, TcpKeepalive, Type};

use crate::TcpOptions;

/// An unconnected, blocking TCP socket for `addr`'s family with `options` applied: nodelay,
/// keepalive (time, interval, retries), the local address, the interface (Linux) and TCP Fast
/// Open (Linux; ignored elsewhere). The runtime makes it non-blocking if it needs to, and
/// connects it with its own reactor or driver, so the options are on before the SYN goes out.
///
/// ```
/// use aioduct_core::{TcpOptions, socket::tcp_socket};
///
/// let socket = tcp_socket("127.0.0.1:80".parse().unwrap(), &TcpOptions::default()).unwrap();
/// assert!(socket.tcp_nodelay().unwrap());
/// ```
pub fn tcp_socket(addr: SocketAddr, options: &TcpOptions) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_tcp_nodelay(options.nodelay)?;
    if let Some(idle) = options.keepalive {
        socket.set_tcp_keepalive(&keepalive(idle, options))?;
    }
    if let Some(ip) = options.local_address {
        // Port 0: the kernel picks the source port, as it would without a bind.
        socket.bind(&SockAddr::from(SocketAddr::new(ip, 0)))?;
    }
    if let Some(interface) = &options.interface {
        bind_to_interface(&socket, interface)?;
    }
    if options.fast_open {
        enable_fast_open(&socket)?;
    }
    Ok(socket)
}

/// Keepalive parameters; interval and retries only mean something once keepalive is on.
fn keepalive(idle: std::time::Duration, options: &TcpOptions) -> TcpKeepalive {
    let mut keepalive = TcpKeepalive::new().with_time(idle);
    if let Some(interval) = options.keepalive_interval {
        keepalive = keepalive.with_interval(interval);
    }
    // Windows and OpenBSD have no per-socket probe count.
    #[cfg(not(any(target_os = "windows", target_os = "openbsd")))]
    if let Some(retries) = options.keepalive_retries {
        keepalive = keepalive.with_retries(retries);
    }
    keepalive
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn bind_to_interface(socket: &Socket, interface: &str) -> io::Result<()> {
    socket.bind_device(Some(interface.as_bytes()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn bind_to_interface(_: &Socket, interface: &str) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("TcpOptions::interface ({interface}): binding to an interface needs Linux"),
    ))
}

/// Sets `TCP_FASTOPEN_CONNECT`: the kernel puts the first write in the SYN when it holds a Fast
/// Open cookie for the server, and performs an ordinary handshake otherwise, so it is always safe.
#[cfg(target_os = "linux")]
fn enable_fast_open(socket: &Socket) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let on: libc::c_int = 1;
    // SAFETY: the fd is open for the duration of the call, and the option value points to a
    // c_int that lives on this stack frame, with its exact size passed alongside.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_FASTOPEN_CONNECT,
            std::ptr::from_ref(&on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere Fast Open is ignored, as `TcpOptions::fast_open` documents.
#[cfg(not(target_os = "linux"))]
fn enable_fast_open(_: &Socket) -> io::Result<()> {
    Ok(())
}
