use std::time::Duration;

/// Where the time of one request went.
///
/// Phases that did not happen are `None`: a request on a pooled connection has no DNS, connect or
/// TLS time, and a plain-HTTP request no TLS time.
///
/// ```
/// use std::time::Duration;
/// use aioduct_core::Timings;
///
/// let mut timings = Timings::default();
/// timings.connect = Some(Duration::from_millis(2));
/// assert!(timings.dns.is_none());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timings {
    /// Resolving the host name.
    pub dns: Option<Duration>,
    /// Opening the TCP connection (after DNS).
    pub connect: Option<Duration>,
    /// The TLS handshake (after TCP connect).
    pub tls: Option<Duration>,
    /// From the start of the request to the first byte of the response head.
    pub ttfb: Option<Duration>,
    /// From the start of the request until the response body was read to its end.
    pub total: Option<Duration>,
}
