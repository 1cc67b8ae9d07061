//! HTTP/2 connection settings.

use std::time::Duration;

/// HTTP/2 settings for the connections a client opens.
///
/// Defaults are tuned for throughput: a 2 MiB stream window and a 5 MiB connection window, so a
/// large download is not throttled by flow control on a fast link.
///
/// ```
/// use std::time::Duration;
/// use aioduct::Http2Config;
///
/// let config = Http2Config::new()
///     .initial_stream_window_size(4 * 1024 * 1024)
///     .adaptive_window(true)
///     .keep_alive_interval(Duration::from_secs(20))
///     .keep_alive_while_idle(true);
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct Http2Config {
    pub(crate) initial_stream_window_size: Option<u32>,
    pub(crate) initial_connection_window_size: Option<u32>,
    pub(crate) adaptive_window: bool,
    pub(crate) max_frame_size: Option<u32>,
    pub(crate) max_header_list_size: Option<u32>,
    pub(crate) keep_alive_interval: Option<Duration>,
    pub(crate) keep_alive_timeout: Option<Duration>,
    pub(crate) keep_alive_while_idle: bool,
    pub(crate) max_concurrent_reset_streams: Option<usize>,
    pub(crate) max_send_buf_size: Option<usize>,
}

impl Http2Config {
    /// The default settings.
    pub fn new() -> Self {
        Http2Config {
            initial_stream_window_size: None,
            initial_connection_window_size: None,
            adaptive_window: false,
            max_frame_size: None,
            max_header_list_size: None,
            keep_alive_interval: None,
            keep_alive_timeout: None,
            keep_alive_while_idle: false,
            max_concurrent_reset_streams: None,
            max_send_buf_size: None,
        }
    }

    /// The flow-control window of each stream, in bytes.
    pub fn initial_stream_window_size(mut self, size: u32) -> Self {
        self.initial_stream_window_size = Some(size);
        self
    }

    /// The flow-control window of the whole connection, in bytes.
    pub fn initial_connection_window_size(mut self, size: u32) -> Self {
        self.initial_connection_window_size = Some(size);
        self
    }

    /// Sizes the windows from a bandwidth-delay estimate (BDP pings), overriding the fixed sizes.
    pub fn adaptive_window(mut self, enabled: bool) -> Self {
        self.adaptive_window = enabled;
        self
    }

    /// The largest frame payload we accept, in bytes (16 KiB to 16 MiB).
    pub fn max_frame_size(mut self, size: u32) -> Self {
        self.max_frame_size = Some(size);
        self
    }

    /// The largest header list we accept, in bytes.
    pub fn max_header_list_size(mut self, size: u32) -> Self {
        self.max_header_list_size = Some(size);
        self
    }

    /// Sends a PING this often to keep the connection alive and detect dead peers.
    pub fn keep_alive_interval(mut self, interval: Duration) -> Self {
        self.keep_alive_interval = Some(interval);
        self
    }

    /// How long to wait for a PING acknowledgement before closing the connection.
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Self {
        self.keep_alive_timeout = Some(timeout);
        self
    }

    /// Keeps pinging when no request is open on the connection.
    pub fn keep_alive_while_idle(mut self, enabled: bool) -> Self {
        self.keep_alive_while_idle = enabled;
        self
    }

    /// The most streams the peer may reset before the connection is closed (a defence against
    /// rapid-reset floods).
    pub fn max_concurrent_reset_streams(mut self, max: usize) -> Self {
        self.max_concurrent_reset_streams = Some(max);
        self
    }

    /// The most bytes buffered per stream while sending.
    pub fn max_send_buf_size(mut self, max: usize) -> Self {
        self.max_send_buf_size = Some(max);
        self
    }

    pub(crate) fn apply<E: Clone>(&self, builder: &mut hyper::client::conn::http2::Builder<E>) {
        builder
            .initial_stream_window_size(self.initial_stream_window_size)
            .initial_connection_window_size(self.initial_connection_window_size)
            .adaptive_window(self.adaptive_window)
            .max_frame_size(self.max_frame_size)
            .keep_alive_interval(self.keep_alive_interval)
            .keep_alive_while_idle(self.keep_alive_while_idle);
        if let Some(size) = self.max_header_list_size {
            builder.max_header_list_size(size);
        }
        if let Some(timeout) = self.keep_alive_timeout {
            builder.keep_alive_timeout(timeout);
        }
        if let Some(max) = self.max_concurrent_reset_streams {
            builder.max_concurrent_reset_streams(max);
        }
        if let Some(max) = self.max_send_buf_size {
            builder.max_send_buf_size(max);
        }
    }
}

impl Default for Http2Config {
    fn default() -> Self {
        Http2Config::new()
    }
}
