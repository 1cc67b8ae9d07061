//! The retry budget: retries allowed as a fraction of recent requests, shared by every clone.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Bounds retries to a fraction of the requests made recently, so a struggling server is not
/// buried under retries (the retry storm a plain "3 attempts each" policy causes).
///
/// Every request deposits one token; every retry withdraws one. A retry is allowed while the
/// retries made in the last `ttl` stay within `min_per_second * ttl + ratio * requests` of that
/// same window. Clones share one account, and so do all the clients built with it.
///
/// ```
/// use std::time::Duration;
/// use aioduct_middleware::retry::RetryBudget;
///
/// // Retries may add 20% to the traffic, and at least 10 per second are always allowed.
/// let budget = RetryBudget::new(Duration::from_secs(10), 10, 0.2);
/// # drop(budget);
/// ```
#[derive(Clone)]
pub struct RetryBudget {
    shared: Arc<Shared>,
}

struct Shared {
    ttl: Duration,
    min_per_second: u32,
    ratio: f64,
    account: Mutex<Account>,
}

/// Counts in the current and the previous window of `ttl`: together they approximate "the last
/// `ttl`" without storing every event.
struct Account {
    window_start: Option<Instant>,
    requests: u64,
    retries: u64,
    previous_requests: u64,
    previous_retries: u64,
}

impl RetryBudget {
    /// A budget over windows of `ttl` (clamped to 1 s..=60 s) allowing `min_per_second` retries
    /// per second whatever the traffic, plus `ratio` (clamped to 0.0..=1000.0) retries per request.
    pub fn new(ttl: Duration, min_per_second: u32, ratio: f32) -> Self {
        let ratio = if ratio.is_nan() {
            0.0
        } else {
            f64::from(ratio).clamp(0.0, 1000.0)
        };
        RetryBudget {
            shared: Arc::new(Shared {
                ttl: ttl.clamp(Duration::from_secs(1), Duration::from_secs(60)),
                min_per_second,
                ratio,
                account: Mutex::new(Account {
                    window_start: None,
                    requests: 0,
                    retries: 0,
                    previous_requests: 0,
                    previous_retries: 0,
                }),
            }),
        }
    }

    /// Records a request (not a retry) made at `now`.
    pub fn deposit(&self, now: Instant) {
        let mut account = self.account(now);
        account.requests += 1;
    }

    /// Takes one retry from the budget if it allows one at `now`; `false` when exhausted.
    pub fn withdraw(&self, now: Instant) -> bool {
        let reserve = f64::from(self.shared.min_per_second) * self.shared.ttl.as_secs_f64();
        let mut account = self.account(now);
        let requests = (account.requests + account.previous_requests) as f64;
        let retries = (account.retries + account.previous_retries) as f64;
        if retries + 1.0 <= reserve + self.shared.ratio * requests {
            account.retries += 1;
            true
        } else {
            false
        }
    }

    /// The account, with windows rolled forward to `now`.
    fn account(&self, now: Instant) -> std::sync::MutexGuard<'_, Account> {
        let mut account = self
            .shared
            .account
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let ttl = self.shared.ttl;
        match account.window_start {
            None => account.window_start = Some(now),
            Some(start) => {
                let elapsed = now.saturating_duration_since(start);
                if elapsed >= ttl * 2 {
                    *account = Account {
                        window_start: Some(now),
                        requests: 0,
                        retries: 0,
                        previous_requests: 0,
                        previous_retries: 0,
                    };
                } else if elapsed >= ttl {
                    account.previous_requests = account.requests;
                    account.previous_retries = account.retries;
                    account.requests = 0;
                    account.retries = 0;
                    account.window_start = Some(start + ttl);
                }
            }
        }
        account
    }
}

impl fmt::Debug for RetryBudget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryBudget")
            .field("ttl", &self.shared.ttl)
            .field("min_per_second", &self.shared.min_per_second)
            .field("ratio", &self.shared.ratio)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_bounds_retries_per_request() {
        let budget = RetryBudget::new(Duration::from_secs(10), 0, 0.5);
        let now = Instant::now();
        assert!(!budget.withdraw(now), "no requests yet, no reserve");
        budget.deposit(now);
        assert!(!budget.withdraw(now), "half a retry is not a retry");
        budget.deposit(now);
        assert!(budget.withdraw(now));
        assert!(!budget.withdraw(now));
        for _ in 0..4 {
            budget.deposit(now);
        }
        assert!(budget.withdraw(now));
        assert!(budget.withdraw(now));
        assert!(!budget.withdraw(now));
    }

    #[test]
    fn reserve_allows_retries_without_traffic_and_clones_share_it() {
        let budget = RetryBudget::new(Duration::from_secs(1), 2, 0.0);
        let clone = budget.clone();
        let now = Instant::now();
        assert!(budget.withdraw(now));
        assert!(clone.withdraw(now));
        assert!(!budget.withdraw(now), "the clone spent the same account");
    }

    #[test]
    fn windows_roll_forward_and_old_traffic_expires() {
        let budget = RetryBudget::new(Duration::from_secs(1), 0, 1.0);
        let start = Instant::now();
        budget.deposit(start);
        // Still counted from the previous window.
        assert!(budget.withdraw(start + Duration::from_millis(1500)));
        budget.deposit(start);
        assert!(!budget.withdraw(start + Duration::from_secs(5)), "expired");
    }

    #[test]
    fn silly_parameters_are_clamped() {
        let budget = RetryBudget::new(Duration::ZERO, 0, f32::NAN);
        let now = Instant::now();
        budget.deposit(now);
        assert!(!budget.withdraw(now));
        let _ = format!("{budget:?}");
    }
}
