//! Socket options, applied before connecting.

use std::{io, net::SocketAddr};

use aioduct_core::TcpOptions;
use socket2::{Domain, Protocol, SockAddr, Socket, TcpKeepalive, Type};
use tokio::net::TcpSocket;

/// A non-blocking TCP socket for `addr` with `options` applied, ready for `connect`.
pub(crate) fn configured_socket(addr: SocketAddr, options: &TcpOptions) -> io::Result<TcpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(options.nodelay)?;

    if let Some(time) = options.keepalive {
        let mut keepalive = TcpKeepalive::new().with_time(time);
        if let Some(interval) = options.keepalive_interval {
            keepalive = keepalive.with_interval(interval);
        }
        #[cfg(not(any(target_os = "windows", target_os = "openbsd")))]
        if let Some(retries) = options.keepalive_retries {
            keepalive = keepalive.with_retries(retries);
        }
        socket.set_tcp_keepalive(&keepalive)?;
    }

    if let Some(ip) = options.local_address {
        socket.bind(&SockAddr::from(SocketAddr::new(ip, 0)))?;
    }

    if let Some(interface) = &options.interface {
        bind_device(&socket, interface)?;
    }

    if options.fast_open {
        fast_open(&socket)?;
    }

    Ok(TcpSocket::from_std_stream(socket.into()))
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn bind_device(socket: &Socket, interface: &str) -> io::Result<()> {
    socket.bind_device(Some(interface.as_bytes()))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn bind_device(_: &Socket, _: &str) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "binding to an interface is only supported on Linux",
    ))
}

/// Turns on `TCP_FASTOPEN_CONNECT`: the kernel sends the first write in the SYN when it holds a
/// Fast Open cookie for the server, and falls back to a normal handshake otherwise.
#[cfg(target_os = "linux")]
fn fast_open(socket: &Socket) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let enable: libc::c_int = 1;
    // SAFETY: a plain setsockopt with a valid fd and a pointer to a c_int that outlives the call.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_FASTOPEN_CONNECT,
            (&enable as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Fast Open is a Linux feature here; elsewhere the option is ignored, as documented.
#[cfg(not(target_os = "linux"))]
fn fast_open(_: &Socket) -> io::Result<()> {
    Ok(())
}
