//! Which redirects to follow: the policy and the per-hop decision it makes.

use std::{fmt, sync::Arc};

use aioduct_core::BoxError;
use http::{StatusCode, Uri};

/// Which redirects to follow.
///
/// The client's policy is set with `ClientBuilder::redirect`; a single request overrides it by
/// carrying a `Policy` in its extensions (`RequestBuilder::extension(Policy::none())`).
///
/// ```
/// use aioduct_middleware::redirect::Policy;
///
/// // Up to 5 redirects, stopping at any hop that leaves example.com.
/// let policy = Policy::custom(|attempt| {
///     if attempt.previous().len() > 5 {
///         attempt.error("too many redirects")
///     } else if attempt.url().host() != Some("example.com") {
///         attempt.stop()
///     } else {
///         attempt.follow()
///     }
/// });
/// # drop(policy);
/// ```
#[derive(Clone)]
pub struct Policy {
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Limited(usize),
    None,
    Custom(Arc<dyn Fn(Attempt<'_>) -> Action + Send + Sync>),
}

impl Policy {
    /// Follows up to `max` redirects; one more is an error, and so is a redirect back to a URL
    /// already visited in the chain (a loop). The client's default is `limited(10)`.
    ///
    /// `limited(0)` is the same as [`Policy::none`]: 3xx responses are returned as they are.
    pub fn limited(max: usize) -> Self {
        Policy {
            kind: Kind::Limited(max),
        }
    }

    /// Follows none: 3xx responses are returned as they are.
    pub fn none() -> Self {
        Policy { kind: Kind::None }
    }

    /// Decides each hop with `decide`, which returns [`Attempt::follow`], [`Attempt::stop`] or
    /// [`Attempt::error`].
    ///
    /// A custom policy owns the whole decision: it sees loops (`attempt.previous()` contains
    /// `attempt.url()`) and the chain length, and must stop eventually.
    pub fn custom<F>(decide: F) -> Self
    where
        F: Fn(Attempt<'_>) -> Action + Send + Sync + 'static,
    {
        Policy {
            kind: Kind::Custom(Arc::new(decide)),
        }
    }

    /// The decision for one hop.
    pub(super) fn decide(&self, attempt: Attempt<'_>) -> Action {
        match &self.kind {
            Kind::None | Kind::Limited(0) => attempt.stop(),
            Kind::Limited(max) => {
                if attempt.previous.len() > *max {
                    attempt.error(TooManyRedirects(*max))
                } else if attempt
                    .previous
                    .iter()
                    .any(|url| same_url(url, attempt.next))
                {
                    attempt.error(RedirectLoop)
                } else {
                    attempt.follow()
                }
            }
            Kind::Custom(decide) => decide(attempt),
        }
    }

    /// Whether this policy never follows, so no request body needs keeping for a replay.
    pub(super) fn is_none(&self) -> bool {
        matches!(self.kind, Kind::None | Kind::Limited(0))
    }
}

/// `a == b`, the paths compared first: within a chain they usually differ, and `Uri`'s equality
/// starts with the authorities, compared without regard to case.
fn same_url(a: &Uri, b: &Uri) -> bool {
    a.path() == b.path() && a == b
}

impl Default for Policy {
    /// `Policy::limited(10)`.
    fn default() -> Self {
        Policy::limited(10)
    }
}

impl fmt::Debug for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Limited(max) => write!(f, "Policy::limited({max})"),
            Kind::None => f.write_str("Policy::none()"),
            Kind::Custom(_) => f.write_str("Policy::custom(..)"),
        }
    }
}

/// One redirect the policy is asked about.
#[derive(Debug)]
pub struct Attempt<'a> {
    pub(super) status: StatusCode,
    pub(super) next: &'a Uri,
    pub(super) previous: &'a [Uri],
}

impl<'a> Attempt<'a> {
    /// The status of the redirect response.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The URL the response redirects to, resolved against the current one.
    pub fn url(&self) -> &'a Uri {
        self.next
    }

    /// The URLs fetched so far, the first request's first and the one that answered with this
    /// redirect last.
    pub fn previous(&self) -> &'a [Uri] {
        self.previous
    }

    /// Follows the redirect.
    pub fn follow(self) -> Action {
        Action {
            kind: ActionKind::Follow,
        }
    }

    /// Stops here: the redirect response is returned as it is.
    pub fn stop(self) -> Action {
        Action {
            kind: ActionKind::Stop,
        }
    }

    /// Fails the request with a redirect error caused by `error`.
    pub fn error(self, error: impl Into<BoxError>) -> Action {
        Action {
            kind: ActionKind::Error(error.into()),
        }
    }
}

/// What a [`Policy`] decided for one [`Attempt`].
#[derive(Debug)]
pub struct Action {
    pub(super) kind: ActionKind,
}

#[derive(Debug)]
pub(super) enum ActionKind {
    Follow,
    Stop,
    Error(BoxError),
}

/// The cause of the error when `Policy::limited` runs out.
#[derive(Debug)]
struct TooManyRedirects(usize);

impl fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "too many redirects (more than {})", self.0)
    }
}

impl std::error::Error for TooManyRedirects {}

/// The cause of the error when a chain comes back to a URL it visited.
#[derive(Debug)]
struct RedirectLoop;

impl fmt::Display for RedirectLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("redirect loop: the URL was already visited in this chain")
    }
}

impl std::error::Error for RedirectLoop {}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(policy: &Policy, next: &str, previous: &[&str]) -> &'static str {
        let next: Uri = next.parse().unwrap();
        let previous: Vec<Uri> = previous.iter().map(|u| u.parse().unwrap()).collect();
        let attempt = Attempt {
            status: StatusCode::FOUND,
            next: &next,
            previous: &previous,
        };
        match policy.decide(attempt).kind {
            ActionKind::Follow => "follow",
            ActionKind::Stop => "stop",
            ActionKind::Error(_) => "error",
        }
    }

    #[test]
    fn limited_counts_hops_and_detects_loops() {
        let two = Policy::limited(2);
        assert_eq!(decide(&two, "http://a/2", &["http://a/1"]), "follow");
        assert_eq!(
            decide(&two, "http://a/3", &["http://a/1", "http://a/2"]),
            "follow"
        );
        assert_eq!(
            decide(
                &two,
                "http://a/4",
                &["http://a/1", "http://a/2", "http://a/3"]
            ),
            "error"
        );
        assert_eq!(decide(&two, "http://a/1", &["http://a/1"]), "error");
        assert_eq!(
            decide(&Policy::limited(0), "http://a/2", &["http://a/1"]),
            "stop"
        );
        assert_eq!(
            decide(&Policy::none(), "http://a/2", &["http://a/1"]),
            "stop"
        );
    }

    #[test]
    fn custom_policy_sees_status_url_and_history() {
        let policy = Policy::custom(|attempt| {
            assert_eq!(attempt.status(), StatusCode::FOUND);
            if attempt.url().path() == "/stop" {
                attempt.stop()
            } else if attempt.previous().len() > 1 {
                attempt.error("two is enough")
            } else {
                attempt.follow()
            }
        });
        assert_eq!(decide(&policy, "http://a/stop", &["http://a/"]), "stop");
        assert_eq!(decide(&policy, "http://a/x", &["http://a/"]), "follow");
        assert_eq!(
            decide(&policy, "http://a/x", &["http://a/", "http://a/y"]),
            "error"
        );
        assert_eq!(format!("{policy:?}"), "Policy::custom(..)");
    }
}
