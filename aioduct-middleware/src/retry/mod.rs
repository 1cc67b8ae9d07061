//! Retries with exponential backoff and jitter, a retry budget, and `Retry-After`.
//!
//! [`Retry`] resends a request when the attempt failed in a way worth another try:
//!
//! - a connect error (nothing was sent), for any method;
//! - a timeout or a broken exchange, for idempotent methods (GET, HEAD, OPTIONS, TRACE, PUT,
//!   DELETE) unless [`RetryPolicy::retry_non_idempotent`] is set;
//! - a response with a retryable status (429 and 503 by default; 502 and 504 can be added), for
//!   idempotent methods on the same terms.
//!
//! A request whose body is a stream is never retried: it cannot be replayed. Waits follow
//! `Retry-After` when the response has one, otherwise exponential backoff with jitter. A
//! `Retry-After` beyond [`RetryPolicy::max_retry_after`] (60 s by default) is not waited for: the
//! response is returned to the caller as it is, since retrying earlier than the server asked would
//! only be refused again.
//!
//! ```
//! use std::{sync::Arc, time::Duration};
//! use aioduct_middleware::retry::{Retry, RetryBudget, RetryPolicy};
//! # struct Tokio;
//! # impl aioduct_middleware::Timer for Tokio {
//! #     fn sleep(&self, d: Duration) -> aioduct_core::BoxFuture<'static, ()> { Box::pin(tokio::time::sleep(d)) }
//! # }
//!
//! let policy = RetryPolicy::new()
//!     .max_attempts(4)
//!     .backoff(Duration::from_millis(50), Duration::from_secs(2))
//!     .budget(RetryBudget::new(Duration::from_secs(10), 5, 0.1));
//! let retry = Retry::new(policy, Arc::new(Tokio));
//! # drop(retry);
//! ```

mod budget;

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use aioduct_core::{
    BoxFuture, Error, ErrorKind, Middleware, Next, Request, Response, Result, try_clone_request,
};
use http::{Method, StatusCode, header::RETRY_AFTER};

pub use budget::RetryBudget;

use crate::Timer;

/// How the wait between attempts is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Jitter {
    /// No randomness: `base * 2^n`, capped.
    None,
    /// A uniform wait between zero and `base * 2^n` (capped): the default.
    Full,
    /// "Decorrelated" jitter: a uniform wait between `base` and three times the previous wait,
    /// capped.
    Decorrelated,
}

/// When and how often to retry. Put one in a request's extensions to override the client's
/// policy for that request; [`RetryPolicy::never`] switches retries off for it.
///
/// ```
/// use std::time::Duration;
/// use aioduct_middleware::retry::{Jitter, RetryPolicy};
///
/// let policy = RetryPolicy::new()
///     .max_attempts(5)
///     .jitter(Jitter::Decorrelated)
///     .retry_status(502)
///     .retry_status(504)
///     .max_retry_after(Duration::from_secs(10));
/// assert_eq!(policy.attempts(), 5);
/// assert_eq!(RetryPolicy::never().attempts(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    max_backoff: Duration,
    jitter: Jitter,
    statuses: Vec<StatusCode>,
    connect_errors: bool,
    timeouts: bool,
    max_retry_after: Duration,
    non_idempotent: bool,
    budget: Option<RetryBudget>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::new()
    }
}

