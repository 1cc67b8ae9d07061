//! Happy Eyeballs v2 (RFC 8305): racing the addresses of a name, interleaved by family.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use aioduct_core::{Runtime, TcpOptions};

use crate::timeout::timeout;

/// Orders addresses as RFC 8305 §4 asks: the first family the resolver preferred, then
/// alternating families, each family keeping the resolver's order.
pub(crate) fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first() else {
        return addrs;
    };
    let first_is_v6 = first.is_ipv6();
    let (preferred, other): (Vec<_>, Vec<_>) =
        addrs.into_iter().partition(|a| a.is_ipv6() == first_is_v6);
    let mut ordered = Vec::with_capacity(preferred.len() + other.len());
    let (mut a, mut b) = (preferred.into_iter(), other.into_iter());
    loop {
        match (a.next(), b.next()) {
            (None, None) => return ordered,
            (x, y) => ordered.extend(x.into_iter().chain(y)),
        }
    }
}

/// Every address tried and why it failed.
pub(crate) type Failures = Vec<(SocketAddr, io::Error)>;

/// Connects to the first address that answers. A new attempt starts when the previous one
/// failed or after `delay` without an answer; the winner cancels (drops) the others. Each attempt
/// is bounded by `attempt_timeout`. On failure, every address and its error is returned.
pub(crate) async fn connect<R: Runtime>(
    addrs: Vec<SocketAddr>,
    options: &TcpOptions,
    delay: Duration,
    attempt_timeout: Option<Duration>,
) -> Result<(R::TcpStream, SocketAddr), Failures> {
    let attempt = |addr| {
        let attempt = timeout::<R, _>(attempt_timeout, R::connect(addr, options));
        async move {
            attempt
                .await
                .unwrap_or_else(|_| Err(io::Error::from(io::ErrorKind::TimedOut)))
        }
    };
    // One address, the common case: nothing to race, no timer, nothing boxed.
    if let [addr] = addrs[..] {
        return attempt(addr)
            .await
            .map(|stream| (stream, addr))
            .map_err(|err| vec![(addr, err)]);
    }
    let mut race = Race::<R, _, _> {
        pending: interleave(addrs).into_iter(),
        attempt,
        running: Vec::new(),
        failures: Vec::new(),
        timer: None,
        delay,
    };
    std::future::poll_fn(|cx| race.poll(cx)).await
}

/// The attempts of one connect: `M` makes the attempt future `F` for an address.
struct Race<R: Runtime, M, F> {
    pending: std::vec::IntoIter<SocketAddr>,
    attempt: M,
    running: Vec<(SocketAddr, Pin<Box<F>>)>,
    failures: Failures,
    /// Fires when the next attempt may start although the running ones have not failed.
    timer: Option<Pin<Box<R::Sleep>>>,
    delay: Duration,
}

impl<R, M, F> Race<R, M, F>
where
    R: Runtime,
    M: FnMut(SocketAddr) -> F,
    F: Future<Output = io::Result<R::TcpStream>>,
{
    fn start_next(&mut self) -> bool {
        let Some(addr) = self.pending.next() else {
            return false;
        };
        self.running.push((addr, Box::pin((self.attempt)(addr))));
        // The last address has no next attempt to start: no timer for it.
        self.timer = (!self.pending.as_slice().is_empty()).then(|| Box::pin(R::sleep(self.delay)));
        true
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(R::TcpStream, SocketAddr), Failures>> {
        loop {
            let mut i = 0;
            let mut failed = false;
            while i < self.running.len() {
                match self.running[i].1.as_mut().poll(cx) {
                    Poll::Ready(Ok(stream)) => {
                        let addr = self.running[i].0;
                        // Dropping the others cancels them.
                        self.running.clear();
                        return Poll::Ready(Ok((stream, addr)));
                    }
                    Poll::Ready(Err(err)) => {
                        let (addr, _) = self.running.swap_remove(i);
                        self.failures.push((addr, err));
                        failed = true;
                    }
                    Poll::Pending => i += 1,
                }
            }
            // A failure starts the next attempt at once; so does an empty field.
            if (failed || self.running.is_empty()) && self.start_next() {
                continue;
            }
            if self.running.is_empty() {
                return Poll::Ready(Err(std::mem::take(&mut self.failures)));
            }
            let fired = match &mut self.timer {
                Some(timer) => timer.as_mut().poll(cx).is_ready(),
                None => false,
            };
            if fired {
                self.timer = None;
                if self.start_next() {
                    continue;
                }
            }
            return Poll::Pending;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn interleaves_families_starting_with_the_first() {
        let got = interleave(vec![
            addr("[::1]:1"),
            addr("[::2]:1"),
            addr("[::3]:1"),
            addr("10.0.0.1:1"),
            addr("10.0.0.2:1"),
        ]);
        let want = ["[::1]:1", "10.0.0.1:1", "[::2]:1", "10.0.0.2:1", "[::3]:1"].map(addr);
        assert_eq!(got, want);

        let got = interleave(vec![addr("10.0.0.1:1"), addr("[::1]:1"), addr("[::2]:1")]);
        assert_eq!(got, ["10.0.0.1:1", "[::1]:1", "[::2]:1"].map(addr));
        assert!(interleave(Vec::new()).is_empty());
    }
}
