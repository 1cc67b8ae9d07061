use std::{error::Error as StdError, fmt};

use http::{StatusCode, Uri};

/// A boxed error from a dependency or a user callback.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// `Result` with aioduct's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The one error type of aioduct.
///
/// It is opaque: ask what went wrong with the `is_*` predicates, read [`Error::status`] and
/// [`Error::url`], and walk [`std::error::Error::source`] for the underlying cause. The display text
/// is for people, not for matching.
///
/// ```
/// use aioduct_core::{Error, ErrorKind};
///
/// let err = Error::new(ErrorKind::Timeout, None::<Error>);
/// assert!(err.is_timeout());
/// assert!(!err.is_connect());
/// ```
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    source: Option<BoxError>,
    url: Option<Uri>,
}

/// What kind of failure an [`Error`] reports.
///
/// Used by crates that create errors; callers usually ask the `is_*` predicates instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request could not be built: a bad URL, header, method or body.
    Builder,
    /// The request could not be sent or the response head could not be read.
    Request,
    /// Connecting failed (TCP, or a proxy tunnel).
    Connect,
    /// Resolving a host name failed.
    Dns,
    /// The TLS handshake or TLS configuration failed.
    Tls,
    /// A timeout elapsed.
    Timeout,
    /// A redirect policy stopped the request.
    Redirect,
    /// The response had an error status (from `error_for_status`).
    Status(StatusCode),
    /// Reading or writing a body failed.
    Body,
    /// A body could not be decoded (JSON, text, content coding).
    Decode,
    /// A proxy refused or failed the request.
    Proxy,
    /// A protocol upgrade failed.
    Upgrade,
    /// The feature is not supported by this runtime or build.
    Unsupported,
}

impl Error {
    /// Creates an error of `kind`, caused by `source`.
    pub fn new<E: Into<BoxError>>(kind: ErrorKind, source: Option<E>) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                source: source.map(Into::into),
                url: None,
            }),
        }
    }

    /// Creates an error of `kind` whose cause is a plain message.
    pub fn msg(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self::new(kind, Some(message.into()))
    }

    /// Attaches the URL the error happened on.
    pub fn with_url(mut self, url: Uri) -> Self {
        self.inner.url = Some(url);
        self
    }

    /// Removes the URL, which may carry secrets such as tokens in the query.
    pub fn without_url(mut self) -> Self {
        self.inner.url = None;
        self
    }

    /// The URL the error happened on, if known.
    pub fn url(&self) -> Option<&Uri> {
        self.inner.url.as_ref()
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The status code, for errors made by `error_for_status`.
    pub fn status(&self) -> Option<StatusCode> {
        match self.inner.kind {
            ErrorKind::Status(code) => Some(code),
            _ => None,
        }
    }

    /// True when the request could not be built (bad URL, header or body).
    pub fn is_builder(&self) -> bool {
        self.inner.kind == ErrorKind::Builder
    }

    /// True when sending the request or reading the response head failed.
    pub fn is_request(&self) -> bool {
        self.inner.kind == ErrorKind::Request
    }

    /// True when connecting failed.
    pub fn is_connect(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Connect | ErrorKind::Dns)
    }

    /// True when resolving a host name failed.
    pub fn is_dns(&self) -> bool {
        self.inner.kind == ErrorKind::Dns
    }

    /// True when the TLS handshake failed.
    pub fn is_tls(&self) -> bool {
        self.inner.kind == ErrorKind::Tls
    }

    /// True when a timeout elapsed, at any depth of the source chain.
    pub fn is_timeout(&self) -> bool {
        if self.inner.kind == ErrorKind::Timeout {
            return true;
        }
        let mut source = self.source();
        while let Some(err) = source {
            if let Some(io) = err.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::TimedOut
            {
                return true;
            }
            if let Some(inner) = err.downcast_ref::<Error>()
                && inner.is_timeout()
            {
                return true;
            }
            source = err.source();
        }
        false
    }

    /// True when a redirect policy stopped the request.
    pub fn is_redirect(&self) -> bool {
        self.inner.kind == ErrorKind::Redirect
    }

    /// True for errors made by `error_for_status`.
    pub fn is_status(&self) -> bool {
        matches!(self.inner.kind, ErrorKind::Status(_))
    }

    /// True when reading or writing a body failed.
    pub fn is_body(&self) -> bool {
        self.inner.kind == ErrorKind::Body
    }

    /// True when a body could not be decoded.
    pub fn is_decode(&self) -> bool {
        self.inner.kind == ErrorKind::Decode
    }

    /// True when a proxy failed the request.
    pub fn is_proxy(&self) -> bool {
        self.inner.kind == ErrorKind::Proxy
    }

    /// True when a protocol upgrade failed.
    pub fn is_upgrade(&self) -> bool {
        self.inner.kind == ErrorKind::Upgrade
    }

    /// True when the feature is not supported by this runtime or build.
    pub fn is_unsupported(&self) -> bool {
        self.inner.kind == ErrorKind::Unsupported
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("aioduct::Error");
        d.field("kind", &self.inner.kind);
        if let Some(url) = &self.inner.url {
            d.field("url", &format_args!("{url}"));
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.inner.kind {
            ErrorKind::Builder => "invalid request",
            ErrorKind::Request => "error sending request",
            ErrorKind::Connect => "error connecting",
            ErrorKind::Dns => "error resolving host name",
            ErrorKind::Tls => "TLS error",
            ErrorKind::Timeout => "operation timed out",
            ErrorKind::Redirect => "redirect error",
            ErrorKind::Status(code) => {
                let prefix = if code.is_client_error() {
                    "client error"
                } else {
                    "server error"
                };
                write!(f, "HTTP status {prefix} ({code})")?;
                return self.write_tail(f);
            }
            ErrorKind::Body => "error reading or writing a body",
            ErrorKind::Decode => "error decoding response body",
            ErrorKind::Proxy => "proxy error",
            ErrorKind::Upgrade => "upgrade error",
            ErrorKind::Unsupported => "unsupported",
        };
        f.write_str(what)?;
        self.write_tail(f)
    }
}

impl Error {
    fn write_tail(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(url) = &self.inner.url {
            write!(f, " for url ({url})")?;
        }
        if let Some(source) = &self.inner.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.source.as_ref().map(|e| &**e as _)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_is_send_sync_and_one_pointer_wide() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Error>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn timeout_is_found_in_the_source_chain() {
        let io = std::io::Error::new(std::io::ErrorKind::TimedOut, "slow");
        let err = Error::new(ErrorKind::Connect, Some(io));
        assert!(err.is_timeout());
        assert!(err.is_connect());
    }

    #[test]
    fn without_url_forgets_secrets() {
        let url: Uri = "http://h/?token=secret".parse().unwrap();
        let err = Error::msg(ErrorKind::Request, "x").with_url(url);
        assert!(err.to_string().contains("secret"));
        let err = err.without_url();
        assert!(!err.to_string().contains("secret"));
        assert!(err.url().is_none());
    }

    #[test]
    fn status_errors_report_their_code() {
        let err = Error::new(ErrorKind::Status(StatusCode::NOT_FOUND), None::<Error>);
        assert!(err.is_status());
        assert_eq!(err.status(), Some(StatusCode::NOT_FOUND));
        assert!(err.to_string().contains("404"));
    }
}