impl RetryPolicy {
    /// Three attempts in all, backoff from 100 ms up to 10 s with full jitter, statuses 429 and
    /// 503, connect errors and timeouts retried, `Retry-After` honoured up to 60 s, idempotent
    /// methods only, no budget.
    pub fn new() -> Self {
        RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            jitter: Jitter::Full,
            statuses: vec![
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE,
            ],
            connect_errors: true,
            timeouts: true,
            max_retry_after: Duration::from_secs(60),
            non_idempotent: false,
            budget: None,
        }
    }

    /// A policy that never retries: one attempt.
    pub fn never() -> Self {
        RetryPolicy::new().max_attempts(1)
    }

    /// The most attempts, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The most attempts this policy makes, the first included.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Backoff starts at `base` and doubles per retry up to `max`.
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base = base;
        self.max_backoff = max.max(base);
        self
    }

    /// How backoff waits are randomised ([`Jitter::Full`] by default).
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = jitter;
        self
    }

    /// Also retries responses with `status` (for example 502 or 504). Invalid codes are ignored.
    pub fn retry_status(mut self, status: u16) -> Self {
        if let Ok(status) = StatusCode::from_u16(status)
            && !self.statuses.contains(&status)
        {
            self.statuses.push(status);
        }
        self
    }

    /// Retries exactly these statuses instead of the defaults (429, 503).
    pub fn retry_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.statuses = statuses
            .into_iter()
            .filter_map(|s| StatusCode::from_u16(s).ok())
            .collect();
        self
    }

    /// Whether connect errors are retried (yes by default: nothing was sent).
    pub fn retry_connect_errors(mut self, enabled: bool) -> Self {
        self.connect_errors = enabled;
        self
    }

    /// Whether timeouts and broken exchanges are retried (yes by default, idempotent methods only).
    pub fn retry_timeouts(mut self, enabled: bool) -> Self {
        self.timeouts = enabled;
        self
    }

    /// The longest `Retry-After` waited for (60 s by default). A response asking for more is
    /// returned as it is, without waiting.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Also retries POST, PATCH and other non-idempotent methods. Only when the server is known
    /// to deduplicate them (an idempotency key, for example).
    pub fn retry_non_idempotent(mut self, enabled: bool) -> Self {
        self.non_idempotent = enabled;
        self
    }

    /// Bounds retries with a budget shared across clones of the policy and of the client.
    pub fn budget(mut self, budget: RetryBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Whether `method` may be retried after it may have reached the server.
    fn may_resend(&self, method: &Method) -> bool {
        self.non_idempotent
            || matches!(
                *method,
                Method::GET
                    | Method::HEAD
                    | Method::OPTIONS
                    | Method::TRACE
                    | Method::PUT
                    | Method::DELETE
            )
    }

    /// What to do after an attempt.
    fn verdict(&self, result: &Result<Response>, resend: bool, now: SystemTime) -> Verdict {
        match result {
            Ok(resp) if resend && self.statuses.contains(&resp.status()) => {
                match retry_after(resp, now) {
                    Some(wait) if wait > self.max_retry_after => Verdict::Stop,
                    Some(wait) => Verdict::RetryAfter(wait),
                    None => Verdict::Backoff,
                }
            }
            Ok(_) => Verdict::Stop,
            Err(err) if err.is_connect() && self.connect_errors => Verdict::Backoff,
            Err(err) if resend && self.timeouts && broken_exchange(err) => Verdict::Backoff,
            Err(_) => Verdict::Stop,
        }
    }

    /// The backoff before retry number `retry` (1 for the first), given the previous wait.
    fn backoff_delay(&self, retry: u32, previous: Duration) -> Duration {
        let exponential = self
            .base
            .saturating_mul(
                1u32.checked_shl(retry.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_backoff);
        match self.jitter {
            Jitter::None => exponential,
            Jitter::Full => random_between(Duration::ZERO, exponential),
            Jitter::Decorrelated => {
                let high = previous
                    .max(self.base)
                    .saturating_mul(3)
                    .min(self.max_backoff);
                random_between(self.base.min(high), high)
            }
        }
    }
}

enum Verdict {
    Stop,
    Backoff,
    RetryAfter(Duration),
}

/// A failure after the request may have been sent: a timeout or an exchange cut short.
fn broken_exchange(err: &Error) -> bool {
    err.is_timeout() || err.kind() == ErrorKind::Request
}

fn random_between(low: Duration, high: Duration) -> Duration {
    let low = low.as_nanos().min(u128::from(u64::MAX)) as u64;
    let high = high.as_nanos().min(u128::from(u64::MAX)) as u64;
    if high <= low {
        return Duration::from_nanos(low);
    }
    Duration::from_nanos(fastrand::u64(low..=high))
}

/// The wait a response's `Retry-After` asks for, in delta-seconds or as an HTTP-date (a date in
/// the past means no wait). `None` without a valid header.
fn retry_after(resp: &Response, now: SystemTime) -> Option<Duration> {
    let value = resp.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // An absurd number of seconds is simply "very long".
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The retry middleware. A [`RetryPolicy`] in a request's extensions overrides the one given
/// here for that request.
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// use aioduct_core::BoxFuture;
/// use aioduct_middleware::{Timer, retry::{Retry, RetryPolicy}};
///
/// struct Tokio;
/// impl Timer for Tokio {
///     fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
///         Box::pin(tokio::time::sleep(d))
///     }
/// }
///
/// let retry = Retry::new(RetryPolicy::new(), Arc::new(Tokio));
/// # drop(retry);
/// ```
pub struct Retry {
    policy: RetryPolicy,
    timer: Arc<dyn Timer>,
}

impl Retry {
    /// Retries as `policy` says, waiting on `timer`.
    pub fn new(policy: RetryPolicy, timer: Arc<dyn Timer>) -> Self {
        Retry { policy, timer }
    }
}

impl std::fmt::Debug for Retry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retry")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Middleware for Retry {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        Box::pin(async move {
            let policy = match req.extensions().get::<RetryPolicy>() {
                Some(own) => own.clone(),
                None => self.policy.clone(),
            };
            if policy.max_attempts <= 1 {
                return next.run(req).await;
            }
            // A streaming body cannot be sent twice: the request gets one attempt.
            let Some(template) = try_clone_request(&req) else {
                return next.run(req).await;
            };
            let resend = policy.may_resend(req.method());
            if let Some(budget) = &policy.budget {
                budget.deposit(self.timer.now());
            }
            let mut req = req;
            let mut attempt = 1;
            let mut previous = Duration::ZERO;
            loop {
                let result = next.run(req).await;
                if attempt >= policy.max_attempts {
                    return result;
                }
                let wait = match policy.verdict(&result, resend, SystemTime::now()) {
                    Verdict::Stop => return result,
                    Verdict::Backoff => policy.backoff_delay(attempt, previous),
                    Verdict::RetryAfter(wait) => wait,
                };
                if let Some(budget) = &policy.budget
                    && !budget.withdraw(self.timer.now())
                {
                    return result;
                }
                drop(result);
                if !wait.is_zero() {
                    self.timer.sleep(wait).await;
                }
                previous = wait;
                attempt += 1;
                req = try_clone_request(&template).expect("the template's body is replayable");
            }
        })
    }
}

#[cfg(test)]
mod tests;
