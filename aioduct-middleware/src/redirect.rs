//! Following redirects. (Being written: the stub passes requests through unchanged.)

use aioduct_core::{BoxFuture, Middleware, Next, Request, Response, Result};

/// Which redirects to follow.
#[derive(Clone, Debug)]
pub struct Policy {
    max: usize,
}

impl Policy {
    /// Follows up to `max` redirects.
    pub fn limited(max: usize) -> Self {
        Policy { max }
    }

    /// Follows none: 3xx responses are returned as they are.
    pub fn none() -> Self {
        Policy { max: 0 }
    }
}

/// The redirect middleware.
#[derive(Clone, Debug)]
pub struct Redirect {
    policy: Policy,
    https_only: bool,
}

impl Redirect {
    /// Follows redirects as `policy` says.
    pub fn new(policy: Policy) -> Self {
        Redirect {
            policy,
            https_only: false,
        }
    }

    /// Refuses any hop to a non-https URL.
    pub fn https_only(mut self, enabled: bool) -> Self {
        self.https_only = enabled;
        self
    }
}

impl Middleware for Redirect {
    fn handle<'a>(&'a self, req: Request, next: Next<'a>) -> BoxFuture<'a, Result<Response>> {
        let _ = (&self.policy, self.https_only);
        next.run(req)
    }
}
