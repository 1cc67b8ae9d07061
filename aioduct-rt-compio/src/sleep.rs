//! A nameable sleep on compio's timer.

use std::{
    fmt,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::{Duration, Instant},
};

/// How far "never" is: deadlines past the end of `Instant` are clamped to about 30 years.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The future returned by [`CompioRuntime::sleep`](crate::CompioRuntime): completes at its
/// deadline, on compio's timer.
///
/// compio's timer future is private and its `sleep_until` is an `async fn`, so the timer is held
/// boxed. The deadline is fixed when the sleep is created; the timer is registered with the
/// runtime on the first poll, which must happen inside a compio runtime.
///
/// ```
/// use std::time::{Duration, Instant};
/// use aioduct_rt_compio::CompioSleep;
///
/// compio::runtime::Runtime::new().unwrap().block_on(async {
///     let sleep = CompioSleep::new(Duration::from_millis(5));
///     let deadline = sleep.deadline();
///     sleep.await;
///     assert!(Instant::now() >= deadline);
/// });
/// ```
pub struct CompioSleep {
    deadline: Instant,
    timer: Pin<Box<dyn Future<Output = ()>>>,
}

impl CompioSleep {
    /// A sleep that completes once `duration` has passed from now.
    pub fn new(duration: Duration) -> Self {
        let now = Instant::now();
        let deadline = now
            .checked_add(duration)
            .unwrap_or_else(|| now + FAR_FUTURE);
        CompioSleep::until(deadline)
    }

    /// A sleep that completes at `deadline` (at once if it has passed).
    pub fn until(deadline: Instant) -> Self {
        CompioSleep {
            deadline,
            timer: Box::pin(compio::time::sleep_until(deadline)),
        }
    }

    /// The instant this sleep completes at.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Future for CompioSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.timer.as_mut().poll(cx)
    }
}

impl fmt::Debug for CompioSleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompioSleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
