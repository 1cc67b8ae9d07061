//! Socket options, applied before connecting, and the non-blocking connect itself.

use std::{
    io,
    net::{SocketAddr, TcpStream},
};

use aioduct_core::TcpOptions;
use async_io::Async;
use socket2::{Domain, Protocol, SockAddr, Socket, TcpKeepalive, Type};

/// A non-blocking TCP socket for `addr` with `options` applied, ready for [`connect`].
pub(crate) fn configured_socket(addr: SocketAddr, options: &TcpOptions) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_nonblocking(true)?;
    socket.set_tcp_nodelay(options.nodelay)?;

    if let Some(time) = options.keepalive {
        let mut keepalive = TcpKeepalive::new().with_time(time);
        if let Some(interval) = options.keepalive_interval {
            keepalive = keepalive.with_interval(interval);
        }
        // socket2 has no retry count on these platforms; the option is ignored there.
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

    Ok(socket)
}

/// Connects the non-blocking `socket` to `addr`, waiting on async-io's reactor.
pub(crate) async fn connect(socket: Socket, addr: SocketAddr) -> io::Result<Async<TcpStream>> {
    match socket.connect(&SockAddr::from(addr)) {
        Ok(()) => {}
        Err(err) if in_progress(&err) => {}
        Err(err) => return Err(err),
    }

    // The socket is already non-blocking, so it only needs registering with the reactor.
    let stream = Async::new_nonblocking(TcpStream::from(socket))?;
    // A connecting socket turns writable once the handshake has succeeded or failed; SO_ERROR
    // tells which.
    stream.writable().await?;
    match stream.get_ref().take_error()? {
        None => Ok(stream),
        Some(err) => Err(err),
    }
}

/// Whether a non-blocking `connect` error only means "started, not finished yet": EINPROGRESS on
/// Unix, WSAEWOULDBLOCK on Windows, and EINTR, after which POSIX lets the connection go on.
fn in_progress(err: &io::Error) -> bool {
    // `ErrorKind::InProgress` is not stable yet, so EINPROGRESS is matched by number.
    #[cfg(unix)]
    if err.raw_os_error() == Some(libc::EINPROGRESS) {
        return true;
    }
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
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
/// Fast Open cookie for the server, and falls back to a normal handshake otherwise. `connect`
/// then returns at once and the handshake happens on the first write.
#[cfg(target_os = "linux")]
fn fast_open(socket: &Socket) -> io::Result<()> {
    use std::os::fd::AsRawFd;

    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a valid, open fd, reading a c_int that lives past the call, with its
    // exact size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_FASTOPEN_CONNECT,
            (&raw const on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Fast Open is a Linux feature here; elsewhere the option is ignored, as `TcpOptions` documents.
#[cfg(not(target_os = "linux"))]
fn fast_open(_: &Socket) -> io::Result<()> {
    Ok(())
}
