//! Socket options, applied before connecting, and the non-blocking connect itself.

use std::{
    io,
    net::{SocketAddr, TcpStream},
};

use aioduct_core::TcpOptions;
use async_io::Async;
use socket2::{SockAddr, Socket};

/// A non-blocking TCP socket for `addr` with `options` applied, ready for [`connect`].
pub(crate) fn configured_socket(addr: SocketAddr, options: &TcpOptions) -> io::Result<Socket> {
    let socket = aioduct_core::socket::tcp_socket(addr, options)?;
    socket.set_nonblocking(true)?;
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
