//! The timer future.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use async_io::Timer;

/// The future returned by [`SmolRuntime::sleep`](crate::SmolRuntime): an [`async_io::Timer`] that
/// completes with `()` instead of the `Instant` it fired at.
///
/// ```
/// use std::time::{Duration, Instant};
/// use aioduct_core::Runtime;
/// use aioduct_rt_smol::SmolRuntime;
///
/// let start = Instant::now();
/// async_io::block_on(SmolRuntime::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
#[derive(Debug)]
#[must_use = "a sleep does nothing unless awaited"]
pub struct SmolSleep {
    timer: Timer,
}

impl SmolSleep {
    /// A sleep of `duration`; one too long to represent never completes.
    pub(crate) fn new(duration: Duration) -> Self {
        SmolSleep {
            timer: Timer::after(duration),
        }
    }
}

impl Future for SmolSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.timer).poll(cx).map(|_| ())
    }
}
