//! The scenarios: what each one asks, on which kind of client, and what a right answer is.

use http::Version;

/// How a scenario's client is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Cleartext HTTP/1.1, pooled keep-alive connections.
    Http1,
    /// Cleartext HTTP/2 by prior knowledge.
    H2c,
    /// HTTPS; ALPN offers h2 and http/1.1, the server picks h2.
    Tls,
    /// Cleartext HTTP/1.1, a new connection for every request.
    NoReuse,
}

/// One benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Sequential GETs of 13 bytes on one keep-alive connection.
    H1Seq,
    /// 64 GETs in flight over HTTP/1.1 (64 connections).
    H1C64,
    /// 64 streams in flight over one h2c connection.
    H2cC64,
    /// A 1 GiB body, streamed and counted.
    Download,
    /// A 16 KiB POST echoed back.
    Post16k,
    /// Sequential GETs over one TLS connection.
    TlsSeq,
    /// A new connection for every GET.
    NewConn,
    /// A chain of 5 redirects ending in 13 bytes.
    Redirect,
    /// 1 MiB of text sent gzip-encoded, read decoded.
    Gzip,
}

impl Scenario {
    /// Every scenario, in the order of the report.
    pub const ALL: [Scenario; 9] = [
        Scenario::H1Seq,
        Scenario::H1C64,
        Scenario::H2cC64,
        Scenario::Download,
        Scenario::Post16k,
        Scenario::TlsSeq,
        Scenario::NewConn,
        Scenario::Redirect,
        Scenario::Gzip,
    ];

    /// The scenario's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::H1Seq => "h1_seq",
            Scenario::H1C64 => "h1_c64",
            Scenario::H2cC64 => "h2c_c64",
            Scenario::Download => "download_1g",
            Scenario::Post16k => "post_16k",
            Scenario::TlsSeq => "tls_seq",
            Scenario::NewConn => "new_conn",
            Scenario::Redirect => "redirect_5",
            Scenario::Gzip => "gzip_1m",
        }
    }

    /// The scenario called `name`.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// How the client is configured.
    pub fn flavor(self) -> Flavor {
        match self {
            Scenario::H2cC64 => Flavor::H2c,
            Scenario::TlsSeq => Flavor::Tls,
            Scenario::NewConn => Flavor::NoReuse,
            _ => Flavor::Http1,
        }
    }

    /// Requests in flight at once.
    pub fn concurrency(self) -> usize {
        match self {
            Scenario::H1C64 | Scenario::H2cC64 => 64,
            _ => 1,
        }
    }

    /// The protocol version every answer must have.
    pub fn version(self) -> Version {
        match self.flavor() {
            Flavor::H2c | Flavor::Tls => Version::HTTP_2,
            Flavor::Http1 | Flavor::NoReuse => Version::HTTP_11,
        }
    }
}
